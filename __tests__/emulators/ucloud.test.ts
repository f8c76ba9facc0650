/**
 * The ucloud emulator checks what the real UCDN API checks and rejects what it rejects;
 * these tests talk to it directly (signed by hand), without the provider.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startUcloudEmulator, UCLOUD_PARAMS_RETCODE, UCLOUD_QUOTA_RETCODE, type UcloudEmulator, type UcloudEmulatorOptions } from '../../emulators/ucloud.js'
import { createTransport } from '../../src/http/transport.js'
import { signUcloudParams, type UcloudParams } from '../../src/providers/ucloud.js'

const PUBLIC = 'pub-1'
const PRIVATE = 'priv-1'

let emulator: UcloudEmulator | null = null
let clock = 1_700_000_000_000
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

async function start(options: UcloudEmulatorOptions = {}): Promise<UcloudEmulator> {
  clock = 1_700_000_000_000
  emulator = await startUcloudEmulator({ keys: { [PUBLIC]: PRIVATE }, now: () => clock, ...options })
  return emulator
}

interface CallOptions {
  publicKey?: string
  privateKey?: string
  /** Send as application/x-www-form-urlencoded instead of JSON. */
  form?: boolean
  /** Send these params as they are (no PublicKey or Signature added). */
  raw?: boolean
}

async function call(params: UcloudParams, o: CallOptions = {}): Promise<{ status: number; body: any }> {
  let signed: UcloudParams = params
  if (!o.raw) {
    signed = { ...params, PublicKey: o.publicKey ?? PUBLIC }
    signed.Signature = signUcloudParams(signed, o.privateKey ?? PRIVATE)
  }
  const body = o.form ? new URLSearchParams(Object.entries(signed).map(([k, v]): [string, string] => [k, String(v)])).toString() : JSON.stringify(signed)
  const res = await transport.request({
    method: 'POST',
    url: `${emulator!.url}/`,
    headers: { 'Content-Type': o.form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body
  })
  return { status: res.status, body: JSON.parse(res.text) }
}

const urlList = (urls: string[]): Record<string, string> => Object.fromEntries(urls.map((u, i) => [`UrlList.${i}`, u]))
const many = (n: number, host = 'a.example.com', suffix = '') => Array.from({ length: n }, (_, i) => `http://${host}/${i}${suffix}`)
const refresh = (type: string, urls: string[], o?: CallOptions) => call({ Action: 'RefreshNewUcdnDomainCache', Type: type, ...urlList(urls) }, o)
const prefetch = (urls: string[], o?: CallOptions) => call({ Action: 'PrefetchNewUcdnDomainCache', ...urlList(urls) }, o)
const describeRefresh = (params: UcloudParams = {}) => call({ Action: 'DescribeNewUcdnRefreshCacheTask', ...params })

describe('ucloud emulator: authentication', () => {
  it('accepts a correctly signed JSON request, answering HTTP 200, RetCode 0 and a TaskId', async () => {
    await start()
    const r = await refresh('file', ['http://a.example.com/x'])
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ Action: 'RefreshNewUcdnDomainCacheResponse', RetCode: 0 })
    expect(r.body.TaskId).toMatch(/^[A-Za-z]{8}$/)
  })

  it('accepts a form-encoded body', async () => {
    const e = await start()
    const r = await refresh('dir', ['http://a.example.com/img/'], { form: true })
    expect(r.body.RetCode).toBe(0)
    expect(e.tasks.get(r.body.TaskId)?.type).toBe('dir')
  })

  it('verifies signatures the way the known-answer vector was made (its own implementation)', async () => {
    await start({ keys: { 'uclouduser@example.com14315000530001556269999': 'afcaaa83f649dc64f05967f00076bc47d1fa9999' } })
    const vector = {
      Action: 'RefreshUcdnDomainCache',
      DomainId: 'ucdn-uw3rtw',
      PublicKey: 'uclouduser@example.com14315000530001556269999',
      Type: 'dir',
      'UrlList.0': 'http://test.example.com/folder1/'
    }
    const good = await call({ ...vector, Signature: '42a109a9b8d783c6ac8052653a959ffe6cb720b4' }, { raw: true })
    // The signature passes; the old action itself is not emulated.
    expect(good.body).toMatchObject({ RetCode: 161 })
    const bad = await call({ ...vector, Signature: '42a109a9b8d783c6ac8052653a959ffe6cb720b5' }, { raw: true })
    expect(bad.body).toMatchObject({ RetCode: 171, Message: 'Signature VerifyAC Error' })
  })

  it.each([
    ['a wrong private key', () => refresh('file', ['http://a.example.com/x'], { privateKey: 'wrong' }), 171, 'Signature VerifyAC Error'],
    ['an unknown PublicKey', () => refresh('file', ['http://a.example.com/x'], { publicKey: 'stranger' }), 172, 'User not exists'],
    [
      'no Signature',
      () => call({ Action: 'RefreshNewUcdnDomainCache', PublicKey: PUBLIC, Type: 'file', 'UrlList.0': 'http://a.example.com/x' }, { raw: true }),
      170,
      'Missing signature'
    ],
    ['no Action', () => call({ Type: 'file' }), 160, 'Missing Action'],
    ['an unknown Action', () => call({ Action: 'PurgeEverything' }), 161, 'Action [PurgeEverything] not found']
  ])('refuses %s with HTTP 200 and RetCode %d, creating no task', async (_, send, code, message) => {
    const e = await start()
    const r = await send()
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ RetCode: code, Message: message })
    expect(e.tasks.size).toBe(0)
  })

  it('refuses a parameter changed after signing', async () => {
    await start()
    const params: UcloudParams = { Action: 'RefreshNewUcdnDomainCache', PublicKey: PUBLIC, Type: 'file', 'UrlList.0': 'http://a.example.com/x' }
    params.Signature = signUcloudParams(params, PRIVATE)
    const r = await call({ ...params, 'UrlList.0': 'http://a.example.com/y' }, { raw: true })
    expect(r.body.RetCode).toBe(171)
  })

  it('refuses an unknown ProjectId with 292 when projects are configured', async () => {
    await start({ projects: ['org-1'] })
    expect((await call({ Action: 'RefreshNewUcdnDomainCache', ProjectId: 'org-2', Type: 'file', 'UrlList.0': 'http://a.example.com/x' })).body.RetCode).toBe(
      292
    )
    expect((await call({ Action: 'RefreshNewUcdnDomainCache', ProjectId: 'org-1', Type: 'file', 'UrlList.0': 'http://a.example.com/x' })).body.RetCode).toBe(0)
  })

  it('refuses a nested (unflattened) JSON value', async () => {
    await start()
    const r = await call({ Action: 'RefreshNewUcdnDomainCache', Type: 'file', UrlList: ['http://a.example.com/x'] as unknown as string }, { raw: true })
    expect(r.body.RetCode).toBe(UCLOUD_PARAMS_RETCODE)
    expect(r.body.Message).toMatch(/UrlList/)
  })

  it('counts every request it receives, refused ones included, by Action', async () => {
    const e = await start()
    await refresh('file', ['http://a.example.com/x'])
    await refresh('file', ['http://a.example.com/x'], { privateKey: 'wrong' })
    await describeRefresh()
    await call({ Type: 'file' })
    expect(e.actionCounts()).toEqual({ RefreshNewUcdnDomainCache: 2, DescribeNewUcdnRefreshCacheTask: 1, '': 1 })
    expect(e.requests).toHaveLength(4)
  })
})

describe('ucloud emulator: per-call limits', () => {
  it('takes 100 URLs in one refresh and refuses 101', async () => {
    const e = await start()
    expect((await refresh('file', many(100))).body.RetCode).toBe(0)
    const r = await refresh('file', many(101, 'b.example.com'))
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ RetCode: UCLOUD_PARAMS_RETCODE, Message: 'Params [UrlList] not available: at most 100 URLs per call, got 101' })
    expect(e.tasks.size).toBe(1)
  })

  it('takes 1,000 URLs in one prefetch and refuses 1,001', async () => {
    await start({ quotas: { prefetch: 5000 } })
    expect((await prefetch(many(1000))).body.RetCode).toBe(0)
    clock += 10_000
    expect((await prefetch(many(1001, 'b.example.com'))).body).toMatchObject({
      RetCode: UCLOUD_PARAMS_RETCODE,
      Message: expect.stringMatching(/at most 1000 URLs/)
    })
  })

  it.each([
    [{ 'UrlList.0': 'http://a.example.com/x' }, /Missing params \[Type\]/],
    [{ Type: 'both', 'UrlList.0': 'http://a.example.com/x' }, /Params \[Type\] not available/],
    [{ Type: 'dir', 'UrlList.0': 'http://a.example.com/img' }, /Params \[UrlList\.0\] not available: a directory must end with \//],
    [{ Type: 'file' }, /Missing params \[UrlList\.0\]/],
    [{ Type: 'file', 'UrlList.0': 'http://a.example.com/x', 'UrlList.2': 'http://a.example.com/y' }, /without gaps/],
    [{ Type: 'file', 'UrlList.0': 'ftp://a.example.com/x' }, /must start with http/],
    [{ Type: 'file', 'UrlList.0': '/x.js' }, /must start with http/]
  ])('refuses refresh params %j', async (params, message) => {
    const e = await start()
    const r = await call({ Action: 'RefreshNewUcdnDomainCache', ...params })
    expect(r.body.RetCode).toBe(UCLOUD_PARAMS_RETCODE)
    expect(r.body.Message).toMatch(message)
    expect(e.tasks.size).toBe(0)
  })

  it('sorts UrlList.N by number, not by text (UrlList.10 is the eleventh URL)', async () => {
    const e = await start()
    const r = await refresh('file', many(12))
    expect(e.tasks.get(r.body.TaskId)?.urls).toEqual(many(12))
  })

  it('refuses a second prefetch within 10 s with RetCode 153, and takes it after', async () => {
    const e = await start()
    expect((await prefetch(['http://a.example.com/1'])).body.RetCode).toBe(0)
    clock += 9_999
    const tooFast = await prefetch(['http://a.example.com/2'])
    expect(tooFast.status).toBe(200)
    expect(tooFast.body).toMatchObject({ RetCode: 153, Message: expect.stringMatching(/Request too frequently/) })
    clock += 1
    expect((await prefetch(['http://a.example.com/2'])).body.RetCode).toBe(0)
    expect(e.tasks.size).toBe(2)
  })

  it('applies the prefetch interval per account and as configured', async () => {
    await start({ keys: { [PUBLIC]: PRIVATE, other: 'other-key' }, prefetchIntervalMs: 60_000 })
    expect((await prefetch(['http://a.example.com/1'])).body.RetCode).toBe(0)
    expect((await prefetch(['http://a.example.com/1'], { publicKey: 'other', privateKey: 'other-key' })).body.RetCode).toBe(0)
    clock += 30_000
    expect((await prefetch(['http://a.example.com/2'])).body.RetCode).toBe(153)
    clock += 30_000
    expect((await prefetch(['http://a.example.com/2'])).body.RetCode).toBe(0)
  })
})

describe('ucloud emulator: daily quotas per domain', () => {
  it('allows 700 file refreshes a day per domain by default, then names the quota', async () => {
    const e = await start()
    for (let i = 0; i < 7; i++) expect((await refresh('file', many(100, 'a.example.com', `-${i}`))).body.RetCode).toBe(0)
    const over = await refresh('file', ['http://a.example.com/one-more'])
    expect(over.body).toMatchObject({
      RetCode: UCLOUD_QUOTA_RETCODE,
      Message: 'Daily quota exceeded: refresh of files on a.example.com is limited to 700 a day (700 used today, 1 asked)'
    })
    // Another domain has its own quota.
    expect((await refresh('file', ['http://b.example.com/x'])).body.RetCode).toBe(0)
    expect(e.tasks.size).toBe(8)
  })

  it('allows 20 directory refreshes and 500 prefetches by default', async () => {
    await start({ prefetchIntervalMs: 0 })
    expect((await refresh('dir', many(20, 'a.example.com', '/'))).body.RetCode).toBe(0)
    expect((await refresh('dir', ['http://a.example.com/more/'])).body.Message).toMatch(/refresh of directories on a\.example\.com is limited to 20 a day/)
    expect((await prefetch(many(500))).body.RetCode).toBe(0)
    expect((await prefetch(['http://a.example.com/more'])).body.Message).toMatch(/prefetch on a\.example\.com is limited to 500 a day/)
  })

  it('refuses a whole call that would cross the quota, takes configured quotas, and resets the next day', async () => {
    await start({ quotas: { file: 3 } })
    expect((await refresh('file', many(2))).body.RetCode).toBe(0)
    expect((await refresh('file', many(2, 'a.example.com', 'b'))).body.RetCode).toBe(UCLOUD_QUOTA_RETCODE)
    expect((await refresh('file', ['http://a.example.com/last'])).body.RetCode).toBe(0)
    clock += 86_400_000
    expect((await refresh('file', many(3))).body.RetCode).toBe(0)
  })
})

describe('ucloud emulator: task status', () => {
  it('moves URLs wait → process → success with Progress, and fails or stalls the URLs named', async () => {
    await start({ completeAfterMs: 300, failUrls: ['http://a.example.com/bad'], stallUrls: ['http://a.example.com/stuck'] })
    const id = (await refresh('file', ['http://a.example.com/ok', 'http://a.example.com/bad', 'http://a.example.com/stuck'])).body.TaskId
    const look = async () => (await describeRefresh({ 'TaskId.0': id })).body.TaskList[0]
    const states = (t: any) => t.UrlLists.map((u: any) => [u.Status, u.Progress])

    const t0 = await look()
    expect(t0.Status).toBe('process')
    expect(states(t0)).toEqual([
      ['wait', 0],
      ['wait', 0],
      ['process', 1]
    ])
    clock += 150
    expect(states(await look())).toEqual([
      ['process', 50],
      ['process', 50],
      ['process', 50]
    ])
    clock += 1_000_000
    const done = await look()
    expect(states(done)).toEqual([
      ['success', 100],
      ['failure', 0],
      ['process', 50]
    ])
    expect(done.Status).toBe('process')
    expect(done.UrlLists[0].FinishTime).toBe(Math.floor((1_700_000_000_000 + 300) / 1000))
  })

  it('answers many TaskId.N in one call, only this account and kind, with TotalCount and Offset/Limit paging', async () => {
    await start({ completeAfterMs: 0, prefetchIntervalMs: 0 })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push((await refresh('file', [`http://a.example.com/${i}`])).body.TaskId)
      clock += 1000
    }
    const prefetchId = (await prefetch(['http://a.example.com/p'])).body.TaskId
    const asked = Object.fromEntries([...ids.slice(0, 4), prefetchId].map((id, i) => [`TaskId.${i}`, id]))
    const all = (await describeRefresh(asked)).body
    expect(all.TotalCount).toBe(4)
    // Newest first.
    expect(all.TaskList.map((t: any) => t.TaskId)).toEqual(ids.slice(0, 4).reverse())
    const page = (await describeRefresh({ ...asked, Offset: 1, Limit: 2 })).body
    expect(page.TotalCount).toBe(4)
    expect(page.TaskList.map((t: any) => t.TaskId)).toEqual([ids[2], ids[1]])
    expect((await describeRefresh()).body.TotalCount).toBe(5)
    expect((await call({ Action: 'DescribeNewUcdnPrefetchCacheTask' })).body.TaskList.map((t: any) => t.TaskId)).toEqual([prefetchId])
  })

  it('caps a page at maxPageSize whatever Limit asks', async () => {
    await start({ maxPageSize: 2 })
    for (let i = 0; i < 3; i++) await refresh('file', [`http://a.example.com/${i}`])
    const r = (await describeRefresh({ Limit: 10 })).body
    expect(r.TotalCount).toBe(3)
    expect(r.TaskList).toHaveLength(2)
  })

  it('lists only the last day by default, and filters by BeginTime/EndTime and Status', async () => {
    await start({ completeAfterMs: 0, failUrls: ['http://a.example.com/bad'] })
    const old = (await refresh('file', ['http://a.example.com/old'])).body.TaskId
    clock += 2 * 86_400_000
    const bad = (await refresh('file', ['http://a.example.com/bad'])).body.TaskId
    const ids = (r: any) => r.body.TaskList.map((t: any) => t.TaskId)
    expect(ids(await describeRefresh())).toEqual([bad])
    const since = Math.floor(1_700_000_000_000 / 1000)
    expect(ids(await describeRefresh({ BeginTime: since }))).toEqual([bad, old])
    expect(ids(await describeRefresh({ BeginTime: since, EndTime: since + 60 }))).toEqual([old])
    expect(ids(await describeRefresh({ BeginTime: since, Status: 'success' }))).toEqual([old])
    expect((await describeRefresh({ EndTime: since })).body.RetCode).toBe(UCLOUD_PARAMS_RETCODE)
    expect((await describeRefresh({ Offset: -1 })).body.RetCode).toBe(UCLOUD_PARAMS_RETCODE)
    expect((await describeRefresh({ Status: 'done' })).body.RetCode).toBe(UCLOUD_PARAMS_RETCODE)
  })

  it('can answer status words in upper case', async () => {
    await start({ completeAfterMs: 0, statusCase: 'upper' })
    const id = (await refresh('file', ['http://a.example.com/x'])).body.TaskId
    const t = (await describeRefresh({ 'TaskId.0': id })).body.TaskList[0]
    expect([t.Status, t.UrlLists[0].Status]).toEqual(['SUCCESS', 'SUCCESS'])
  })
})
