import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startAliyunEmulator, type AliyunEmulator, type AliyunEmulatorOptions } from '../../emulators/aliyun.js'
import { batchForProvider, checkPlanFits } from '../../src/engine/batch.js'
import { InputError } from '../../src/errors.js'
import { createTransport, HttpError } from '../../src/http/transport.js'
import { aliyun, ALIYUN_MAX_ATTEMPTS, type AliyunClient, type AliyunSettings } from '../../src/providers/aliyun/index.js'
import { ProviderError, type BatchItem, type CdnProvider, type Task } from '../../src/providers/provider.js'
import { readerOf, settingsOf } from './reader.js'

const noCreds: AliyunSettings = { accessKey: '', secretKey: '', securityToken: '' }
const keys: Partial<AliyunSettings> = { accessKey: 'testid', secretKey: 'testsecret' }

let emulator: AliyunEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

async function start(options: AliyunEmulatorOptions = {}): Promise<AliyunEmulator> {
  emulator = await startAliyunEmulator(options)
  return emulator
}

interface Harness {
  p: AliyunClient
  masked: string[]
  logged: string[]
  slept: number[]
}

function client(creds: Partial<AliyunSettings> = keys): Harness {
  const h: Harness = { p: null as unknown as AliyunClient, masked: [], logged: [], slept: [] }
  h.p = aliyun.create(
    {
      endpoint: emulator!.url,
      request: transport.request,
      mask: (s) => h.masked.push(s),
      log: (l) => h.logged.push(l),
      now: Date.now,
      sleep: async (ms) => {
        h.slept.push(ms)
      }
    },
    { ...noCreds, ...creds }
  ) as AliyunClient
  return h
}

const urls = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'url', url }))
const dirs = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'dir', url }))

async function waitFinal(p: CdnProvider, tasks: Task[]) {
  for (;;) {
    const s = await p.status(tasks)
    if (s.every((x) => x.state !== 'pending')) return s
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('aliyun definition', () => {
  it('names the input to fix when credentials are missing or malformed', () => {
    expect(() => settingsOf(aliyun, { secretKey: 's' })).toThrow(/Input 'access-key'/)
    expect(() => settingsOf(aliyun, { accessKey: 'a' })).toThrow(/Input 'secret-key'.*ALIBABA_CLOUD_ACCESS_KEY_SECRET/)
    expect(() => settingsOf(aliyun, { accessKey: 'a b', secretKey: 's' })).toThrow(InputError)
    expect(() => settingsOf(aliyun, { accessKey: 'a', secretKey: 's', sessionToken: 't u' })).toThrow(/Input 'session-token'/)
    expect(settingsOf(aliyun, { accessKey: 'a', secretKey: 's' })).toEqual({ accessKey: 'a', secretKey: 's', securityToken: '' })
    expect(aliyun.readSettings(readerOf({ accessKey: 'a', secretKey: 's', sessionToken: 't' })).securityToken).toBe('t')
    expect(aliyun.inputs.map((i) => [i.name, i.secret, i.env])).toEqual([
      ['access-key', false, ['ALIBABA_CLOUD_ACCESS_KEY_ID']],
      ['secret-key', true, ['ALIBABA_CLOUD_ACCESS_KEY_SECRET']],
      ['session-token', true, ['ALIBABA_CLOUD_SECURITY_TOKEN']]
    ])
    expect(aliyun.defaultEndpoint).toBe('https://cdn.aliyuncs.com')
    expect(aliyun.limits.itemsPerCall).toEqual({ purge: 1000, prefetch: 100 })
  })

  it('a prefetch URL over 1,024 characters (§1 PushObjectCache) is an input error before anything is sent; a purge may carry it', () => {
    const long = `https://a.example.com/${'x'.repeat(1003)}`
    expect(long).toHaveLength(1025)
    const plan = { purgeUrls: [long], purgeDirs: [], prefetchUrls: [long] }
    const refuse = aliyun.refuseItem!.bind(aliyun)
    expect(() => checkPlanFits(plan, aliyun.limits, 'aliyun', ['prefetch'], refuse)).toThrow(
      /^Input 'urls': aliyun cannot take .*at most 1024 characters; this one has 1025/
    )
    expect(() => checkPlanFits(plan, aliyun.limits, 'aliyun', ['purge'], refuse)).not.toThrow()
    expect(() => checkPlanFits({ ...plan, prefetchUrls: [long.slice(0, 1024)] }, aliyun.limits, 'aliyun', ['purge', 'prefetch'], refuse)).not.toThrow()
  })

  it('the engine cuts directories into batches of 100 (§1: 100 directories a call), URLs into 1,000', () => {
    const list = [
      ...dirs(...Array.from({ length: 150 }, (_, i) => `https://a.example.com/d${i}/`)),
      ...urls(...Array.from({ length: 1500 }, (_, i) => `https://a.example.com/f${i}`))
    ]
    expect(batchForProvider('purge', list, aliyun.limits).map((b) => `${b.items[0].kind} ${b.items.length}`)).toEqual([
      'dir 100',
      'dir 50',
      'url 1000',
      'url 500'
    ])
    // §1: the paths of one call belong to at most 10 domains: 12 domains go as two calls.
    const twelve = urls(...Array.from({ length: 24 }, (_, i) => `https://h${i % 12}.example.com/x${i}`))
    expect(batchForProvider('prefetch', twelve, aliyun.limits).map((b) => new Set(b.items.map((i) => new URL(i.url).host)).size)).toEqual([10, 2])
  })
})

describe('aliyun provider against its emulator', () => {
  it('purges files with RefreshObjectCaches ObjectType=File, a form body and a masked signature, then polls to Complete / Failed', async () => {
    const e = await start({ completeAfterMs: 100, failUrls: ['https://a.example.com/bad.js'] })
    const h = client()
    const task = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x.js', 'https://a.example.com/bad.js') })
    const sent = e.params()[0]
    expect(e.requests[0].headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(sent).toMatchObject({
      Action: 'RefreshObjectCaches',
      ObjectType: 'File',
      ObjectPath: 'https://a.example.com/x.js\nhttps://a.example.com/bad.js',
      Format: 'JSON'
    })
    expect(h.masked).toContain(sent.Signature)
    expect(e.requests[0].body).not.toContain('testsecret')
    const final = await waitFinal(h.p, [task])
    expect(final.map((s) => [s.url, s.state, s.detail])).toEqual([
      ['https://a.example.com/x.js', 'success', 'Complete'],
      ['https://a.example.com/bad.js', 'failure', 'Failed (Internal Error)']
    ])
  })

  it("paths with a space, *, ~, + and non-ASCII pass the emulator's own signature check", async () => {
    const e = await start({ completeAfterMs: 0 })
    const h = client()
    const list = ['https://a.example.com/a b.png', 'https://a.example.com/x*y~z+1.js', 'https://a.example.com/中文.css']
    const task = await h.p.submit({ op: 'purge', host: '', items: urls(...list) })
    expect(e.params()[0].ObjectPath).toBe(list.join('\n'))
    expect((await h.p.status([task])).map((s) => s.state)).toEqual(['success', 'success', 'success'])
  })

  it('reports Pending / Refreshing as pending with the progress', async () => {
    await start({ completeAfterMs: 60_000 })
    const h = client()
    const task = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x.js') })
    const [s] = await h.p.status([task])
    expect(s.state).toBe('pending')
    expect(s.detail).toMatch(/^Pending 0%$/)
  })

  it('sends directories as ObjectType=Directory with Force=true, more than 100 as several calls whose ids join into one task', async () => {
    const e = await start({ completeAfterMs: 50, quotas: { dir: 1000 } })
    const h = client()
    const list = Array.from({ length: 150 }, (_, i) => `https://a.example.com/d${i}/`)
    const task = await h.p.submit({ op: 'purge', host: '', items: dirs(...list) })
    expect(e.actionCounts().RefreshObjectCaches).toBe(2)
    expect(e.params().every((p) => p.ObjectType === 'Directory')).toBe(true)
    // Force=false (the default) would refresh only objects whose origin Last-Modified changed (§1).
    expect(e.params().every((p) => p.Force === 'true')).toBe(true)
    expect(e.entries.every((x) => x.force === true)).toBe(true)
    expect(task.id.split(',')).toHaveLength(2)
    const final = await waitFinal(h.p, [task])
    expect(final.filter((s) => s.state === 'success')).toHaveLength(150)
  })

  it('prefetches with PushObjectCache and keeps each call within 10 domains', async () => {
    const e = await start({ completeAfterMs: 50 })
    const h = client()
    const list = Array.from({ length: 12 }, (_, i) => `https://h${i}.example.com/p.js`)
    const task = await h.p.submit({ op: 'prefetch', host: '', items: urls(...list) })
    expect(e.actionCounts().PushObjectCache).toBe(2)
    expect((await waitFinal(h.p, [task])).every((s) => s.state === 'success')).toBe(true)
    await expect(h.p.submit({ op: 'prefetch', host: '', items: dirs('https://a.example.com/d/') })).rejects.toThrow(/cannot prefetch directories/)
  })

  it('asks about many tasks in few calls: 15 task ids in 2 DescribeRefreshTaskById calls', async () => {
    const e = await start({ completeAfterMs: 0 })
    const h = client()
    const tasks: Task[] = []
    for (let i = 0; i < 15; i++) tasks.push(await h.p.submit({ op: 'purge', host: '', items: urls(`https://h${i}.example.com/x`) }))
    const before = e.actionCounts().DescribeRefreshTaskById ?? 0
    const s = await h.p.status(tasks)
    expect(e.actionCounts().DescribeRefreshTaskById - before).toBe(2)
    expect(s.map((x) => x.state)).toEqual(Array(15).fill('success'))
  })

  it('finds a submit whose answer was lost by time range and URL set, paging past other tasks, so nothing is sent twice', async () => {
    const e = await start({ rates: { DescribeRefreshTasks: 1000 } })
    const h = client()
    const since = Date.now()
    const batch = { op: 'purge' as const, host: '', items: urls('https://a.example.com/lost-1', 'https://a.example.com/lost-2') }
    e.injectFaults([{ kind: 'reset-after-action' }])
    const err = await h.p.submit(batch).catch((x: unknown) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect((err as ProviderError).ambiguous).toBe(true)
    // Newer tasks come first in the list: the lost one is on a later page.
    for (let i = 0; i < 3; i++) {
      await h.p.submit({ op: 'purge', host: '', items: urls(...Array.from({ length: 60 }, (_, j) => `https://a.example.com/other-${i}-${j}`)) })
    }
    const refreshes = e.actionCounts().RefreshObjectCaches
    const found = await h.p.findSubmitted(batch, since)
    expect(found).not.toBeNull()
    expect(found).not.toBe('unknown')
    const made = e.entries.filter((x) => x.path.includes('lost-'))
    expect((found as Task).id).toBe(made[0].taskId)
    expect(e.actionCounts().DescribeRefreshTasks).toBeGreaterThanOrEqual(2)
    expect(e.actionCounts().RefreshObjectCaches).toBe(refreshes)
    // Not sent at all: nothing found, so the engine sends it again.
    e.injectFaults([{ kind: 'reset-before-headers' }])
    const other = { op: 'purge' as const, host: '', items: urls('https://a.example.com/never') }
    await expect(h.p.submit(other)).rejects.toThrow(ProviderError)
    expect(await h.p.findSubmitted(other, since)).toBeNull()
  })

  it('a look-up pages by the entries that came back (a server capping PageSize at 50) and reads a TotalCount given as a string', async () => {
    const e = await start()
    const h = client()
    const since = Date.now()
    const at = new Date(since + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const task = (path: string, id: string) => ({ TaskId: id, ObjectPath: path, ObjectType: 'file', Status: 'Complete', Process: '100%', CreationTime: at })
    const page = (n: number, tasks: unknown[]) => JSON.stringify({ RequestId: 'r', PageNumber: n, PageSize: 50, TotalCount: '51', Tasks: { CDNTask: tasks } })
    const others = Array.from({ length: 50 }, (_, i) => task(`https://a.example.com/other-${i}`, '111'))
    e.injectFaults([
      { status: 200, body: page(1, others) },
      { status: 200, body: page(2, [task('https://a.example.com/mine', '222')]) }
    ])
    const found = await h.p.findSubmitted({ op: 'purge', host: '', items: urls('https://a.example.com/mine') }, since)
    expect(found).toMatchObject({ id: '222' })
  })

  it("a look-up never takes an earlier run's task for the same URLs: only one created since the send", async () => {
    await start({ completeAfterMs: 0 })
    const h = client()
    const batch = { op: 'purge' as const, host: '', items: urls('https://a.example.com/again') }
    await h.p.submit(batch) // an earlier run's task
    await new Promise((resolve) => setTimeout(resolve, 1100))
    // this run's send reached no server: the earlier task must not be taken for it
    expect(await h.p.findSubmitted(batch, Date.now())).toBeNull()
  })

  it('a throttled look-up is unknown, not "not found"', async () => {
    await start({ rates: { DescribeRefreshTasks: 0 }, throttle: 'Throttling.User' })
    const h = client()
    expect(await h.p.findSubmitted({ op: 'purge', host: '', items: urls('https://a.example.com/x') }, Date.now())).toBe('unknown')
  })

  it('retries throttling in place with a growing pause, then fails retryable naming the rate limit', async () => {
    const e = await start({ rates: { RefreshObjectCaches: 0 }, throttle: 'Throttling.User' })
    const h = client()
    const err = (await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') }).catch((x: unknown) => x)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.retryable).toBe(true)
    expect(err.message).toMatch(/rate limiting.*after 4 attempts.*Throttling\.User.*concurrency/)
    expect(h.slept).toEqual([1000, 2000, 4000])
    expect(e.actionCounts().RefreshObjectCaches).toBe(ALIYUN_MAX_ATTEMPTS)
  })

  it('recovers when throttling (503 Throttling) passes', async () => {
    const e = await start()
    const h = client()
    e.injectFaults([
      {
        status: 503,
        body: JSON.stringify({ RequestId: 'r', HostId: 'cdn.aliyuncs.com', Code: 'Throttling', Message: 'Request was denied due to request throttling.' })
      }
    ])
    const task = await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
    expect(task.id).toMatch(/^\d+$/)
    expect(h.slept).toEqual([1000])
  })

  it('bad credentials: an actionable message with no secret or signature in it', async () => {
    const e = await start()
    const h = client({ accessKey: 'testid', secretKey: 'wrong-secret-value' })
    const err = (await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') }).catch((x: unknown) => x)) as ProviderError
    expect(err.message).toMatch(/rejected the signature.*SignatureDoesNotMatch.*check the secret-key input/)
    expect(err.retryable).toBe(false)
    const sig = e.params()[0].Signature
    expect(h.masked).toContain(sig)
    for (const secret of ['wrong-secret-value', sig, encodeURIComponent(sig)]) expect(err.message).not.toContain(secret)
    const unknown = (await client({ accessKey: 'nobody', secretKey: 'x' })
      .p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
      .catch((x: unknown) => x)) as ProviderError
    expect(unknown.message).toMatch(/does not know this AccessKey ID.*check the access-key input/)
  })

  it('a submit answered 500 InternalError may have made its task: ambiguous (looked up before any resend); a read is only retryable', async () => {
    const e = await start()
    const h = client()
    const body = JSON.stringify({
      RequestId: 'r',
      HostId: 'cdn.aliyuncs.com',
      Code: 'InternalError',
      Message: 'The request processing has failed due to some unknown error.'
    })
    e.injectFaults([{ status: 500, body }])
    const err = (await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') }).catch((x: unknown) => x)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toMatch(/InternalError.*\(HTTP 500\).*may or may not have accepted it/)
    expect([err.retryable, err.ambiguous]).toEqual([true, true])
    e.injectFaults([{ status: 500, body }])
    const read = (await h.p.checkQuota({ urls: 0, dirs: 0, prefetch: 0 }).catch((x: unknown) => x)) as ProviderError
    expect([read.retryable, read.ambiguous]).toEqual([true, false])
  })

  it.each([
    ['InvalidObjectPath.Malformed', /refused a path.*InvalidObjectPath\.Malformed.*check the URLs the rules make/],
    ['InvalidExtensiveDomain.ValueNotSupported', /wildcard domain.*concrete host names/],
    ['SingleRequest.OverLimit', /more paths in one call.*lower the batch-size input/]
  ])('invalid parameter %s: a message naming what to change, not retried', async (code, message) => {
    const e = await start()
    e.injectFaults([{ status: 400, body: JSON.stringify({ RequestId: 'r', HostId: 'cdn.aliyuncs.com', Code: code, Message: 'refused' }) }])
    const err = (await client()
      .p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
      .catch((x: unknown) => x)) as ProviderError
    expect(err.message).toMatch(message)
    expect([err.retryable, err.ambiguous]).toEqual([false, false])
  })

  it('scrubs a server message that echoes the secret or a signature', async () => {
    const e = await start()
    const h = client()
    const sig = 'CT9X0VtwR86fNWSnsc6v8YGOjuE='
    const body = JSON.stringify({ RequestId: 'r', HostId: 'cdn.aliyuncs.com', Code: 'InvalidParameter', Message: `bad: testsecret ${sig}` })
    e.injectFaults([{ status: 400, body }])
    const err = (await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') }).catch((x: unknown) => x)) as ProviderError
    expect(err.message).toMatch(/InvalidParameter: bad: \*\*\* \*\*\* \(HTTP 400\)/)
    expect(err.message).not.toContain('testsecret')
    expect(err.message).not.toContain(sig)
  })

  it('a per-minute limit pauses a minute; a runner clock 15 minutes off is named', async () => {
    const e = await start()
    const h = client()
    const body = JSON.stringify({ RequestId: 'r', HostId: 'cdn.aliyuncs.com', Code: 'QuotaPerMinuteExceeded.Refresh', Message: 'per minute' })
    e.injectFaults([{ status: 400, body }])
    await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
    expect(h.slept).toEqual([60_000])
    const skewed = aliyun.create(
      {
        endpoint: e.url,
        request: transport.request,
        mask: () => {},
        log: () => {},
        now: () => Date.now() - 20 * 60_000,
        sleep: async () => {}
      },
      { ...noCreds, ...keys }
    )
    await expect(skewed.submit({ op: 'purge', host: '', items: urls('https://a.example.com/y') })).rejects.toThrow(
      /runner's clock is more than 15 minutes off.*InvalidTimeStamp\.Expired/
    )
  })

  it('sends and masks an STS security token', async () => {
    const e = await start({ securityTokens: { testid: 'sts-token-123' } })
    const h = client({ ...keys, securityToken: 'sts-token-123' })
    await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
    expect(e.params()[0].SecurityToken).toBe('sts-token-123')
    expect(h.masked).toContain('sts-token-123')
    const refused = (await client(keys)
      .p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/y') })
      .catch((x: unknown) => x)) as ProviderError
    expect(refused.message).toMatch(/STS security token was refused/)
  })

  it("quota pre-flight: passes within today's quotas, fails naming quota, need and remainder before any submit", async () => {
    const e = await start({ quotas: { url: 10, dir: 2 } })
    const h = client()
    await h.p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2') })
    const lines = await h.p.checkQuota({ urls: 8, dirs: 0, prefetch: 0 })
    expect(lines.find((l) => l.name === 'UrlQuota')).toEqual({ name: 'UrlQuota', quota: 10, remain: 8, need: 8 })
    await expect(h.p.checkQuota({ urls: 9, dirs: 0, prefetch: 0 })).rejects.toThrow(
      /needs 9 URL refreshes but today's UrlQuota \(10 a day\) has 8 left; nothing was sent/
    )
    await expect(h.p.checkQuota({ urls: 0, dirs: 3, prefetch: 0 })).rejects.toThrow(/DirQuota/)
    expect(e.actionCounts().RefreshObjectCaches).toBe(1)
  })

  it('preflight maps the plan onto the quotas: one DescribeRefreshQuota call, none when nothing is sent', async () => {
    const e = await start({ quotas: { url: 10, dir: 2, preload: 5 } })
    const h = client()
    await h.p.preflight({ purgeUrls: 10, purgeDirs: 2, prefetchUrls: 5 })
    await expect(h.p.preflight({ purgeUrls: 0, purgeDirs: 3, prefetchUrls: 0 })).rejects.toThrow(/needs 3 directory refreshes but today's DirQuota/)
    await expect(h.p.preflight({ purgeUrls: 0, purgeDirs: 0, prefetchUrls: 6 })).rejects.toThrow(/needs 6 prefetches but today's PreloadQuota/)
    await h.p.preflight({ purgeUrls: 0, purgeDirs: 0, prefetchUrls: 0 })
    expect(e.actionCounts()).toEqual({ DescribeRefreshQuota: 3 })
  })

  it('quota exceeded at submit: not retryable, says when it resets', async () => {
    await start({ quotas: { url: 1 } })
    const h = client()
    const err = (await h.p
      .submit({ op: 'purge', host: '', items: urls('https://a.example.com/1', 'https://a.example.com/2') })
      .catch((x: unknown) => x)) as ProviderError
    expect(err.retryable).toBe(false)
    expect(err.message).toMatch(/QuotaExceeded\.Refresh.*resets at midnight/)
  })

  it('an unknown status word is pending and logged once', async () => {
    const e = await start()
    const h = client()
    const task: Task = { id: '123', op: 'purge', items: urls('https://a.example.com/x'), submittedAt: Date.now() }
    const body = JSON.stringify({
      RequestId: 'r',
      TotalCount: 1,
      Tasks: [{ TaskId: '123', ObjectPath: 'https://a.example.com/x', Status: 'Queued', Process: '0%' }]
    })
    e.injectFaults([
      { status: 200, body },
      { status: 200, body }
    ])
    expect((await h.p.status([task]))[0]).toMatchObject({ state: 'pending', detail: 'Queued 0%' })
    await h.p.status([task])
    expect(h.logged.filter((l) => l.includes("'Queued'"))).toHaveLength(1)
  })
})

describe('aliyun nonce per send', () => {
  it('a submit that never left (connection refused) is signed anew and sent again by the client', async () => {
    const e = await start()
    const logged: string[] = []
    let first = true
    const p = aliyun.create(
      {
        endpoint: e.url,
        request: async (req) => {
          if (first) {
            first = false
            throw new HttpError(`POST ${req.url} failed: ECONNREFUSED`, null, false)
          }
          return transport.request(req)
        },
        mask: () => {},
        log: (l) => logged.push(l),
        now: Date.now,
        sleep: async () => {}
      },
      { ...noCreds, ...keys }
    )
    const task = await p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') })
    expect(task.id).toMatch(/^\d+$/)
    expect(logged.join('\n')).toMatch(/RefreshObjectCaches failed in transport \(POST .* ECONNREFUSED\); pausing 1 s before attempt 2 of 4/)
    expect(e.actionCounts().RefreshObjectCaches).toBe(1)
  })

  it('a 503 Throttling the transport would resend is signed again: every send has its own SignatureNonce, and the message names the rate limit', async () => {
    const e = await start({ rates: { RefreshObjectCaches: 0 } })
    const retrying = createTransport({ maxAttempts: 3, sleep: async () => {}, random: () => 0 })
    try {
      const p = aliyun.create(
        { endpoint: e.url, request: retrying.request, mask: () => {}, log: () => {}, now: Date.now, sleep: async () => {} },
        { ...noCreds, ...keys }
      )
      const err = (await p.submit({ op: 'purge', host: '', items: urls('https://a.example.com/x') }).catch((x: unknown) => x)) as ProviderError
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).toMatch(/rate limiting.*Throttling/)
      expect(err.message).not.toMatch(/SignatureNonceUsed/)
      const nonces = e.params().map((x) => x.SignatureNonce)
      expect(nonces.length).toBeGreaterThanOrEqual(ALIYUN_MAX_ATTEMPTS)
      expect(new Set(nonces).size).toBe(nonces.length)
    } finally {
      retrying.close()
    }
  })
})
