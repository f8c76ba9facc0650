/**
 * The cdnetworks emulator on its own: raw requests signed here (not with the provider's
 * code), so the emulator's checks are pinned independently of the client.
 */
import { createHash, createHmac } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startCdnetworksEmulator, type CdnetworksEmulator, type CdnetworksEmulatorOptions } from '../../emulators/cdnetworks.js'
import { createTransport, type HttpResponse } from '../../src/http/transport.js'

const transport = createTransport({ maxAttempts: 1 })
afterAll(() => transport.close())
let emulator: CdnetworksEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
})

let clockMs = 0
const now = () => clockMs
async function start(options: CdnetworksEmulatorOptions = {}): Promise<CdnetworksEmulator> {
  clockMs = Date.now()
  emulator = await startCdnetworksEmulator({ users: { bob: 'bob-key', carol: 'carol-key' }, accessKeys: { AKB: 'SKB' }, now, ...options })
  return emulator
}

interface Sign {
  user?: string
  key?: string
  date?: string
  /** Sign with AK/SK instead. */
  aksk?: { ak: string; sk: string; timestamp?: string; signedBody?: string; method?: string }
  headers?: Record<string, string>
}

interface Answer {
  status: number
  body: any
  res: HttpResponse
}

async function post(path: string, body: unknown, sign: Sign = {}): Promise<Answer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (sign.aksk) {
    const { ak, sk } = sign.aksk
    const timestamp = sign.aksk.timestamp ?? String(Math.floor(clockMs / 1000))
    const host = new URL(emulator!.url).host
    const hash = (s: string) => createHash('sha256').update(s).digest('hex')
    const canonical = `POST\n${path}\n\ncontent-type:application/json\nhost:${host}\n\ncontent-type;host\n${hash(sign.aksk.signedBody ?? text)}`
    const signature = createHmac('sha256', sk)
      .update(`CNC-HMAC-SHA256\n${timestamp}\n${hash(canonical)}`)
      .digest('hex')
    Object.assign(headers, {
      'x-cnc-accessKey': ak,
      'x-cnc-timestamp': timestamp,
      'x-cnc-auth-method': sign.aksk.method ?? 'AKSK',
      Authorization: `CNC-HMAC-SHA256 Credential=${ak}, SignedHeaders=content-type;host, Signature=${signature}`
    })
  } else {
    const date = sign.date ?? new Date(clockMs).toUTCString()
    const password = createHmac('sha1', sign.key ?? 'bob-key')
      .update(date)
      .digest('base64')
    Object.assign(headers, { Date: date, Authorization: `Basic ${Buffer.from(`${sign.user ?? 'bob'}:${password}`).toString('base64')}` })
  }
  Object.assign(headers, sign.headers)
  const res = await transport.request({ method: 'POST', url: emulator!.url + path, headers, body: text })
  let parsed: any = null
  try {
    parsed = JSON.parse(res.text)
  } catch {
    /* left null */
  }
  return { status: res.status, body: parsed, res }
}

const PURGE = '/ccm/purge/ItemIdReceiver'
const FETCH = '/ccm/fetch/ItemIdReceiver'
const PURGE_Q = '/ccm/purge/ItemIdQuery'
const FETCH_Q = '/ccm/fetch/ItemIdQuery'
const W = 'https://www.example.com'
const urls = (n: number, prefix = 'f') => Array.from({ length: n }, (_, i) => `${W}/${prefix}${i}.js`)
/** A refusal in the vendor page's form: HTTP 200 with Code 0 (seeds/002 error table). */
const refused = (a: Answer, message: RegExp | string) => {
  expect(a.status).toBe(200)
  expect(a.body.Code).toBe(0)
  expect(a.body.Message).toMatch(message)
}

describe('cdnetworks emulator: API-key auth', () => {
  it('accepts the exact HMAC-SHA1 of the Date and refuses a wrong key, an unknown user or no Authorization', async () => {
    const e = await start()
    const ok = await post(PURGE, { urls: [`${W}/a`] })
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({ Code: 1, Message: 'handle success', itemId: expect.stringMatching(/^[0-9a-f]{32}$/) })
    refused(await post(PURGE, { urls: [`${W}/a`] }, { key: 'bob-wrong' }), 'username is invalid')
    refused(await post(PURGE, { urls: [`${W}/a`] }, { user: 'mallory' }), 'username is invalid')
    refused(await post(PURGE, { urls: [`${W}/a`] }, { headers: { Authorization: '' } }), 'username is invalid')
    expect(e.items).toHaveLength(1)
  })

  it('wants an RFC 1123 Date within 5 minutes, and signs x-cnc-date when given', async () => {
    await start()
    refused(await post(PURGE, { urls: [`${W}/a`] }, { date: new Date(clockMs).toISOString() }), /not an RFC 1123 date/)
    refused(await post(PURGE, { urls: [`${W}/a`] }, { date: 'Mon, 17 May 2012 19:37:58 GMT' }), /not an RFC 1123 date/) // wrong weekday
    refused(await post(PURGE, { urls: [`${W}/a`] }, { date: new Date(clockMs - 6 * 60_000).toUTCString() }), /more than 5 minutes/)
    expect((await post(PURGE, { urls: [`${W}/a`] }, { date: new Date(clockMs - 4 * 60_000).toUTCString() })).status).toBe(200)
    const date = new Date(clockMs).toUTCString()
    // Signed over x-cnc-date; a different Date header is then ignored.
    expect((await post(PURGE, { urls: [`${W}/a`] }, { date, headers: { 'x-cnc-date': date, Date: new Date(clockMs - 3_600_000).toUTCString() } })).status).toBe(
      200
    )
  })
})

describe('cdnetworks emulator: AK/SK auth', () => {
  it('accepts an exact CNC-HMAC-SHA256 signature and refuses a wrong key, a changed body, an old timestamp', async () => {
    const e = await start()
    const body = { urls: [`${W}/a`] }
    expect((await post(PURGE, body, { aksk: { ak: 'AKB', sk: 'SKB' } })).status).toBe(200)
    refused(await post(PURGE, body, { aksk: { ak: 'AKB', sk: 'SKX' } }), 'signature is invalid')
    refused(await post(PURGE, body, { aksk: { ak: 'AKB', sk: 'SKB', signedBody: JSON.stringify({ urls: [`${W}/b`] }) } }), 'signature is invalid')
    refused(await post(PURGE, body, { aksk: { ak: 'AKX', sk: 'SKB' } }), 'accessKey is invalid')
    refused(await post(PURGE, body, { aksk: { ak: 'AKB', sk: 'SKB', method: 'BASIC' } }), /auth-method/)
    const old = String(Math.floor(clockMs / 1000) - 301)
    refused(await post(PURGE, body, { aksk: { ak: 'AKB', sk: 'SKB', timestamp: old } }), /x-cnc-timestamp is more than 5 minutes/)
    const edge = String(Math.floor(clockMs / 1000) - 299)
    expect((await post(PURGE, body, { aksk: { ak: 'AKB', sk: 'SKB', timestamp: edge } })).status).toBe(200)
    expect(e.items.map((i) => i.user)).toEqual(['AKB', 'AKB'])
  })
})

describe('cdnetworks emulator: submit limits', () => {
  it.each([
    ['500 urls', PURGE, { urls: urls(500) }, null],
    ['300 urls + 200 dirs', PURGE, { urls: urls(300), dirs: urls(200, 'd').map((u) => `${u}/`) }, null],
    ['501 urls', PURGE, { urls: urls(501) }, /not be more than 500 per request/],
    ['301 urls + 200 dirs', PURGE, { urls: urls(301), dirs: urls(200, 'd').map((u) => `${u}/`) }, /not be more than 500/],
    ['both empty', PURGE, { urls: [], dirs: [] }, /must not both be empty/],
    ['neither', PURGE, {}, /must not both be empty/],
    ['a dir without /', PURGE, { dirs: [`${W}/img`] }, /dir must end with \//],
    ['ftp', PURGE, { urls: ['ftp://www.example.com/a'] }, /http:\/\/ or https:\/\//],
    ['2,001 characters', PURGE, { urls: [`${W}/${'a'.repeat(2001 - W.length - 1)}`] }, /longer than 2000/],
    ['2,000 characters', PURGE, { urls: [`${W}/${'a'.repeat(2000 - W.length - 1)}`] }, null],
    ['not percent-encoded', PURGE, { urls: [`${W}/about us.html`] }, /percent-encoded/],
    ['a bad urlAction', PURGE, { urls: [`${W}/a`], urlAction: 'nuke' }, /urlAction must be one of/],
    ['400 prefetch urls', FETCH, { urls: urls(400) }, null],
    ['401 prefetch urls', FETCH, { urls: urls(401) }, /not be more than 400 per request/],
    ['no prefetch urls', FETCH, { urls: [] }, /urls must not be empty/],
    ['bad isRange', FETCH, { urls: [`${W}/a`], isRange: 2 }, /isRange/],
    ['not JSON', PURGE, '{"urls": [', 'parse json error']
  ])('%s', async (_name, path, body, error) => {
    const e = await start()
    const a = await post(path, body)
    if (error === null) {
      expect(a.status).toBe(200)
      expect(a.body.Code).toBe(1)
    } else {
      refused(a, error)
      expect(e.items).toHaveLength(0)
    }
  })

  it('answers errors with HTTP 200 (the vendor table) or 400 when told to (providers.md), and lower-case keys', async () => {
    await start({ lowerCaseKeys: true })
    const a = await post(PURGE, { urls: [] })
    expect(a.status).toBe(200)
    expect(a.body).toEqual({ code: 0, message: 'urls and dirs must not both be empty' })
    await emulator!.close()
    await start({ errorStatus: 400 })
    expect((await post(PURGE, { urls: [] })).status).toBe(400)
  })
})

describe('cdnetworks emulator: status queries', () => {
  it('moves items wait → run → success; fails and stalls the URLs it is told to', async () => {
    const e = await start({ completeAfterMs: 1000, failUrls: [`${W}/bad`], stallUrls: [`${W}/slow`] })
    const { itemId } = (await post(PURGE, { urls: [`${W}/ok`, `${W}/bad`, `${W}/slow`], dirs: [`${W}/d/`] })).body
    const states = async () => (await post(PURGE_Q, { itemId })).body.resultDetail.map((d: any) => `${d.status}/${d.isDir}`)
    expect(await states()).toEqual(['wait/0', 'wait/0', 'wait/0', 'wait/2'])
    clockMs += 500
    expect(await states()).toEqual(['run/0', 'run/0', 'run/0', 'run/2'])
    clockMs += 500
    expect(await states()).toEqual(['success/0', 'failure/0', 'run/0', 'success/2'])
    clockMs += 3_600_000
    expect(await states()).toEqual(['success/0', 'failure/0', 'run/0', 'success/2'])
    const detail = (await post(PURGE_Q, { itemId, url: `${W}/ok` })).body.resultDetail
    expect(detail).toEqual([
      {
        url: `${W}/ok`,
        status: 'success',
        rate: '100',
        createTime: expect.any(String),
        beginTime: expect.any(String),
        finishTime: expect.any(String),
        isDir: 0
      }
    ])
    expect(e.items).toHaveLength(4)
  })

  it('pages by pageNo/pageSize with count, and cuts pages to maxPageSize', async () => {
    await start({ maxPageSize: 5 })
    const { itemId } = (await post(PURGE, { urls: urls(7) })).body
    const page = async (pageNo: number, pageSize: number) => (await post(PURGE_Q, { itemId, pageNo, pageSize })).body
    const p1 = await page(1, 3)
    expect(p1).toMatchObject({ count: 7, Code: 1, message: 'success', pageNo: 1, pageSize: 3 })
    expect(p1.resultDetail.map((d: any) => d.url)).toEqual(urls(7).slice(0, 3))
    expect((await page(3, 3)).resultDetail.map((d: any) => d.url)).toEqual(urls(7).slice(6))
    expect((await page(4, 3)).resultDetail).toEqual([])
    const big = await page(1, 100)
    expect(big.pageSize).toBe(5)
    expect(big.resultDetail).toHaveLength(5)
    expect((await post(PURGE_Q, { itemId })).body.pageSize).toBe(5) // default 20, cut to 5
    refused(await post(PURGE_Q, { itemId, pageNo: 0 }), 'page no error')
    refused(await post(PURGE_Q, { itemId, pageSize: 'x' }), 'page size error')
  })

  it('refuses a page size above refusePageSizeAbove with the documented page size error', async () => {
    await start({ refusePageSizeAbove: 20 })
    const { itemId } = (await post(PURGE, { urls: urls(3) })).body
    refused(await post(PURGE_Q, { itemId, pageSize: 100 }), 'page size error')
    expect((await post(PURGE_Q, { itemId, pageSize: 20 })).body).toMatchObject({ Code: 1, count: 3 })
  })

  it('checks the query: itemId or a range of at most one day, GMT+8 unless X-Time-Zone says otherwise', async () => {
    await start({ completeAfterMs: 0 })
    const created = clockMs
    await post(PURGE, { urls: [`${W}/mine`] })
    await post(PURGE, { urls: [`${W}/carols`] }, { user: 'carol', key: 'carol-key' })
    const gmt8 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')
    const range = { startTime: gmt8(created - 60_000), endTime: gmt8(created + 60_000) }
    const found = (await post(PURGE_Q, range)).body
    expect(found.resultDetail.map((d: any) => d.url)).toEqual([`${W}/mine`]) // only the caller's
    expect(found.resultDetail[0].createTime).toBe(gmt8(created))
    const utc = (
      await post(
        PURGE_Q,
        { startTime: gmt8(created - 60_000 - 8 * 3_600_000), endTime: gmt8(created + 60_000 - 8 * 3_600_000) },
        { headers: { 'X-Time-Zone': 'GMT+0' } }
      )
    ).body
    expect(utc.resultDetail[0].createTime).toBe(gmt8(created - 8 * 3_600_000))
    expect((await post(PURGE_Q, { startTime: gmt8(created + 60_000), endTime: gmt8(created + 120_000) })).body.count).toBe(0)
    refused(await post(PURGE_Q, {}), 'startTime or endTime must not be empty')
    refused(await post(PURGE_Q, { startTime: range.startTime }), 'startTime or endTime must not be empty')
    refused(await post(PURGE_Q, { startTime: range.endTime, endTime: range.startTime }), 'endTime should not before startTime')
    refused(await post(PURGE_Q, { startTime: gmt8(created - 86_401_000), endTime: gmt8(created) }), 'query time error')
    refused(await post(PURGE_Q, { startTime: '2017/01/01', endTime: range.endTime }), 'query time error')
    refused(
      await post(PURGE_Q, { startTime: gmt8(created - 4 * 86_400_000), endTime: gmt8(created - 3.5 * 86_400_000) }),
      'query create time should not before 3 days'
    )
    refused(await post(PURGE_Q, { ...range, status: 'done' }), /task status error/)
  })

  it('allows one prefetch status call per 5 minutes per user, every page a call, refused in the vendor form', async () => {
    const e = await start({ maxPageSize: 2 })
    const { itemId } = (await post(FETCH, { urls: urls(3) })).body
    expect((await post(FETCH_Q, { itemId, pageSize: 2 })).body.Code).toBe(1)
    // Page 2 of the same query is a call like any other: refused within the interval.
    const limited = await post(FETCH_Q, { itemId, pageNo: 2, pageSize: 2 })
    expect(limited.status).toBe(200)
    expect(limited.body).toEqual({ Code: 0, Message: expect.stringMatching(/too frequently: one prefetch status query per 300 seconds; retry in 300 seconds/) })
    clockMs += 299_000
    expect((await post(FETCH_Q, { itemId, pageNo: 2, pageSize: 2 })).body.Code).toBe(0)
    expect((await post(FETCH_Q, { itemId }, { user: 'carol', key: 'carol-key' })).body.Code).toBe(1) // per user
    expect((await post(PURGE_Q, { itemId })).body.Code).toBe(1) // purge status is not limited
    clockMs += 1_000
    expect((await post(FETCH_Q, { itemId, pageNo: 2, pageSize: 2 })).body.resultDetail).toHaveLength(1)
    expect(e.counts()[`POST ${FETCH_Q}`]).toBe(5)
  })

  it('answers a rate limit with HTTP 429 and Retry-After when told to', async () => {
    await start({ rateLimitStatus: 429 })
    const { itemId } = (await post(FETCH, { urls: urls(1) })).body
    await post(FETCH_Q, { itemId })
    clockMs += 299_000
    const limited = await post(FETCH_Q, { itemId })
    expect(limited.status).toBe(429)
    expect(limited.res.header('retry-after')).toBe('1')
    expect(limited.body.Code).toBe(0)
  })
})

describe('cdnetworks emulator: daily quotas', () => {
  it('defaults to 5,000 purge URLs, 500 directories and 20,000 prefetch URLs a day; refusals use nothing', async () => {
    const e = await start()
    for (let i = 0; i < 10; i++) expect((await post(PURGE, { urls: urls(500, `p${i}-`) })).status).toBe(200)
    refused(await post(PURGE, { urls: [`${W}/one-more`] }), 'daily quota exceeded: url purge quota is 5000 a day, 5000 used today, 1 more requested')
    expect((await post(PURGE, { dirs: urls(500, 'd').map((u) => `${u}/`) })).status).toBe(200)
    refused(await post(PURGE, { dirs: [`${W}/x/`] }), /dir purge quota is 500 a day/)
    for (let i = 0; i < 50; i++) expect((await post(FETCH, { urls: urls(400, `q${i}-`) })).status).toBe(200)
    refused(await post(FETCH, { urls: [`${W}/one-more`] }), /prefetch quota is 20000 a day/)
    expect(e.usage('bob')).toEqual({ purgeUrls: 5000, purgeDirs: 500, prefetchUrls: 20000 })
    expect((await post('/ccm/purge/quota', {})).body).toMatchObject({ Code: 1, urlQuota: 5000, urlRemain: 0, dirQuota: 500, dirRemain: 0 })
    expect((await post('/ccm/prefetch/quota', {})).body).toMatchObject({ Code: 1, prefetchQuota: 20000, prefetchRemain: 0 })
    clockMs += 86_400_000 // the next day
    expect((await post(PURGE, { urls: [`${W}/tomorrow`] })).status).toBe(200)
  }, 60_000)

  it('takes configured quotas and refuses a call that would cross them whole', async () => {
    const e = await start({ quotas: { purgeUrls: 3 } })
    expect((await post(PURGE, { urls: urls(2) })).status).toBe(200)
    refused(await post(PURGE, { urls: urls(2, 'g') }), /url purge quota is 3 a day, 2 used today, 2 more requested/)
    expect(e.usage('bob').purgeUrls).toBe(2)
  })
})

it('counts every request, refused and unknown ones included', async () => {
  const e = await start()
  await post(PURGE, { urls: [`${W}/a`] })
  await post(PURGE, { urls: [`${W}/a`] }, { key: 'wrong' })
  await post('/nowhere', {})
  const get = await transport.request({ method: 'GET', url: `${e.url}${PURGE_Q}` })
  expect(get.status).toBe(405)
  expect(e.counts()).toEqual({ [`POST ${PURGE}`]: 2, 'POST /nowhere': 1, [`GET ${PURGE_Q}`]: 1 })
})
