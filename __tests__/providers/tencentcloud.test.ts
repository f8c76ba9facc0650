import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startTencentEmulator, verifyTc3, type TencentEmulator, type TencentEmulatorOptions } from '../../emulators/tencentcloud.js'
import { batchForProvider, checkPlanFits } from '../../src/engine/batch.js'
import { InputError } from '../../src/errors.js'
import { createTransport } from '../../src/http/transport.js'
import { ProviderError, UrlQuotaShortError, type BatchItem, type Task } from '../../src/providers/provider.js'
import { settingsOf } from './reader.js'
import { TENCENT_MAX_ATTEMPTS } from '../../src/providers/tencentcloud/client.js'
import { tencentcloud, type TencentClient } from '../../src/providers/tencentcloud/index.js'
import { tc3Sign } from '../../src/providers/tencentcloud/signer.js'

const CVM_BODY = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
const CONTENT_TYPE = 'application/json; charset=utf-8'
const EXAMPLE_ID = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE'
const EXAMPLE_KEY = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE'
const keyOf = (table: Record<string, string>) => (id: string) => table[id]
const cvmHeaders = (authorization: string, extra: Record<string, string> = {}) => ({
  authorization,
  'content-type': CONTENT_TYPE,
  host: 'cvm.tencentcloudapi.com',
  'x-tc-timestamp': '1551113065',
  ...extra
})
const request = (headers: Record<string, string>, body = CVM_BODY) => ({ method: 'POST', path: '/', query: '', headers, body })

let emulator: TencentEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

async function start(options: TencentEmulatorOptions = {}): Promise<TencentEmulator> {
  emulator = await startTencentEmulator(options)
  return emulator
}

describe("the emulator's own TC3 verifier accepts the vectors of providers-next.md §2", () => {
  it('T-1 (published)', () => {
    const auth =
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c'
    const secretKeyOf = keyOf({ 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******': 'Gu5t9xGARNpq86cd98joQYCN3*******' })
    expect(verifyTc3(request(cvmHeaders(auth)), secretKeyOf, 'cvm')).toEqual({ ok: true, secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******' })
    // One byte of the body changed: refused.
    expect(verifyTc3(request(cvmHeaders(auth), CVM_BODY.replace('1', '2')), secretKeyOf, 'cvm').code).toBe('AuthFailure.SignatureFailure')
  })

  it('T-2 (published) and T-3 (derived, x-tc-action signed)', () => {
    const secretKeyOf = keyOf({ [EXAMPLE_ID]: EXAMPLE_KEY })
    const t2 = `TC3-HMAC-SHA256 Credential=${EXAMPLE_ID}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168`
    expect(verifyTc3(request(cvmHeaders(t2)), secretKeyOf, 'cvm').ok).toBe(true)
    const t3 = `TC3-HMAC-SHA256 Credential=${EXAMPLE_ID}/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host;x-tc-action, Signature=644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26`
    expect(verifyTc3(request(cvmHeaders(t3, { 'x-tc-action': 'DescribeInstances' })), secretKeyOf, 'cvm').ok).toBe(true)
    // Signed x-tc-action must be the one sent.
    expect(verifyTc3(request(cvmHeaders(t3, { 'x-tc-action': 'RunInstances' })), secretKeyOf, 'cvm').ok).toBe(false)
  })

  it('T-4 (derived, CDN purge)', () => {
    const auth = `TC3-HMAC-SHA256 Credential=${EXAMPLE_ID}/2023-11-14/cdn/tc3_request, SignedHeaders=content-type;host, Signature=4829893c5479d5e747b2e91b319cb2d0159626144d35f23091db34f71829f30d`
    const headers = { authorization: auth, 'content-type': CONTENT_TYPE, host: 'cdn.tencentcloudapi.com', 'x-tc-timestamp': '1700000000' }
    const body = '{"Urls":["https://example.com/a.png","https://example.com/b.png"]}'
    expect(verifyTc3(request(headers, body), keyOf({ [EXAMPLE_ID]: EXAMPLE_KEY }), 'cdn').ok).toBe(true)
    // The wrong service in the scope, or a SignedHeaders without host, is refused.
    expect(verifyTc3(request(headers, body), keyOf({ [EXAMPLE_ID]: EXAMPLE_KEY }), 'cvm').ok).toBe(false)
    expect(
      verifyTc3(request({ ...headers, authorization: auth.replace('content-type;host', 'content-type') }, body), keyOf({ [EXAMPLE_ID]: EXAMPLE_KEY }), 'cdn')
        .code
    ).toBe('AuthFailure.InvalidAuthorization')
    expect(verifyTc3(request(headers, body), keyOf({}), 'cdn').code).toBe('AuthFailure.SecretIdNotFound')
  })
})

/** A raw signed call to the emulator (the client is tested further down). */
async function raw(action: string, body: object, opts: { secretKey?: string; timestamp?: number; version?: string; token?: string } = {}) {
  const host = new URL(emulator!.url).host
  const text = JSON.stringify(body)
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000)
  const s = tc3Sign({
    secretId: 'AKIDtest',
    secretKey: opts.secretKey ?? 'test-secret-key',
    service: 'cdn',
    host,
    timestamp,
    contentType: 'application/json',
    body: text,
    action
  })
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Authorization: s.authorization,
    'X-TC-Action': action,
    'X-TC-Version': opts.version ?? '2018-06-06',
    'X-TC-Timestamp': String(timestamp)
  }
  if (opts.token) headers['X-TC-Token'] = opts.token
  const res = await transport.request({ method: 'POST', url: emulator!.url + '/', headers, body: text, idempotent: true })
  return {
    status: res.status,
    body: JSON.parse(res.text) as { Response: Record<string, unknown> & { Error?: { Code: string; Message: string }; RequestId: string } }
  }
}

describe('the Tencent Cloud CDN emulator', () => {
  it('answers errors as HTTP 200 with Response.Error {Code, Message} and a RequestId', async () => {
    await start()
    const bad = await raw('PurgeUrlsCache', { Urls: ['https://a.example.com/x'] }, { secretKey: 'wrong' })
    expect(bad.status).toBe(200)
    expect(bad.body.Response.Error?.Code).toBe('AuthFailure.SignatureFailure')
    expect(typeof bad.body.Response.Error?.Message).toBe('string')
    expect(bad.body.Response.RequestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(
      (await raw('PurgeUrlsCache', { Urls: ['https://a.example.com/x'] }, { timestamp: Math.floor(Date.now() / 1000) - 301 })).body.Response.Error?.Code
    ).toBe('AuthFailure.SignatureExpire')
    expect((await raw('PurgeUrlsCache', { Urls: ['https://a.example.com/x'] }, { version: '2017-01-01' })).body.Response.Error?.Code).toBe('NoSuchVersion')
    expect((await raw('NoSuchThing', {})).body.Response.Error?.Code).toBe('InvalidAction')
  })

  it('takes a purge, lists one row per URL sharing the TaskId, moves process → done/fail', async () => {
    let clock = Date.now()
    await start({ now: () => clock, completeAfterMs: 1000, failUrls: ['https://a.example.com/bad'] })
    const submitted = await raw('PurgeUrlsCache', { Urls: ['https://a.example.com/ok', 'https://a.example.com/bad'] })
    const id = submitted.body.Response.TaskId as string
    expect(typeof id).toBe('string')
    const rows = async () => (await raw('DescribePurgeTasks', { TaskId: id })).body.Response.PurgeLogs as { Url: string; Status: string; TaskId: string }[]
    expect((await rows()).map((r) => r.Status)).toEqual(['process', 'process'])
    clock += 1000
    const final = await rows()
    expect(Object.fromEntries(final.map((r) => [r.Url, r.Status]))).toEqual({ 'https://a.example.com/ok': 'done', 'https://a.example.com/bad': 'fail' })
    expect(new Set(final.map((r) => r.TaskId))).toEqual(new Set([id]))
    expect((await raw('DescribePurgeTasks', {})).body.Response.Error?.Code).toBe('MissingParameter')
  })

  it('enforces per-call limits, FlushType, daily quotas (shown by Describe*Quota), and 20 requests/s', async () => {
    const clock = Date.now()
    await start({ now: () => clock, quotas: { pathPurge: 3 }, domainAreas: { 'g.example.com': 'global' } })
    const many = Array.from({ length: 501 }, (_, i) => `https://a.example.com/${i}`)
    expect((await raw('PushUrlsCache', { Urls: many })).body.Response.Error?.Code).toBe('LimitExceeded.CdnPushExceedBatchLimit')
    expect((await raw('PurgePathCache', { Paths: ['https://a.example.com/d/'] })).body.Response.Error?.Code).toBe('MissingParameter')
    expect(
      (await raw('PurgePathCache', { Paths: ['https://a.example.com/d/', 'https://a.example.com/e/'], FlushType: 'flush' })).body.Response.TaskId
    ).toBeDefined()
    const quota = (await raw('DescribePurgeQuota', {})).body.Response
    expect(quota.PathPurge).toContainEqual({ Batch: 500, Total: 3, Available: 1, Area: 'mainland' })
    expect(quota.UrlPurge).toContainEqual({ Batch: 1000, Total: 10000, Available: 10000, Area: 'overseas' })
    expect(
      (await raw('PurgePathCache', { Paths: ['https://a.example.com/d/', 'https://a.example.com/e/'], FlushType: 'flush' })).body.Response.Error?.Code
    ).toBe('LimitExceeded.CdnPurgePathExceedDayLimit')
    // A global prefetch takes both regions' quota; it needs a domain accelerated worldwide.
    expect((await raw('PushUrlsCache', { Urls: ['https://a.example.com/1'], Area: 'global' })).body.Response.Error?.Code).toBe('InvalidParameter.CdnParamError')
    await raw('PushUrlsCache', { Urls: ['https://g.example.com/1'], Area: 'global' })
    const push = (await raw('DescribePushQuota', {})).body.Response.UrlPush as { Available: number }[]
    expect(push.map((q) => q.Available)).toEqual([999, 999])
    const codes: string[] = []
    for (let i = 0; i < 21; i++) codes.push((await raw('DescribePushQuota', {})).body.Response.Error?.Code ?? 'ok')
    expect(codes.filter((c) => c === 'RequestLimitExceeded').length).toBeGreaterThan(0)
  })

  it('pages by Offset/Limit over a time range and filters by Keyword', async () => {
    await start()
    for (let i = 0; i < 3; i++) await raw('PushUrlsCache', { Urls: [`https://a.example.com/${i}`, `https://b.example.com/${i}`] })
    const start0 = new Date(Date.now() + 8 * 3600_000 - 60_000).toISOString().slice(0, 19).replace('T', ' ')
    const page = (await raw('DescribePushTasks', { StartTime: start0, Offset: 2, Limit: 3 })).body.Response
    expect(page.TotalCount).toBe(6)
    expect(page.PushLogs).toHaveLength(3)
    const kw = (await raw('DescribePushTasks', { StartTime: start0, Keyword: 'https://b.example.com/1' })).body.Response
    expect(kw.TotalCount).toBe(1)
    expect((await raw('DescribePushTasks', { StartTime: start0, Keyword: 'a.example.com' })).body.Response.TotalCount).toBe(3)
  })

  it('requires X-TC-Token for temporary credentials', async () => {
    await start({ tokens: { AKIDtest: 'session-token' } })
    expect((await raw('DescribePurgeQuota', {})).body.Response.Error?.Code).toBe('AuthFailure.TokenFailure')
    expect((await raw('DescribePurgeQuota', {}, { token: 'session-token' })).body.Response.Error).toBeUndefined()
  })
})

const keys = { accessKey: 'AKIDtest', secretKey: 'test-secret-key' }

interface Harness {
  p: TencentClient
  masked: string[]
  logged: string[]
  slept: number[]
}

/** A client against the emulator; `sleep` is fake (records the pause, then runs `onSleep`). */
function client(
  creds: { accessKey: string; secretKey: string } = keys,
  extra: { now?: () => number; onSleep?: (ms: number) => void; sessionToken?: string } = {}
): Harness {
  const h: Harness = { p: null as unknown as TencentClient, masked: [], logged: [], slept: [] }
  h.p = tencentcloud.create(
    {
      endpoint: emulator!.url,
      request: transport.request,
      mask: (s) => h.masked.push(s),
      log: (l) => h.logged.push(l),
      now: extra.now ?? Date.now,
      sleep: async (ms) => {
        h.slept.push(ms)
        extra.onSleep?.(ms)
      }
    },
    { ...creds, sessionToken: extra.sessionToken ?? '' }
  ) as TencentClient
  return h
}

const urls = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'url', url }))
const dirs = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'dir', url }))
const bodyOf = (i: number) => JSON.parse(emulator!.requests[i].body) as Record<string, unknown>

describe('tencentcloud provider against its emulator', () => {
  it('readSettings names access-key, secret-key and session-token', () => {
    expect(() => settingsOf(tencentcloud, { secretKey: 'x' })).toThrow(InputError)
    expect(() => settingsOf(tencentcloud, { secretKey: 'x' })).toThrow(/access-key/)
    expect(() => settingsOf(tencentcloud, { accessKey: 'AKID' })).toThrow(/secret-key/)
    expect(() => settingsOf(tencentcloud, { ...keys, sessionToken: 'a b' })).toThrow(/session-token/)
    expect(settingsOf(tencentcloud, { ...keys, sessionToken: 'tok' })).toEqual({ ...keys, sessionToken: 'tok' })
    expect(tencentcloud.inputs.map((i) => [i.name, i.secret, i.env])).toEqual([
      ['access-key', false, ['TENCENTCLOUD_SECRET_ID']],
      ['secret-key', true, ['TENCENTCLOUD_SECRET_KEY']],
      ['session-token', true, ['TENCENTCLOUD_SESSION_TOKEN']]
    ])
  })

  it('batches to the per-call limits of §2: 1,000 purge URLs, 500 directories, 500 prefetch URLs', () => {
    const many = (n: number, kind: 'url' | 'dir') =>
      Array.from({ length: n }, (_, i) => ({ kind, url: `https://a.example.com/${i}${kind === 'dir' ? '/' : ''}` }))
    expect(batchForProvider('purge', many(1000, 'url'), tencentcloud.limits).map((b) => b.items.length)).toEqual([1000])
    expect(batchForProvider('purge', many(1001, 'dir'), tencentcloud.limits).map((b) => b.items.length)).toEqual([500, 500, 1])
    expect(batchForProvider('prefetch', many(1000, 'url'), tencentcloud.limits).map((b) => b.items.length)).toEqual([500, 500])
  })

  it('a URL holding * is an input error before anything is sent (Tencent refuses wildcards, §2 "Errors")', () => {
    const fits = (plan: { purgeUrls?: string[]; purgeDirs?: string[]; prefetchUrls?: string[] }) => () =>
      checkPlanFits(
        { purgeUrls: [], purgeDirs: [], prefetchUrls: [], ...plan },
        tencentcloud.limits,
        'tencentcloud',
        ['purge', 'prefetch'],
        tencentcloud.refuseItem
      )
    expect(fits({ purgeUrls: ['https://a.example.com/a*b.png'] })).toThrow(InputError)
    expect(fits({ purgeUrls: ['https://a.example.com/a*b.png'] })).toThrow(/tencentcloud cannot take https:\/\/a\.example\.com\/a\*b\.png: .*wildcard/)
    expect(fits({ purgeDirs: ['https://a.example.com/*/'] })).toThrow(/wildcard/)
    expect(fits({ prefetchUrls: ['https://a.example.com/x*'] })).toThrow(/wildcard/)
    expect(
      fits({ purgeUrls: ['https://a.example.com/a%2Ab.png', 'https://a.example.com/%E4%B8%AD%20x.png'], purgeDirs: ['https://a.example.com/d/'] })
    ).not.toThrow()
  })

  it('purges URLs with PurgeUrlsCache, signs x-tc-action, masks the signature and Authorization', async () => {
    await start()
    const h = client()
    const task = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2') })
    expect(task.id).toBe([...emulator!.tasks.keys()][0])
    const req = emulator!.requests[0]
    expect(req.headers['x-tc-action']).toBe('PurgeUrlsCache')
    expect(req.headers['x-tc-version']).toBe('2018-06-06')
    expect(req.headers['x-tc-token']).toBeUndefined()
    expect(bodyOf(0)).toEqual({ Urls: ['https://a.example.com/1', 'https://a.example.com/2'] })
    const auth = String(req.headers.authorization)
    expect(auth).toContain('SignedHeaders=content-type;host;x-tc-action')
    expect(h.masked).toContain(auth)
    expect(h.masked).toContain(auth.slice(-64))
  })

  it('sends directories with PurgePathCache (FlushType delete) and prefetches with PushUrlsCache; sends X-TC-Token', async () => {
    await start({ tokens: { AKIDtest: 'sts-token' } })
    const h = client(keys, { sessionToken: 'sts-token' })
    await h.p.submit({ op: 'purge', host: '', items: dirs('https://a.example.com/img/') })
    await h.p.submit({ op: 'prefetch', host: '', items: urls('https://a.example.com/a.png') })
    expect(emulator!.actionCounts()).toEqual({ PurgePathCache: 1, PushUrlsCache: 1 })
    expect(bodyOf(0)).toEqual({ Paths: ['https://a.example.com/img/'], FlushType: 'delete' })
    // delete = every object under the directory; flush would purge only what changed at the origin (§2).
    expect([...emulator!.tasks.values()][0].flushType).toBe('delete')
    expect(emulator!.requests[1].headers['x-tc-token']).toBe('sts-token')
  })

  it('polls many tasks in one call to done / fail / invalid (fake clock)', async () => {
    let clock = Date.now()
    await start({ now: () => clock, completeAfterMs: 5000, failUrls: ['https://a.example.com/bad'], invalidUrls: ['https://a.example.com/gone'] })
    const h = client(keys, { now: () => clock })
    const purges: Task[] = [
      await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/bad') }),
      await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/2') }),
      await h.p.submit({ op: 'purge', host: '', items: dirs('https://a.example.com/d/') })
    ]
    const before = emulator!.requests.length
    const pending = await h.p.status(purges)
    expect(emulator!.requests.length - before).toBe(1)
    expect(pending.map((s) => s.state)).toEqual(['pending', 'pending', 'pending', 'pending'])
    expect(pending[0].detail).toBe('process')
    clock += 5000
    const final = await h.p.status(purges)
    expect(final.map((s) => [s.url, s.state, s.detail])).toEqual([
      ['https://a.example.com/1', 'success', 'done'],
      ['https://a.example.com/bad', 'failure', 'fail'],
      ['https://a.example.com/2', 'success', 'done'],
      ['https://a.example.com/d/', 'success', 'done']
    ])
    const push = await h.p.submit({ op: 'prefetch', host: '', items: urls('https://a.example.com/ok', 'https://a.example.com/gone') })
    clock += 5000
    expect((await h.p.status([push])).map((s) => s.state)).toEqual(['success', 'failure'])
    expect(emulator!.actionCounts().DescribePushTasks).toBe(1)
  })

  it('matches rows to URLs however Tencent spells them back (decoded non-ASCII and spaces, lowercase hex)', async () => {
    let clock = Date.now()
    await start({ now: () => clock, completeAfterMs: 10, urlSpelling: 'decoded', failUrls: ['https://a.example.com/%e4%b8%ad/b%20c.png'] })
    const h = client(keys, { now: () => clock })
    const batch = { op: 'purge' as const, host: '', items: urls('https://a.example.com/%E4%B8%AD%20x.png', 'https://a.example.com/%e4%b8%ad/b%20c.png') }
    const task = await h.p.submit(batch)
    const other = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/%2F%3F.png') })
    clock += 10
    expect((await h.p.status([task, other])).map((s) => [s.url, s.state, s.detail])).toEqual([
      ['https://a.example.com/%E4%B8%AD%20x.png', 'success', 'done'],
      ['https://a.example.com/%e4%b8%ad/b%20c.png', 'failure', 'fail'],
      ['https://a.example.com/%2F%3F.png', 'success', 'done']
    ])
    expect(await h.p.findSubmitted(batch, clock - 1000)).toMatchObject({ id: task.id })
  })

  it('reads every page when rows exceed one page', async () => {
    await start({ maxPageSize: 2 })
    const h = client()
    const tasks: Task[] = []
    for (let i = 0; i < 3; i++)
      tasks.push(await h.p.submit({ op: 'purge', host: '', items: urls(`https://a.example.com/${i}a`, `https://a.example.com/${i}b`) }))
    const states = await h.p.status(tasks)
    expect(states).toHaveLength(6)
    expect(states.every((s) => s.detail !== 'not listed by DescribePurgeTasks yet')).toBe(true)
    expect(emulator!.actionCounts().DescribePurgeTasks).toBe(3)
    expect(h.slept).toEqual([50, 50])
  })

  it('1,000 rows in one page: Limit 1000, the rows of two 500-URL tasks in one call', async () => {
    await start()
    const h = client()
    const tasks: Task[] = []
    for (let t = 0; t < 2; t++)
      tasks.push(await h.p.submit({ op: 'purge', host: '', items: urls(...Array.from({ length: 500 }, (_, i) => `https://a.example.com/${t}/${i}`)) }))
    const before = emulator!.requests.length
    const states = await h.p.status(tasks)
    expect(states.filter((s) => s.detail === 'process')).toHaveLength(1000)
    expect(emulator!.requests.length - before).toBe(1)
    expect(bodyOf(before)).toMatchObject({ Offset: 0, Limit: 1000 })
  })

  it('a Limit refused as a parameter: asked again with 100 a page, for the rest of the run, logged once', async () => {
    await start({ maxPageSize: 100, overLimit: 'refuse' })
    const h = client()
    const tasks: Task[] = []
    for (let t = 0; t < 2; t++)
      tasks.push(await h.p.submit({ op: 'purge', host: '', items: urls(...Array.from({ length: 150 }, (_, i) => `https://a.example.com/${t}/${i}`)) }))
    expect((await h.p.status(tasks)).filter((s) => s.detail === 'process')).toHaveLength(300)
    expect((await h.p.status(tasks)).filter((s) => s.detail === 'process')).toHaveLength(300)
    // 1 refused + 3 pages, then 3 pages.
    const limits = emulator!.requests.slice(2).map((_, i) => bodyOf(i + 2).Limit)
    expect(limits).toEqual([1000, 100, 100, 100, 100, 100, 100])
    expect(h.logged.filter((l) => l.includes('refused Limit 1000 (InvalidParameterValue); asking 100 rows a page'))).toHaveLength(1)
  })

  it('another refused parameter of a status query is not taken for the page size', async () => {
    await start({ maxPageSize: 100, overLimit: 'refuse' })
    const h = client()
    const task = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1') })
    emulator!.injectFaults([
      { status: 200, body: JSON.stringify({ Response: { Error: { Code: 'InvalidParameterValue', Message: 'Limit too large' }, RequestId: 'r' } }) },
      { status: 200, body: JSON.stringify({ Response: { Error: { Code: 'InvalidParameterValue', Message: 'bad TaskId' }, RequestId: 'r' } }) }
    ])
    // The fallback is taken once; the same refusal at 100 rows a page is an error.
    await expect(h.p.status([task])).rejects.toThrow(/InvalidParameterValue: bad TaskId/)
  })

  it('a lost answer: the submit is ambiguous, and findSubmitted finds the one task it made', async () => {
    await start()
    const h = client()
    await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x', 'https://a.example.com/y') })
    const since = Date.now()
    emulator!.injectFaults([{ kind: 'reset-after-action' }])
    const batch = { op: 'purge' as const, host: '', items: urls('https://a.example.com/x') }
    const err = await h.p.submit(batch).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.ambiguous).toBe(true)
    expect(emulator!.tasks.size).toBe(2)
    const found = await h.p.findSubmitted(batch, since)
    const made = [...emulator!.tasks.values()].find((t) => t.urls.length === 1)!
    expect(found).toMatchObject({ id: made.id, op: 'purge' })
    // A batch never sent is not found (the older task holds other URLs too).
    expect(await h.p.findSubmitted({ op: 'purge', host: '', items: urls('https://a.example.com/y') }, since)).toBeNull()
  })

  it("a look-up never takes an earlier run's task for the same URLs: only one created since the send", async () => {
    let clock = Date.now()
    await start({ now: () => clock })
    const h = client(keys, { now: () => clock })
    const batch = { op: 'purge' as const, host: '', items: urls('https://a.example.com/again') }
    const earlier = await h.p.submit(batch) // an earlier run's task
    clock += 1100
    // this run's send reached no server: the earlier task must not be taken for it
    expect(await h.p.findSubmitted(batch, clock)).toBeNull()
    // (it is found from a send time before it was made)
    expect(await h.p.findSubmitted(batch, clock - 2000)).toMatchObject({ id: earlier.id })
  })

  it('retries RequestLimitExceeded after a pause; gives up retryable after the last attempt', async () => {
    let clock = Date.now()
    await start({ now: () => clock, requestsPerSecond: 1 })
    const h = client(keys, { now: () => clock, onSleep: (ms) => (clock += ms) })
    await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1') })
    await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/2') })
    expect(h.slept).toEqual([1000])
    expect(h.logged.join('\n')).toContain('RequestLimitExceeded')
    for (const secret of [...h.masked, 'test-secret-key']) expect(h.logged.join('\n')).not.toContain(secret)
    const stuck = client(keys, { now: () => clock })
    const err = await stuck.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/3') }).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.retryable).toBe(true)
    expect(stuck.slept).toHaveLength(TENCENT_MAX_ATTEMPTS - 1)
    expect(err.message).toContain('20 requests/s')
  })

  it('a wrong SecretKey names secret-key; an unknown SecretId names access-key; no secret in the text', async () => {
    await start()
    const h = client({ accessKey: 'AKIDtest', secretKey: 'wrong-secret-value' })
    const err = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') }).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.retryable).toBe(false)
    expect(err.message).toContain('AuthFailure.SignatureFailure')
    expect(err.message).toContain('secret-key')
    expect(err.message).not.toContain('wrong-secret-value')
    for (const secret of h.masked) expect(err.message).not.toContain(secret)
    const other = await client({ accessKey: 'AKIDnobody', secretKey: 'x' })
      .p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
      .catch((x) => x)
    expect(other.message).toContain('access-key')
  })

  it('quota pre-flight: refuses before sending, naming the quota, the need and what remains', async () => {
    await start({ quotas: { push: 10 } })
    const h = client()
    await h.p.submit({ op: 'prefetch', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2', 'https://a.example.com/3') })
    await expect(h.p.checkQuotas([{ op: 'prefetch', kind: 'url', count: 7 }])).resolves.toBeUndefined()
    const err = await h.p.checkQuotas([{ op: 'prefetch', kind: 'url', count: 8 }]).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toBe(
      'tencentcloud: the daily prefetch (UrlPush) quota of mainland has 7 of 10 left, and this run needs 8; nothing was sent. Wait for the reset (midnight China time) or ask Tencent Cloud to raise the quota'
    )
    expect(emulator!.actionCounts().PushUrlsCache).toBe(1)
    expect((await h.p.quotas('purge', 'dir'))[0]).toEqual({ batch: 500, total: 100, available: 100, area: 'mainland' })
  })

  it('preflight checks each operation and kind the plan sends, and asks nothing for a zero need', async () => {
    await start({ quotas: { urlPurge: 10, pathPurge: 2, push: 5 } })
    const h = client()
    await h.p.preflight({ purgeUrls: 10, purgeDirs: 2, prefetchUrls: 5 })
    // One answer per operation covers both purge kinds.
    expect(emulator!.actionCounts()).toEqual({ DescribePurgeQuota: 1, DescribePushQuota: 1 })
    await expect(h.p.preflight({ purgeUrls: 0, purgeDirs: 3, prefetchUrls: 0 })).rejects.toThrow(
      /directory purge \(PathPurge\) quota of mainland has 2 of 2 left, and this run needs 3/
    )
    await expect(h.p.preflight({ purgeUrls: 11, purgeDirs: 0, prefetchUrls: 0 })).rejects.toThrow(/URL purge \(UrlPurge\)/)
    await expect(h.p.preflight({ purgeUrls: 0, purgeDirs: 0, prefetchUrls: 6 })).rejects.toThrow(/prefetch \(UrlPush\)/)
    await h.p.preflight({ purgeUrls: 0, purgeDirs: 0, prefetchUrls: 0 })
    expect(emulator!.actionCounts()).toEqual({ DescribePurgeQuota: 3, DescribePushQuota: 2 })
  })

  it('purge pre-flight covers overseas too: the domain area is unknown, so the smallest area decides; prefetch goes to mainland', async () => {
    await start({
      domainAreas: { 'o.example.com': 'overseas' },
      areaQuotas: { overseas: { urlPurge: 20, pathPurge: 1, push: 2 } }
    })
    const h = client()
    // Overseas usage shows in the overseas row only.
    await h.p.submit({ op: 'purge', host: '', items: urls(...Array.from({ length: 5 }, (_, i) => `https://o.example.com/${i}`)) })
    await h.p.preflight({ purgeUrls: 15, purgeDirs: 1, prefetchUrls: 900 })
    const err = await h.p.preflight({ purgeUrls: 16, purgeDirs: 0, prefetchUrls: 0 }).catch((x) => x)
    expect(err).toBeInstanceOf(UrlQuotaShortError)
    expect(err.remaining).toBe(15)
    expect(err.message).toMatch(/^tencentcloud: the daily URL purge \(UrlPurge\) quota of overseas has 15 of 20 left, and this run needs 16 \(a purge goes to/)
    expect(err.message).toMatch(/; nothing was sent\. Purge directories instead \(dir-threshold\), wait for the reset \(midnight China time\)/)
    const dirErr = await h.p.preflight({ purgeUrls: 0, purgeDirs: 2, prefetchUrls: 0 }).catch((x) => x)
    expect(dirErr.message).toMatch(/PathPurge\) quota of overseas has 1 of 1 left/)
    expect(dirErr).not.toBeInstanceOf(UrlQuotaShortError)
    // A prefetch without Area is charged to mainland (§2): the overseas row does not limit it.
    await expect(h.p.preflight({ purgeUrls: 0, purgeDirs: 0, prefetchUrls: 1001 })).rejects.toThrow(/UrlPush\) quota of mainland has 1000 of 1000/)
    expect(emulator!.actionCounts().PurgeUrlsCache).toBe(1)
  })

  it('a prefetch goes to mainland China (no Area): a domain accelerated only overseas is refused, and the message says why', async () => {
    await start({ domainAreas: { 'o.example.com': 'overseas', 'g.example.com': 'global' } })
    const h = client()
    await h.p.submit({ op: 'prefetch', host: '', items: urls('https://g.example.com/a.png') })
    const err = await h.p.submit({ op: 'prefetch', host: '', items: urls('https://o.example.com/a.png') }).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect([err.retryable, err.ambiguous]).toEqual([false, false])
    expect(err.message).toMatch(/InvalidParameter\.CdnParamError.*a prefetch goes to mainland China only/)
    expect(emulator!.tasks.size).toBe(1)
  })

  it("pre-flight: a per-call limit below the run's (an account's Batch) fails before sending, naming batch-size", async () => {
    await start({ batch: { pathPurge: 20 } })
    const h = client()
    const err = await h.p.preflight({ purgeUrls: 1000, purgeDirs: 30, prefetchUrls: 0 }).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toBe(
      'tencentcloud: this account takes at most 20 per directory purge (PathPurge) call (Batch in the quota answer), and the run would send 30 in one; nothing was sent. Set batch-size: 20'
    )
    await h.p.preflight({ purgeUrls: 1000, purgeDirs: 20, prefetchUrls: 0 })
    // With batch-size 20 (the engine hands the provider its limits so lowered) the run fits.
    const lowered = { ...h.p.limits, itemsPerCall: { purge: 20, prefetch: 20 } }
    const sized = new Proxy(h.p, { get: (target, key) => (key === 'limits' ? lowered : Reflect.get(target, key, target)) })
    await sized.preflight({ purgeUrls: 1000, purgeDirs: 30, prefetchUrls: 0 })
    expect(emulator!.actionCounts()).toEqual({ DescribePurgeQuota: 3 })
  })

  it('a quota answer without area rows is logged, not checked', async () => {
    await start()
    const h = client()
    emulator!.injectFaults([{ status: 200, body: JSON.stringify({ Response: { UrlPurge: [], PathPurge: [], RequestId: 'r' } }) }])
    await h.p.preflight({ purgeUrls: 1_000_000, purgeDirs: 0, prefetchUrls: 0 })
    expect(h.logged.some((l) => l.includes('no URL purge (UrlPurge) row; not checked'))).toBe(true)
  })

  it('a quota row without Area still counts; a null Available is not taken for 0', async () => {
    await start()
    const h = client()
    const answer = (rows: object[]) => ({ status: 200, body: JSON.stringify({ Response: { UrlPurge: rows, PathPurge: [], RequestId: 'r' } }) })
    emulator!.injectFaults([answer([{ Batch: 1000, Total: 10, Available: 3 }])])
    await expect(h.p.preflight({ purgeUrls: 4, purgeDirs: 0, prefetchUrls: 0 })).rejects.toThrow(
      /URL purge \(UrlPurge\) quota of the account has 3 of 10 left, and this run needs 4; nothing was sent/
    )
    emulator!.injectFaults([answer([{ Batch: 1000, Total: null, Available: null, Area: 'mainland' }])])
    await h.p.preflight({ purgeUrls: 4, purgeDirs: 0, prefetchUrls: 0 })
    expect(h.logged.some((l) => l.includes('no URL purge (UrlPurge) row; not checked'))).toBe(true)
  })

  it('an unknown status word is pending and logged once; a task the time range misses is asked for by TaskId', async () => {
    await start()
    const h = client()
    const a = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1') })
    const b = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/2') })
    const row = (t: Task, status: string) => ({
      TaskId: t.id,
      Url: t.items[0].url,
      Status: status,
      PurgeType: 'url',
      FlushType: 'flush',
      CreateTime: '2026-01-01 00:00:00'
    })
    const answer = (logs: object[]) => ({ status: 200, body: JSON.stringify({ Response: { TotalCount: logs.length, PurgeLogs: logs, RequestId: 'r' } }) })
    // The range lists only a (in an unknown state); b is then asked for by its TaskId.
    emulator!.injectFaults([answer([row(a, 'queued')]), answer([row(b, 'done')])])
    const states = await h.p.status([a, b])
    expect(states.map((s) => [s.state, s.detail])).toEqual([
      ['pending', 'queued'],
      ['success', 'done']
    ])
    expect(bodyOf(emulator!.requests.length - 1)).toMatchObject({ TaskId: b.id })
    expect(h.logged.filter((l) => l.includes("unknown status 'queued'"))).toHaveLength(1)
  })

  it('a task the range lists only in part is read again whole by TaskId', async () => {
    await start()
    const h = client()
    const a = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2') })
    const b = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/3') })
    const partial = { TaskId: a.id, Url: 'https://a.example.com/1', Status: 'process', PurgeType: 'url', FlushType: 'flush', CreateTime: '2026-01-01 00:00:00' }
    const bRow = { ...partial, TaskId: b.id, Url: 'https://a.example.com/3' }
    emulator!.injectFaults([{ status: 200, body: JSON.stringify({ Response: { TotalCount: 2, PurgeLogs: [partial, bRow], RequestId: 'r' } }) }])
    const states = await h.p.status([a, b])
    expect(states.every((s) => s.detail === 'process')).toBe(true)
    expect(bodyOf(emulator!.requests.length - 1)).toMatchObject({ TaskId: a.id })
    expect(emulator!.actionCounts().DescribePurgeTasks).toBe(2)
  })

  it('a row a shifting page lists twice counts once: the task is read again whole by TaskId', async () => {
    await start()
    const h = client()
    const a = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2') })
    const b = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/3') })
    const row = { TaskId: a.id, Url: 'https://a.example.com/1', Status: 'process', PurgeType: 'url', FlushType: 'flush', CreateTime: '2026-01-01 00:00:00' }
    const bRow = { ...row, TaskId: b.id, Url: 'https://a.example.com/3' }
    // Two rows of a, both for /1 (a new task pushed the page on): a is not whole.
    emulator!.injectFaults([{ status: 200, body: JSON.stringify({ Response: { TotalCount: 3, PurgeLogs: [row, row, bRow], RequestId: 'r' } }) }])
    const states = await h.p.status([a, b])
    expect(states.map((s) => s.detail)).toEqual(['process', 'process', 'process'])
    expect(bodyOf(emulator!.requests.length - 1)).toMatchObject({ TaskId: a.id })
  })

  it('a refusal code is neither retried nor ambiguous; only InternalError may have made a task', async () => {
    await start()
    const h = client()
    const refuse = (code: string) => ({ status: 200, body: JSON.stringify({ Response: { Error: { Code: code, Message: 'm' }, RequestId: 'r' } }) })
    emulator!.injectFaults([refuse('ResourceUnavailable.CdnHostIsLocked'), refuse('ResourceNotFound.CdnUserNotExists'), refuse('InternalError.CdnSystemError')])
    const batch = { op: 'purge' as const, host: '', items: urls('https://a.example.com/1') }
    const locked = await h.p.submit(batch).catch((x) => x)
    expect([locked.retryable, locked.ambiguous]).toEqual([false, false])
    expect(locked.message).toMatch(/the domain is locked .*ResourceUnavailable\.CdnHostIsLocked/)
    const inactive = await h.p.submit(batch).catch((x) => x)
    expect([inactive.retryable, inactive.ambiguous]).toEqual([false, false])
    expect(inactive.message).toMatch(/CDN service of this Tencent Cloud account is not active/)
    const internal = await h.p.submit(batch).catch((x) => x)
    expect([internal.retryable, internal.ambiguous]).toEqual([true, true])
  })

  it('a daily-quota refusal says so and is not retried', async () => {
    await start({ quotas: { urlPurge: 1 } })
    const h = client()
    const err = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2') }).catch((x) => x)
    expect(err.message).toContain('LimitExceeded.CdnPurgeUrlExceedDayLimit')
    expect(err.message).toContain('resets the next day')
    expect(err.retryable).toBe(false)
    expect(err.ambiguous).toBe(false)
  })
})
