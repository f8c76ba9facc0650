import { createHmac } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startCdnetworksEmulator, type CdnetworksEmulator, type CdnetworksEmulatorOptions } from '../../emulators/cdnetworks.js'
import { InputError } from '../../src/errors.js'
import { createTransport } from '../../src/http/transport.js'
import {
  type CdnetworksSettings,
  apiKeyAuthorization,
  apiKeyPassword,
  cdnetworks,
  field,
  formatGmt8,
  parseGmt8,
  signAksk
} from '../../src/providers/cdnetworks.js'
import { pollUntilDone } from '../../src/engine/poll.js'
import { ProviderError, type Batch, type BatchItem, type CdnProvider, type Task } from '../../src/providers/provider.js'
import { readerOf } from './reader.js'

const noCreds: CdnetworksSettings = { username: '', apiKey: '', accessKey: '', secretKey: '' }
const creds = { username: 'alice', apiKey: 'alice-api-key' }

let emulator: CdnetworksEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

/** One clock for the emulator and the client, so tests can move time without waiting. */
function testClock(start = Date.now()) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms) }
}

async function start(options: CdnetworksEmulatorOptions = {}): Promise<CdnetworksEmulator> {
  emulator = await startCdnetworksEmulator({ users: { alice: 'alice-api-key' }, accessKeys: { AK1: 'SK1-secret' }, ...options })
  return emulator
}

function client(c: Partial<CdnetworksSettings> = creds, now: () => number = Date.now, logs: string[] = []): CdnProvider {
  return cdnetworks.create(
    {
      endpoint: emulator!.url,
      request: transport.request,
      mask: () => {},
      log: (line) => logs.push(line),
      now,
      sleep: async () => {}
    },
    { ...noCreds, ...c }
  )
}

const urlItems = (urls: string[]): BatchItem[] => urls.map((url) => ({ kind: 'url', url }))
const batch = (op: Batch['op'], items: BatchItem[]): Batch => ({ op, host: '', items })
const W = 'https://www.example.com'
const bodyOf = (i: number) => JSON.parse(emulator!.requests[i].body)

describe('cdnetworks signing', () => {
  it('API key: the known answer from providers.md', () => {
    const date = 'Thu, 17 May 2012 19:37:58 GMT'
    expect(apiKeyPassword('secret', date)).toBe('fHQIc80DuK2DLazL2aG7vDONSSg=')
    expect(apiKeyAuthorization('user', 'secret', date)).toBe('Basic dXNlcjpmSFFJYzgwRHVLMkRMYXpMMmFHN3ZET05TU2c9')
  })

  it('AK/SK: canonical request, string to sign and signature (vector computed with openssl)', () => {
    const body = '{"urls":["https://www.example.com/a.js"]}'
    const signed = signAksk(
      { method: 'post', path: '/ccm/purge/ItemIdReceiver', query: '', contentType: 'Application/JSON', host: 'API.cdnetworks.com', body },
      'ak-test',
      'sk-test',
      '1700000000'
    )
    const bodyHash = '0b378463cecc742f802af5262fe12fc80fa7eabd3e373c3766e4911b74669f81'
    expect(signed.canonicalRequest).toBe(
      `POST\n/ccm/purge/ItemIdReceiver\n\ncontent-type:application/json\nhost:api.cdnetworks.com\n\ncontent-type;host\n${bodyHash}`
    )
    expect(signed.stringToSign).toBe('CNC-HMAC-SHA256\n1700000000\n013dbc0532d40c63c7d122057c1d8ea1692faae352d01d4898b237ce88d3197b')
    expect(signed.signature).toBe('964b8da15f2eef06913a9ba9b98608950443237b51a4f6fcb2dc98407b623c11')
    expect(signed.authorization).toBe(`CNC-HMAC-SHA256 Credential=ak-test, SignedHeaders=content-type;host, Signature=${signed.signature}`)
  })

  it('reads GMT+8 times both ways and fields in any letter case', () => {
    const ms = Date.UTC(2017, 0, 11, 8, 17, 3)
    expect(formatGmt8(ms)).toBe('2017-01-11 16:17:03')
    expect(parseGmt8('2017-01-11 16:17:03')).toBe(ms)
    expect(parseGmt8('11/01/2017')).toBeNull()
    expect(field({ message: 'a' }, 'Message')).toBe('a')
    expect(field({ CODE: 1 }, 'Code')).toBe(1)
  })
})

describe('cdnetworks provider against its emulator', () => {
  it('purges URLs and directories in one signed call and keeps the itemId', async () => {
    const e = await start()
    const logs: string[] = []
    const p = client(creds, Date.now, logs)
    await p.prepare!()
    const items: BatchItem[] = [...urlItems([`${W}/a.js`, `${W}/b.css`]), { kind: 'dir', url: `${W}/img/` }]
    const task = await p.submit(batch('purge', items))
    const sent = e.requests[0]
    expect(sent.path).toBe('/ccm/purge/ItemIdReceiver')
    expect(JSON.parse(sent.body)).toEqual({ urls: [`${W}/a.js`, `${W}/b.css`], urlAction: 'default', dirs: [`${W}/img/`], dirAction: 'default' })
    const date = sent.headers.date as string
    expect(new Date(date).toUTCString()).toBe(date)
    const [user, password] = Buffer.from((sent.headers.authorization as string).slice(6), 'base64')
      .toString()
      .split(':')
    expect(user).toBe('alice')
    expect(password).toBe(createHmac('sha1', 'alice-api-key').update(date).digest('base64'))
    expect(task.id).toBe(e.items[0].itemId)
    expect(task.items).toEqual(items)
    expect(logs.join('\n')).toContain('API key of user alice')
  })

  it('follows purge items through wait → run → success by itemId', async () => {
    const clock = testClock()
    const e = await start({ completeAfterMs: 60_000, now: clock.now })
    const p = client(creds, clock.now)
    const urls = [`${W}/a.js`, `${W}/b.js`]
    const task = await p.submit(batch('purge', urlItems(urls)))
    const states = async () => (await p.status([task])).map((s) => `${s.state}:${s.detail}`)
    expect(await states()).toEqual(['pending:wait', 'pending:wait'])
    clock.advance(30_000)
    expect(await states()).toEqual(['pending:run', 'pending:run'])
    clock.advance(30_000)
    expect(await states()).toEqual(['success:success', 'success:success'])
    expect(bodyOf(1)).toEqual({ itemId: task.id, pageNo: 1, pageSize: 100 })
    expect(e.counts()['POST /ccm/purge/ItemIdQuery']).toBe(3)
  })

  it('maps failure per URL and keeps never-finishing URLs pending', async () => {
    await start({ completeAfterMs: 0, failUrls: [`${W}/bad`], stallUrls: [`${W}/slow`] })
    const p = client()
    const task = await p.submit(batch('purge', urlItems([`${W}/ok`, `${W}/bad`, `${W}/slow`])))
    const s = await p.status([task])
    expect(s.map((x) => [x.url, x.state])).toEqual([
      [`${W}/ok`, 'success'],
      [`${W}/bad`, 'failure'],
      [`${W}/slow`, 'pending']
    ])
  })

  it('prefetch: reads one page per status call, every page a call, going on from the next page', async () => {
    const clock = testClock()
    const e = await start({ completeAfterMs: 0, maxPageSize: 3, now: clock.now })
    const p = client(creds, clock.now)
    const urls = Array.from({ length: 8 }, (_, i) => `${W}/f${i}.js`)
    const task = await p.submit(batch('prefetch', urlItems(urls)))
    const seen: string[] = []
    for (let call = 0; call < 3; call++) {
      if (call > 0) clock.advance(300_000)
      const s = await p.status([task])
      expect(s.every((x) => x.state === 'success')).toBe(true)
      seen.push(...s.map((x) => x.url))
    }
    expect(seen.sort()).toEqual(urls.slice().sort())
    const queries = e.requests.filter((r) => r.path === '/ccm/fetch/ItemIdQuery').map((r) => JSON.parse(r.body))
    // Asked 100; the server served 3, so pages 2 and 3 are asked at its size.
    expect(queries.map((q) => [q.pageNo, q.pageSize])).toEqual([
      [1, 100],
      [2, 3],
      [3, 3]
    ])
  })

  it('prefetch: a rate-limit answer (HTTP 200, Code 0) is retryable and the next call asks the same page, keeping those read', async () => {
    const clock = testClock()
    const e = await start({ prefetchCompleteAfterMs: 0, maxPageSize: 2, now: clock.now })
    const p = client(creds, clock.now)
    const urls = [`${W}/a.js`, `${W}/b.js`, `${W}/c.js`]
    const task = await p.submit(batch('prefetch', urlItems(urls)))
    expect((await p.status([task])).map((x) => x.url)).toEqual(urls.slice(0, 2))
    clock.advance(60_000) // too soon: another job of the account, or clocks apart
    const err = await p.status([task]).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.retryable).toBe(true)
    expect(err.message).toMatch(/rate limited \(HTTP 200: request too frequently.*one call \(one page\) per 5 minutes/)
    clock.advance(300_000)
    expect((await p.status([task])).map((x) => x.url)).toEqual(urls.slice(2))
    const pages = e.requests.filter((r) => r.path === '/ccm/fetch/ItemIdQuery').map((r) => JSON.parse(r.body).pageNo)
    expect(pages).toEqual([1, 2, 2])
  })

  it('prefetch: a later pass skips pages whose entries were all final, and reads every page if one went missing', async () => {
    const clock = testClock()
    const e = await start({ prefetchCompleteAfterMs: 60_000, maxPageSize: 2, prefetchQueryIntervalMs: 0, now: clock.now })
    const p = client(creds, clock.now)
    const urls = [`${W}/a.js`, `${W}/b.js`, `${W}/slow.js`]
    const task = await p.submit(batch('prefetch', urlItems(urls)))
    clock.advance(60_000)
    e.items.find((i) => i.url === `${W}/slow.js`)!.outcome = 'stall'
    const states = async () => (await p.status([task])).map((x) => `${x.url.slice(W.length)}:${x.state}`)
    expect(await states()).toEqual(['/a.js:success', '/b.js:success'])
    expect(await states()).toEqual(['/slow.js:pending'])
    // Later passes: page 1 is all final, so only page 2 is asked.
    expect(await states()).toEqual(['/slow.js:pending'])
    expect(await states()).toEqual(['/slow.js:pending'])
    const pages = () => e.requests.filter((r) => r.path === '/ccm/fetch/ItemIdQuery').map((r) => JSON.parse(r.body).pageNo)
    expect(pages()).toEqual([1, 2, 2, 2])
    // The server now lists the pending URL first: a pass that misses it reads every page next.
    e.items.sort((x, y) => (x.url.endsWith('slow.js') ? -1 : y.url.endsWith('slow.js') ? 1 : 0))
    expect(await states()).toEqual(['/b.js:success'])
    expect(await states()).toEqual(['/slow.js:pending', '/a.js:success'])
    expect(pages()).toEqual([1, 2, 2, 2, 2, 1])
  })

  it('prefetch: a page size error (HTTP 200, Code 0) falls back to pages of 20 in the next call', async () => {
    const clock = testClock()
    const e = await start({ completeAfterMs: 0, refusePageSizeAbove: 20, now: clock.now })
    const logs: string[] = []
    const p = client(creds, clock.now, logs)
    const urls = Array.from({ length: 25 }, (_, i) => `${W}/z${i}.js`)
    const task = await p.submit(batch('prefetch', urlItems(urls)))
    const err = await p.status([task]).catch((x) => x)
    expect(err.retryable).toBe(true)
    expect(err.message).toMatch(/page size error.*asking pages of 20 from the next round/)
    expect(logs.join('\n')).toMatch(/refused status pages of 100 entries; asking pages of 20/)
    clock.advance(300_000)
    expect(await p.status([task])).toHaveLength(20)
    clock.advance(300_000)
    expect(await p.status([task])).toHaveLength(5)
    const asked = e.requests.filter((r) => r.path === '/ccm/fetch/ItemIdQuery').map((r) => JSON.parse(r.body))
    expect(asked.map((q) => [q.pageNo, q.pageSize])).toEqual([
      [1, 100],
      [1, 20],
      [2, 20]
    ])
  })

  it('purge: a page size error falls back to pages of 20 at once (no rate limit)', async () => {
    const e = await start({ completeAfterMs: 0, refusePageSizeAbove: 20 })
    const p = client()
    const urls = Array.from({ length: 25 }, (_, i) => `${W}/y${i}.js`)
    const task = await p.submit(batch('purge', urlItems(urls)))
    expect((await p.status([task])).map((x) => x.url).sort()).toEqual(urls.slice().sort())
    const asked = e.requests.filter((r) => r.path === '/ccm/purge/ItemIdQuery').map((r) => JSON.parse(r.body))
    expect(asked.map((q) => [q.pageNo, q.pageSize]).sort()).toEqual([
      [1, 100],
      [1, 20],
      [2, 20]
    ])
  })

  it('asks for every page of a purge status at once: its page count is known from the task', async () => {
    const e = await start({ completeAfterMs: 0 })
    const p = client()
    const urls = Array.from({ length: 250 }, (_, i) => `${W}/p${i}.js`)
    const task = await p.submit(batch('purge', urlItems(urls)))
    e.setLatency(400)
    const s = await p.status([task])
    expect(s.map((x) => x.url).sort()).toEqual(urls.slice().sort())
    const pages = e.requests.filter((r) => r.path === '/ccm/purge/ItemIdQuery')
    expect(pages.map((r) => JSON.parse(r.body).pageNo).sort()).toEqual([1, 2, 3])
    // One after another they would arrive at least 400 ms apart.
    const times = pages.map((r) => r.at)
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(200)
  })

  it('reads the rest of a purge status when the server serves smaller pages than asked', async () => {
    const e = await start({ completeAfterMs: 0, maxPageSize: 3 })
    const p = client()
    const urls = Array.from({ length: 8 }, (_, i) => `${W}/s${i}.js`)
    const task = await p.submit(batch('purge', urlItems(urls)))
    const s = await p.status([task])
    expect(s.map((x) => x.url).sort()).toEqual(urls.slice().sort())
    expect(s.every((x) => x.state === 'success')).toBe(true)
    const pages = e.requests.filter((r) => r.path === '/ccm/purge/ItemIdQuery').map((r) => JSON.parse(r.body).pageNo)
    expect(pages.sort()).toEqual([1, 2, 3])
  })

  it('answers with lower-case keys and Code as a string are read the same', async () => {
    const e = await start({ completeAfterMs: 0, lowerCaseKeys: true })
    const p = client()
    const task = await p.submit(batch('prefetch', urlItems([`${W}/a.js`])))
    expect((await p.status([task]))[0].state).toBe('success')
    e.injectFaults([{ status: 200, body: JSON.stringify({ code: '1', message: 'ok', ItemID: 'abc' }), headers: { 'Content-Type': 'application/json' } }])
    expect((await p.submit(batch('prefetch', urlItems([`${W}/b.js`])))).id).toBe('abc')
  })

  it('several prefetch tasks: each call reads a page of the task read longest ago, by itemId', async () => {
    const clock = testClock()
    const e = await start({ completeAfterMs: 0, now: clock.now, prefetchQueryIntervalMs: 0 })
    const p = client(creds, clock.now)
    const t1 = await p.submit(batch('prefetch', urlItems([`${W}/a.js`, `${W}/b.js`])))
    const t2 = await p.submit(batch('prefetch', urlItems([`${W}/c.js`])))
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      clock.advance(1000)
      ids.push((await p.status([t1, t2]))[0].taskId)
    }
    expect(ids).toEqual([t1.id, t2.id, t1.id])
    const asked = e.requests.filter((r) => r.path === '/ccm/fetch/ItemIdQuery').map((r) => JSON.parse(r.body))
    expect(asked.map((q) => q.itemId)).toEqual([t1.id, t2.id, t1.id])
    expect(asked.every((q) => q.startTime === undefined)).toBe(true)
  })

  it('a second prefetch status call within the interval is rate limited and retryable', async () => {
    const e = await start({ completeAfterMs: 60_000, prefetchQueryIntervalMs: 300_000 })
    const p = client()
    const task = await p.submit(batch('prefetch', urlItems([`${W}/a.js`])))
    await p.status([task])
    const err = await p.status([task]).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.retryable).toBe(true)
    expect(err.message).toMatch(/rate limited \(HTTP 200: .*one call \(one page\) per 5 minutes/)
    expect(e.counts()['POST /ccm/fetch/ItemIdQuery']).toBe(2)
  })

  it('a wrong api-key is a ProviderError naming the inputs, without the key, password or header', async () => {
    const e = await start()
    const p = client({ username: 'alice', apiKey: 'wrong-secret-key' })
    const err = await p.submit(batch('purge', urlItems([`${W}/a.js`]))).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toMatch(/the credentials were rejected \(username is invalid\); check the username and api-key inputs/)
    const sent = e.requests[0]
    const password = createHmac('sha1', 'wrong-secret-key')
      .update(sent.headers.date as string)
      .digest('base64')
    for (const secret of ['wrong-secret-key', password, sent.headers.authorization as string]) expect(err.message).not.toContain(secret)
    expect(e.items).toHaveLength(0)
  })

  it('a runner clock minutes off is refused with a message about the clock', async () => {
    await start()
    const p = client(creds, () => Date.now() - 10 * 60_000)
    const err = await p.submit(batch('purge', urlItems([`${W}/a.js`]))).catch((x) => x)
    expect(err.message).toMatch(/request time was not accepted .*check the runner's clock/)
  })

  it('signs with AK/SK when access-key and secret-key are given', async () => {
    const e = await start({ completeAfterMs: 0 })
    const p = client({ accessKey: 'AK1', secretKey: 'SK1-secret' })
    const task = await p.submit(batch('purge', urlItems([`${W}/a.js`])))
    expect((await p.status([task]))[0].state).toBe('success')
    const sent = e.requests[0]
    expect(sent.headers['x-cnc-accesskey']).toBe('AK1')
    expect(sent.headers['x-cnc-auth-method']).toBe('AKSK')
    expect(sent.headers.authorization).toMatch(/^CNC-HMAC-SHA256 Credential=AK1, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$/)
    const bad = await client({ accessKey: 'AK1', secretKey: 'SK1-wrong' })
      .submit(batch('purge', urlItems([`${W}/a.js`])))
      .catch((x) => x)
    expect(bad.message).toMatch(/the credentials were rejected \(signature is invalid\); check the access-key and secret-key inputs/)
    expect(bad.message).not.toContain('SK1-wrong')
    const late = await client({ accessKey: 'AK1', secretKey: 'SK1-secret' }, () => Date.now() + 6 * 60_000)
      .submit(batch('purge', urlItems([`${W}/a.js`])))
      .catch((x) => x)
    expect(late.message).toMatch(/check the runner's clock/)
  })

  it('reports a batch over the per-call limits as the emulator refuses it', async () => {
    const e = await start()
    const p = client()
    const purge = await p.submit(batch('purge', urlItems(Array.from({ length: 501 }, (_, i) => `${W}/${i}`)))).catch((x) => x)
    expect(purge).toBeInstanceOf(ProviderError)
    expect(purge.message).toMatch(/must not be more than 500 per request/)
    const prefetch = await p.submit(batch('prefetch', urlItems(Array.from({ length: 401 }, (_, i) => `${W}/${i}`)))).catch((x) => x)
    expect(prefetch.message).toMatch(/must not be more than 400 per request/)
    expect(e.items).toHaveLength(0)
  })

  it.each([
    ['purge', { purgeUrls: 2 }, urlItems([`${W}/a`, `${W}/b`, `${W}/c`]), /daily URL purge quota .*POST \/ccm\/purge\/quota/],
    [
      'purge',
      { purgeDirs: 1 },
      [
        { kind: 'dir', url: `${W}/a/` },
        { kind: 'dir', url: `${W}/b/` }
      ],
      /daily directory purge quota .*POST \/ccm\/purge\/quota/
    ],
    ['prefetch', { prefetchUrls: 1 }, urlItems([`${W}/a`, `${W}/b`]), /daily prefetch quota .*POST \/ccm\/prefetch\/quota/]
  ] as const)('%s over the daily quota %j names the quota and how to check it', async (op, quotas, items, message) => {
    await start({ quotas })
    const err = await client()
      .submit(batch(op, [...items]))
      .catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toMatch(message)
    expect(err.message).toMatch(/is used up \(daily quota exceeded/)
  })

  it('never takes an empty, truncated, shapeless or Code 0 answer for success', async () => {
    const e = await start({ errorStatus: 200 })
    const p = client()
    const submit = () => p.submit(batch('purge', urlItems([`${W}/a.js`]))).catch((x) => x)
    e.injectFaults([
      { status: 200, body: '' },
      { status: 200, body: '{"Code": 1, "itemId": "ab' },
      { status: 200, body: '{"Message": "ok", "itemId": "x"}' },
      { status: 200, body: '{"Code": 1, "Message": "ok"}' },
      { status: 502, body: 'bad gateway' }
    ])
    expect((await submit()).message).toMatch(/empty answer/)
    expect((await submit()).message).toMatch(/not JSON/)
    expect((await submit()).message).toMatch(/answer has no Code/)
    expect((await submit()).message).toMatch(/Code 1 but no itemId/)
    expect((await submit()).message).toMatch(/HTTP 502/)
    // errorStatus 200: the vendor page's table answers errors with HTTP 200 and Code 0.
    const refused = await client({ username: 'alice', apiKey: 'nope' })
      .submit(batch('purge', urlItems([`${W}/a.js`])))
      .catch((x) => x)
    expect(refused).toBeInstanceOf(ProviderError)
    expect(refused.message).toMatch(/username is invalid/)
    expect(e.items).toHaveLength(0)
  })

  it('a status answer without a list is retryable; a refused query is not', async () => {
    const e = await start()
    const p = client()
    const task: Task = { id: 'x1', op: 'purge', items: urlItems([`${W}/a.js`]), submittedAt: Date.now() }
    e.injectFaults([{ status: 200, body: JSON.stringify({ Code: 1, message: 'success', count: 3 }), headers: { 'Content-Type': 'application/json' } }])
    const shapeless = await p.status([task]).catch((x) => x)
    expect(shapeless.retryable).toBe(true)
    expect(shapeless.message).toMatch(/no count or resultDetail/)
    e.injectFaults([{ status: 400, body: JSON.stringify({ Code: 0, message: 'page no error' }), headers: { 'Content-Type': 'application/json' } }])
    const refused = await p.status([task]).catch((x) => x)
    expect(refused.retryable).toBe(false)
    expect(refused.message).toMatch(/HTTP 400: page no error/)
    // An item the server does not list stays pending (no status for it).
    expect(await p.status([task])).toEqual([])
  })
})

describe('cdnetworks: a submit whose answer is lost', () => {
  const retrying = createTransport({ maxAttempts: 3, backoffBaseMs: 1, backoffCapMs: 2 })
  afterAll(() => retrying.close())
  const on = (t: typeof transport, now: () => number = Date.now): CdnProvider =>
    cdnetworks.create(
      {
        endpoint: emulator!.url,
        request: t.request,
        mask: () => {},
        log: () => {},
        now,
        sleep: async () => {}
      },
      { ...noCreds, ...creds }
    )

  it('is ambiguous after the server acted (reset, 5xx, cut body, no itemId); a 503 is not', async () => {
    const e = await start({ completeAfterMs: 0 })
    const p = on(retrying)
    const submit = () => p.submit(batch('purge', urlItems([`${W}/a.js`]))).catch((x) => x)
    e.injectFaults([{ kind: 'reset-after-action' }])
    expect(await submit()).toMatchObject({ ambiguous: true })
    // the POST was not retried by the transport: one submit, one item
    expect(e.counts()['POST /ccm/purge/ItemIdReceiver']).toBe(1)
    expect(e.items).toHaveLength(1)
    for (const fault of [{ kind: 'truncated-json' as const }, { status: 500 }, { status: 200, body: '{"Code": 1, "Message": "ok"}' }]) {
      e.injectFaults([fault])
      expect(await submit()).toMatchObject({ ambiguous: true })
    }
    e.injectFaults([{ status: 503 }, { status: 503 }, { status: 503 }])
    expect(await submit()).toMatchObject({ ambiguous: false, retryable: true })
  })

  it('retries a status query after a reset (a read: idempotent)', async () => {
    const e = await start({ completeAfterMs: 0 })
    const p = on(retrying)
    const task = await p.submit(batch('purge', urlItems([`${W}/a.js`])))
    e.injectFaults([{ kind: 'reset-after-action' }, { kind: 'reset-before-headers' }])
    expect(await p.status([task])).toEqual([{ taskId: task.id, url: `${W}/a.js`, state: 'success', detail: 'success' }])
    expect(e.counts()['POST /ccm/purge/ItemIdQuery']).toBe(3)
  })

  it('finds a purge made since the send by time range (URLs and directories), and polls it by time range', async () => {
    const clock = testClock()
    const e = await start({ completeAfterMs: 0, now: clock.now })
    const p = on(retrying, clock.now)
    const items: BatchItem[] = [...urlItems([`${W}/a.js`, `${W}/b.js`]), { kind: 'dir', url: `${W}/img/` }]
    const since = clock.now()
    e.injectFaults([{ kind: 'reset-after-action' }])
    await expect(p.submit(batch('purge', items))).rejects.toMatchObject({ ambiguous: true })
    clock.advance(1500)
    const found = await p.findSubmitted!(batch('purge', items), since)
    expect(found).toMatchObject({ localId: true, op: 'purge', items, submittedAt: since })
    const lookup = bodyOf(e.requests.length - 1)
    expect(lookup.itemId).toBeUndefined()
    expect(parseGmt8(lookup.startTime)).toBeLessThan(since)
    expect(parseGmt8(lookup.endTime)).toBeGreaterThanOrEqual(clock.now())
    const s = await p.status([found as Task])
    expect(s.map((x) => [x.url, x.state])).toEqual([
      [`${W}/a.js`, 'success'],
      [`${W}/b.js`, 'success'],
      [`${W}/img/`, 'success']
    ])
    expect(bodyOf(e.requests.length - 1).startTime).toBeDefined()
  })

  it('finds none when a URL of the batch is missing or was listed only before the send (other runs)', async () => {
    const clock = testClock()
    const e = await start({ completeAfterMs: 0, now: clock.now })
    const p = on(retrying, clock.now)
    await p.submit(batch('purge', urlItems([`${W}/a.js`, `${W}/b.js`])))
    clock.advance(60_000)
    const since = clock.now()
    await p.submit(batch('purge', urlItems([`${W}/a.js`])))
    // b.js was purged a minute before the send only: not this batch's task
    expect(await p.findSubmitted!(batch('purge', urlItems([`${W}/a.js`, `${W}/b.js`])), since)).toBeNull()
    expect(await p.findSubmitted!(batch('purge', urlItems([`${W}/a.js`])), since)).toMatchObject({ localId: true })
    expect(e.items).toHaveLength(3)
  })

  it('does not look a prefetch up (its status allows one query per 5 minutes): the engine sends it again', async () => {
    const e = await start()
    const p = on(retrying)
    expect(await p.findSubmitted!(batch('prefetch', urlItems([`${W}/a.js`])), Date.now())).toBe('unknown')
    expect(e.requests).toHaveLength(0)
  })
})

describe('cdnetworks credentials check', () => {
  it.each([
    [{}, 'username'],
    [{ username: 'u' }, 'api-key'],
    [{ apiKey: 'k' }, 'username'],
    [{ accessKey: 'a' }, 'secret-key'],
    [{ secretKey: 's' }, 'access-key'],
    [{ username: 'u', apiKey: 'k', accessKey: 'a' }, 'secret-key']
  ])('%j is an InputError on %s', (c, input) => {
    let caught: unknown
    try {
      cdnetworks.readSettings(readerOf({ ...c }))
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(InputError)
    expect((caught as InputError).input).toBe(input)
    expect((caught as InputError).message).toMatch(/cdnetworks needs/)
  })
  it.each([
    { username: 'u', apiKey: 'k' },
    { accessKey: 'a', secretKey: 's' }
  ])('accepts %j', (c) => {
    expect(() => cdnetworks.readSettings(readerOf({ ...c }))).not.toThrow()
  })
})

describe('cdnetworks prefetch status under the engine poll loop', () => {
  it('spaces every page call 300 s apart: all pages read, no rate-limit answer, every URL final', async () => {
    let t = Date.now()
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) }
    const e = await start({ prefetchCompleteAfterMs: 0, maxPageSize: 3, now: clock.now })
    const p = client(creds, clock.now)
    const t1 = await p.submit(batch('prefetch', urlItems(Array.from({ length: 8 }, (_, i) => `${W}/g${i}.js`))))
    const t2 = await p.submit(batch('prefetch', urlItems([`${W}/h.js`])))
    // Concurrency 1: this clock jumps at once on sleep, so lanes sleeping together would skew it.
    const statuses = await pollUntilDone(p, [t1, t2], { deadline: t + 3_600_000, intervalMs: 300_000, firstDelayMs: 300_000, concurrency: 1 }, clock)
    expect([...statuses.values()].map((s) => s.state)).toEqual(Array(9).fill('success'))
    const queries = e.requests.filter((r) => r.path === '/ccm/fetch/ItemIdQuery')
    // 3 pages of t1, 1 of t2, and nothing asked again: the emulator refused no call.
    expect(queries).toHaveLength(4)
    const sent = queries.map((r) => Date.parse(r.headers.date as string))
    for (let i = 1; i < sent.length; i++) expect(sent[i] - sent[i - 1]).toBeGreaterThanOrEqual(300_000)
  })
})

describe('cdnetworks prefetch status: a rate limit is never final', () => {
  it('another job polling first: the refused call is a warning, the items finish in later rounds', async () => {
    let t = Date.now()
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) }
    await start({ prefetchCompleteAfterMs: 0, maxPageSize: 2, now: clock.now })
    const p = client(creds, clock.now)
    const task = await p.submit(batch('prefetch', urlItems([`${W}/r1.js`, `${W}/r2.js`, `${W}/r3.js`])))
    await client(creds, clock.now).status([task]) // the other job's call starts the 5 minutes
    const warnings: string[] = []
    const statuses = await pollUntilDone(p, [task], { deadline: t + 3_600_000, intervalMs: 300_000, firstDelayMs: 1_000, concurrency: 1 }, clock, (round) =>
      warnings.push(...round.warnings)
    )
    expect([...statuses.values()].map((s) => s.state)).toEqual(['success', 'success', 'success'])
    expect(warnings).toEqual([expect.stringMatching(/rate limited \(HTTP 200: request too frequently/)])
  })
})

describe('cdnetworks masking and status words', () => {
  it('registers every derived credential for masking: API-key password and Basic credential, AK/SK signature and Authorization', async () => {
    const e = await start({ completeAfterMs: 0 })
    for (const c of [creds, { accessKey: 'AK1', secretKey: 'SK1-secret' }]) {
      const masked: string[] = []
      const p = cdnetworks.create(
        {
          endpoint: e.url,
          request: transport.request,
          mask: (s) => masked.push(s),
          log: () => {},
          now: Date.now,
          sleep: async () => {}
        },
        { ...noCreds, ...c }
      )
      const before = e.requests.length
      const task = await p.submit(batch('purge', urlItems([`${W}/m.js`])))
      await p.status([task])
      for (const sent of e.requests.slice(before)) {
        const authorization = sent.headers.authorization as string
        if ('apiKey' in c) {
          const password = createHmac('sha1', c.apiKey)
            .update(sent.headers.date as string)
            .digest('base64')
          expect(masked).toEqual(expect.arrayContaining([password, authorization, authorization.slice('Basic '.length)]))
        } else {
          expect(masked).toEqual(expect.arrayContaining([authorization, /Signature=([0-9a-f]{64})$/.exec(authorization)![1]]))
        }
      }
    }
  })

  it.each([
    ['SUCCESS', 'success'],
    ['Success', 'success'],
    ['Failure', 'failure'],
    ['FAILURE', 'failure'],
    ['fail', 'failure'],
    ['Failed', 'failure'],
    ['RUN', 'pending'],
    ['Wait', 'pending']
  ])('reads the status word %s as %s', async (word, state) => {
    const e = await start()
    const task: Task = { id: 'w1', op: 'purge', items: urlItems([`${W}/a.js`]), submittedAt: Date.now() }
    e.injectFaults([
      {
        status: 200,
        body: JSON.stringify({
          Code: 1,
          message: 'success',
          count: 1,
          pageNo: 1,
          pageSize: 100,
          resultDetail: [{ url: `${W}/a.js`, status: word, rate: '100' }]
        }),
        headers: { 'Content-Type': 'application/json' }
      }
    ])
    expect(await client().status([task])).toEqual([{ taskId: 'w1', url: `${W}/a.js`, state, detail: word }])
  })
})
