import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startCloudFrontEmulator, type CloudFrontEmulator, type CloudFrontEmulatorOptions } from '../../emulators/cloudfront.js'
import { submitBatches } from '../../src/engine/submit.js'
import { InputError } from '../../src/errors.js'
import { createTransport } from '../../src/http/transport.js'
import { readSettings } from '../../src/inputs.js'
import { ProviderError, type Batch, type BatchItem } from '../../src/providers/provider.js'
import { CAP_WAIT_MS, callerReference, CLOUDFRONT_XMLNS, invalidationBody, invalidationPath, TOO_MANY_WAIT_MS } from '../../src/providers/cloudfront/client.js'
import { parseXml, textAt, XmlError } from '../../src/providers/cloudfront/xml.js'
import { cloudfront, parseDistributions, runReference, type CloudFrontClient, type CloudFrontSettings } from '../../src/providers/cloudfront/index.js'
import { settingsOf } from './reader.js'

const AK = 'AKIAEXAMPLECF'
const SK = 'cloudfront-s3cr3t-key/EXAMPLE+xyz'
const DIST = 'EDFDVBD6EXAMPLE'
const DIST_B = 'E2QWRUHAPOMQZL'

let emulator: CloudFrontEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

/** A fake clock shared by the emulator and the client: sleeping moves it on. */
function fakeClock() {
  const c = { t: Date.UTC(2026, 10, 29, 12, 0, 0), now: () => c.t }
  return c
}

async function start(options: CloudFrontEmulatorOptions = {}): Promise<CloudFrontEmulator> {
  emulator = await startCloudFrontEmulator({ keys: { [AK]: SK }, distributions: { [DIST]: AK, [DIST_B]: AK }, ...options })
  return emulator
}

interface Harness {
  p: CloudFrontClient
  masked: string[]
  logged: string[]
  slept: number[]
}

function client(settings: Partial<CloudFrontSettings> = {}, clock?: { t: number; now: () => number }): Harness {
  const h: Harness = { p: null as unknown as CloudFrontClient, masked: [], logged: [], slept: [] }
  h.p = cloudfront.create(
    {
      endpoint: emulator!.url,
      request: transport.request,
      mask: (s) => h.masked.push(s),
      log: (l) => h.logged.push(l),
      now: clock?.now ?? Date.now,
      sleep: async (ms) => {
        h.slept.push(ms)
        if (clock) clock.t += ms
      }
    },
    { accessKey: AK, secretKey: SK, sessionToken: '', distribution: DIST, hosts: {}, runRef: 'run-1-1-test', ...settings }
  ) as CloudFrontClient
  return h
}

const urls = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'url', url }))
const dirs = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'dir', url }))
const batchOf = (items: BatchItem[]): Batch => ({ op: 'purge', host: new URL(items[0].url).host, items })
const posts = () => emulator!.requests.filter((r) => r.method === 'POST')

describe('cloudfront settings', () => {
  it('readSettings names access-key, secret-key, session-token and distribution-id; declares the AWS variables', () => {
    const keys = { accessKey: AK, secretKey: SK, distributionId: DIST }
    expect(() => settingsOf(cloudfront, { ...keys, accessKey: '' })).toThrow(/access-key.*configure-aws-credentials/)
    expect(() => settingsOf(cloudfront, { ...keys, secretKey: '' })).toThrow(/secret-key/)
    expect(() => settingsOf(cloudfront, { ...keys, sessionToken: 'a b' })).toThrow(/session-token/)
    expect(() => settingsOf(cloudfront, { ...keys, distributionId: '' })).toThrow(/distribution-id/)
    expect(settingsOf(cloudfront, { ...keys, sessionToken: 'tok' })).toMatchObject({
      accessKey: AK,
      secretKey: SK,
      sessionToken: 'tok',
      distribution: DIST,
      hosts: {}
    })
    expect(cloudfront.inputs.map((i) => [i.name, i.secret, i.env])).toEqual([
      ['access-key', false, ['AWS_ACCESS_KEY_ID']],
      ['secret-key', true, ['AWS_SECRET_ACCESS_KEY']],
      ['session-token', true, ['AWS_SESSION_TOKEN']],
      ['distribution-id', false, undefined]
    ])
  })

  it('distribution-id: one id, or host=id lines; a malformed line, a bad id or a host given twice is an input error', () => {
    expect(parseDistributions(DIST)).toEqual({ distribution: DIST, hosts: {} })
    expect(parseDistributions(`a.example.com=${DIST}\n  B.Example.com = ${DIST_B}\n\ncdn.example.com:8443=${DIST}`)).toEqual({
      distribution: '',
      hosts: { 'a.example.com': DIST, 'b.example.com': DIST_B, 'cdn.example.com:8443': DIST }
    })
    const bad: [string, RegExp][] = [
      ['edfdvbd6example', /not a distribution id \(upper-case letters and digits/],
      ['arn:aws:cloudfront::123:distribution/EDFDVBD6EXAMPLE', /not a distribution id/],
      [`a.example.com=${DIST}\n${DIST_B}`, /is not host=id/],
      [`a.example.com=${DIST}\nA.example.com=${DIST_B}`, /host a\.example\.com is given twice/],
      [`https://a.example.com=${DIST}`, /is not a host name/],
      [`a.example.com=`, /not a distribution id/]
    ]
    for (const [raw, why] of bad) {
      expect(() => parseDistributions(raw)).toThrow(InputError)
      expect(() => parseDistributions(raw)).toThrow(why)
      expect(() => parseDistributions(raw)).toThrow(/^Input 'distribution-id'/)
    }
  })

  it('mode prefetch or purge-prefetch is an input error naming cloudfront, before anything is sent', () => {
    for (const mode of ['prefetch', 'purge-prefetch']) {
      const inputs: Record<string, string> = { provider: 'cloudfront', mode, urls: 'https://a.example.com/x', 'distribution-id': DIST }
      expect(() =>
        readSettings(
          (n) => inputs[n] ?? '',
          () => {},
          {}
        )
      ).toThrow(/Input 'mode': cloudfront has no prefetch API; use mode: purge/)
    }
  })

  it('CallerReference: fixed per run attempt, job and step and per sorted paths; random outside Actions', () => {
    const env = { GITHUB_RUN_ID: '123456789', GITHUB_RUN_ATTEMPT: '2', GITHUB_JOB: 'deploy', GITHUB_ACTION: 'purge' }
    const ref = runReference(env)
    expect(ref).toMatch(/^run-123456789-2-[0-9a-f]{12}$/)
    expect(runReference(env)).toBe(ref)
    expect(runReference({ ...env, GITHUB_RUN_ATTEMPT: '3' })).not.toBe(ref)
    expect(runReference({ ...env, GITHUB_ACTION: 'purge2' })).not.toBe(ref)
    expect(runReference({})).toMatch(/^local-/)
    expect(runReference({})).not.toBe(runReference({}))
    expect(callerReference(ref, DIST, ['/b', '/a'])).toBe(callerReference(ref, DIST, ['/a', '/b']))
    expect(callerReference(ref, DIST, ['/a'])).not.toBe(callerReference(ref, DIST, ['/a', '/b']))
    expect(callerReference(ref, DIST, ['/a'])).not.toBe(callerReference(ref, DIST_B, ['/a']))
    expect(callerReference(ref, DIST, ['/a']).length).toBeLessThanOrEqual(128)
  })

  it('paths as CloudFront matches them: encoded, the URL’s own %XX kept, * literal inside, /dir/* for directories', () => {
    const path = (url: string, kind: 'url' | 'dir' = 'url') => invalidationPath({ kind, url })
    expect(path('https://a.example.com/index.html')).toBe('/index.html')
    expect(path('https://a.example.com/My Report.pdf')).toBe('/My%20Report.pdf')
    expect(path('https://a.example.com/%E4%B8%AD.png')).toBe('/%E4%B8%AD.png')
    expect(path('https://a.example.com/中文/ü.png')).toBe('/%E4%B8%AD%E6%96%87/%C3%BC.png')
    expect(path('https://a.example.com/a[1]|^{}"<>.js')).toBe('/a%5B1%5D%7C%5E%7B%7D%22%3C%3E.js')
    expect(path('https://a.example.com/100%.txt')).toBe('/100%25.txt')
    // RFC 1738 lists ~ as unsafe; CloudFront refuses it raw (webpack's runtime~main.js)
    expect(path('https://a.example.com/js/runtime~main.8f3a.js')).toBe('/js/runtime%7Emain.8f3a.js')
    expect(path('https://a.example.com/~user/', 'dir')).toBe('/%7Euser/*')
    expect(path('https://a.example.com/a*b.js')).toBe('/a*b.js')
    expect(path('https://a.example.com/x.js?v=1&w=2#frag')).toBe('/x.js?v=1&w=2')
    // the authority ends at the first / ? or #: a query or fragment right after the host is not a path
    expect(path('https://a.example.com?v=1')).toBe('/?v=1')
    expect(path('https://a.example.com:8443#x/y.js')).toBe('/')
    expect(path('https://a.example.com?x=/y.js')).toBe('/?x=/y.js')
    expect(path('https://a.example.com/assets/', 'dir')).toBe('/assets/*')
    expect(path('https://a.example.com/', 'dir')).toBe('/*')
    expect(() => path('https://a.example.com/star*')).toThrow(/ends with \*, which CloudFront takes as a wildcard/)
    expect(() => path(`https://a.example.com/${'a'.repeat(4000)}`)).toThrow(/4001 characters, more than CloudFront's 4000/)
    expect(invalidationBody(['/a&b<c>'], 'ref&1')).toContain('<Path>/a&amp;b&lt;c&gt;</Path>')
    expect(invalidationBody(['/a&b<c>'], 'ref&1')).toContain('<CallerReference>ref&amp;1</CallerReference>')
  })
})

describe('cloudfront provider against its emulator', () => {
  it('one signed CreateInvalidation (201): paths, Quantity, CallerReference; signature and Authorization masked', async () => {
    await start()
    const h = client()
    const task = await h.p.submit(
      batchOf(urls('https://a.example.com/index.html', 'https://a.example.com/q.js?v=1&x=2', 'https://a.example.com/My Report.pdf'))
    )
    const [inv] = [...emulator!.invalidations.values()]
    expect(task.id).toBe(inv.id)
    expect(inv.distribution).toBe(DIST)
    expect(inv.paths).toEqual(['/My%20Report.pdf', '/index.html', '/q.js?v=1&x=2'])
    expect(inv.callerReference).toBe(callerReference('run-1-1-test', DIST, inv.paths))
    const req = posts()[0]
    expect(req.path).toBe(`/2020-05-31/distribution/${DIST}/invalidation`)
    expect(req.headers['content-type']).toBe('application/xml')
    const auth = String(req.headers.authorization)
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLECF\/\d{8}\/us-east-1\/cloudfront\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/
    )
    expect(h.masked).toContain(auth)
    expect(h.masked).toContain(auth.slice(-64))
    expect(req.headers['x-amz-security-token']).toBeUndefined()
  })

  it('a session token is sent as X-Amz-Security-Token, signed, and masked; a wrong one is refused naming session-token', async () => {
    await start({ tokens: { [AK]: 'sess-token-XYZ' } })
    const h = client({ sessionToken: 'sess-token-XYZ' })
    await h.p.submit(batchOf(urls('https://a.example.com/1')))
    expect(posts()[0].headers['x-amz-security-token']).toBe('sess-token-XYZ')
    expect(String(posts()[0].headers.authorization)).toContain('SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,')
    expect(h.masked).toContain('sess-token-XYZ')
    const err = await client({ sessionToken: 'sess-token-old' })
      .p.submit(batchOf(urls('https://a.example.com/2')))
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ProviderError)
    expect((err as Error).message).toMatch(/InvalidClientTokenId.*session-token \(or AWS_SESSION_TOKEN\)/)
    expect((err as Error).message).not.toContain('sess-token-old')
  })

  it('a push on two hosts in two distributions: each batch goes to its own distribution', async () => {
    await start()
    const h = client({ distribution: '', hosts: { 'a.example.com': DIST, 'b.example.com': DIST_B } })
    await h.p.preflight({ purgeUrls: 3, purgeDirs: 0, prefetchUrls: 0, hosts: ['a.example.com', 'b.example.com'] })
    const ta = await h.p.submit(batchOf(urls('https://a.example.com/1', 'https://a.example.com/2')))
    const tb = await h.p.submit(batchOf(urls('https://b.example.com/1')))
    expect(emulator!.invalidations.get(ta.id)).toMatchObject({ distribution: DIST, paths: ['/1', '/2'] })
    expect(emulator!.invalidations.get(tb.id)).toMatchObject({ distribution: DIST_B, paths: ['/1'] })
    const s = await h.p.status([ta, tb])
    expect(s.map((x) => x.state)).toEqual(['pending', 'pending', 'pending'])
    expect(emulator!.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
      `/2020-05-31/distribution/${DIST}/invalidation/${ta.id}`,
      `/2020-05-31/distribution/${DIST_B}/invalidation/${tb.id}`
    ])
  })

  it('the same path on two hosts in two distributions: two references, so neither can stand for the other', async () => {
    await start()
    const h = client({ distribution: '', hosts: { 'a.example.com': DIST, 'b.example.com': DIST_B } })
    const ta = await h.p.submit(batchOf(urls('https://a.example.com/index.html')))
    const tb = await h.p.submit(batchOf(urls('https://b.example.com/index.html')))
    const [a, b] = [emulator!.invalidations.get(ta.id)!, emulator!.invalidations.get(tb.id)!]
    expect([a.distribution, b.distribution]).toEqual([DIST, DIST_B])
    expect(a.callerReference).not.toBe(b.callerReference)
  })

  it('one reference, one body: the same items in another order are sent in the same order and return the same invalidation', async () => {
    await start()
    const t1 = await client().p.submit(batchOf(urls('https://a.example.com/b.js', 'https://a.example.com/a.js')))
    const t2 = await client().p.submit(batchOf(urls('https://a.example.com/a.js', 'https://a.example.com/b.js')))
    expect(t2.id).toBe(t1.id)
    expect(posts()[1].body).toBe(posts()[0].body)
    expect(emulator!.errorCounts()).toEqual({})
  })

  it('a host with no distribution is refused by preflight naming distribution-id, before any request', async () => {
    await start()
    const h = client({ distribution: '', hosts: { 'a.example.com': DIST } })
    const err = await h.p.preflight({ purgeUrls: 2, purgeDirs: 0, prefetchUrls: 0, hosts: ['a.example.com', 'c.example.com'] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InputError)
    expect((err as Error).message).toMatch(/^Input 'distribution-id': no distribution for c\.example\.com; add a line c\.example\.com=<distribution id>/)
    expect(emulator!.requests).toHaveLength(0)
  })

  it('polls GetInvalidation: InProgress pending, Completed success (fake clock)', async () => {
    const clock = fakeClock()
    await start({ now: clock.now, completeAfterMs: 60_000 })
    const h = client({}, clock)
    const task = await h.p.submit(batchOf(urls('https://a.example.com/1', 'https://a.example.com/2')))
    expect((await h.p.status([task])).map((s) => [s.state, s.detail])).toEqual([
      ['pending', 'InProgress'],
      ['pending', 'InProgress']
    ])
    clock.t += 60_000
    expect((await h.p.status([task])).map((s) => [s.state, s.detail])).toEqual([
      ['success', 'Completed'],
      ['success', 'Completed']
    ])
  })

  it('more than 15 directories: invalidations of 15 wildcards, the next sent once this run’s earlier one completed (fake clock)', async () => {
    const clock = fakeClock()
    await start({ now: clock.now, completeAfterMs: 25_000 })
    const h = client({}, clock)
    const list = Array.from({ length: 20 }, (_, i) => `https://a.example.com/d${i}/`)
    const task = await h.p.submit(batchOf(dirs(...list)))
    const ids = task.id.split(',')
    expect(ids).toHaveLength(2)
    expect(emulator!.invalidations.get(ids[0])!.paths).toHaveLength(15)
    expect(emulator!.invalidations.get(ids[1])!.paths).toHaveLength(5)
    // waited in steps of CAP_WAIT_MS, asking GetInvalidation, until the first completed; never refused
    expect(h.slept).toEqual([CAP_WAIT_MS, CAP_WAIT_MS, CAP_WAIT_MS])
    expect(emulator!.errorCounts()).toEqual({})
    expect(emulator!.requests.filter((r) => r.method === 'GET')).toHaveLength(3)
    expect(h.logged.join('\n')).toMatch(/15 wildcard paths of this run in progress; waiting for them to complete before sending 5 more paths/)
    const s = await h.p.status([task])
    expect(s.filter((x) => x.state === 'success')).toHaveLength(15)
    expect(s.filter((x) => x.state === 'pending')).toHaveLength(5)
  })

  it('3,000 file paths in progress: a second batch waits for the first to complete rather than being refused (fake clock)', async () => {
    const clock = fakeClock()
    await start({ now: clock.now, completeAfterMs: 15_000 })
    const h = client({}, clock)
    const many = (prefix: string, n: number) => urls(...Array.from({ length: n }, (_, i) => `https://a.example.com/${prefix}${i}.html`))
    await h.p.submit(batchOf(many('a', 2000)))
    await h.p.submit(batchOf(many('b', 1500)))
    expect(emulator!.invalidations.size).toBe(2)
    expect(h.slept).toEqual([CAP_WAIT_MS, CAP_WAIT_MS])
    expect(emulator!.errorCounts()).toEqual({})
  })

  it('TooManyInvalidationsInProgress (another run’s invalidations): waits and sends again', async () => {
    const clock = fakeClock()
    await start({ now: clock.now, completeAfterMs: 45_000 })
    const other = client({ runRef: 'run-other' }, clock)
    await other.p.submit(batchOf(dirs(...Array.from({ length: 15 }, (_, i) => `https://a.example.com/o${i}/`))))
    const h = client({}, clock)
    const task = await h.p.submit(batchOf(dirs('https://a.example.com/mine/')))
    expect(emulator!.invalidations.get(task.id)!.paths).toEqual(['/mine/*'])
    expect(h.slept).toEqual([TOO_MANY_WAIT_MS, TOO_MANY_WAIT_MS])
    expect(emulator!.errorCounts()).toEqual({ TooManyInvalidationsInProgress: 2 })
    expect(h.logged.join('\n')).toMatch(
      /too many invalidations in progress \(1 invalidation in progress among the newest listed, 0 of them this run's\); waiting 30 s/
    )
    expect(emulator!.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/invalidation')).map((r) => r.query.get('MaxItems'))).toEqual(['100'])
  })

  it('a lost answer: the engine sends the batch again and the same CallerReference returns the same invalidation', async () => {
    await start()
    const h = client()
    emulator!.injectFaults([{ kind: 'reset-after-action' }])
    const batch = batchOf(urls('https://a.example.com/1', 'https://a.example.com/2'))
    const clock = { now: Date.now, sleep: async () => {} }
    const [outcome] = await submitBatches(h.p, [batch], 1, clock, () => {}, { maxSends: 3, lookupAttempts: 1, backoffMs: 1, backoffCapMs: 1 })
    expect(outcome.task).toBeDefined()
    expect(outcome.resent).toBe(1)
    expect(posts()).toHaveLength(2)
    expect(posts()[1].body).toBe(posts()[0].body)
    expect(emulator!.invalidations.size).toBe(1)
    expect(outcome.task!.id).toBe([...emulator!.invalidations.keys()][0])
    expect(emulator!.creates()).toBe(2)
  })

  it('Throttling is retried after 1, 2 s; then the call goes through', async () => {
    await start()
    const h = client()
    const throttled = {
      status: 400,
      headers: { 'Content-Type': 'text/xml' },
      body: '<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>'
    }
    emulator!.injectFaults([throttled, throttled])
    const task = await h.p.submit(batchOf(urls('https://a.example.com/1')))
    expect(emulator!.invalidations.has(task.id)).toBe(true)
    expect(h.slept).toEqual([1000, 2000])
    emulator!.injectFaults([throttled, throttled, throttled, throttled])
    const err = (await h.p.submit(batchOf(urls('https://a.example.com/2'))).catch((e: unknown) => e)) as ProviderError
    expect(err.retryable).toBe(true)
    expect(err.message).toMatch(/throttled it after 4 attempts/)
  })

  it('actionable errors, never quoting a secret: wrong secret, unknown key, expired token, another account’s distribution, clock skew', async () => {
    const clock = fakeClock()
    await start({ now: clock.now, distributions: { [DIST]: AK, EOTHERACCOUNT1: 'AKIAOTHER' }, keys: { [AK]: SK, AKIAOTHER: 'x' }, expiredTokens: ['old-tok'] })
    const fail = async (settings: Partial<CloudFrontSettings>, url = 'https://a.example.com/1', now?: () => number) => {
      const h = client(settings, now ? { t: 0, now } : clock)
      const err = (await h.p.submit(batchOf(urls(url))).catch((e: unknown) => e)) as ProviderError
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).not.toContain(SK)
      expect(err.message).not.toMatch(/[0-9a-f]{64}/)
      return err.message
    }
    expect(await fail({ secretKey: SK + 'wrong' })).toMatch(
      /SignatureDoesNotMatch.*check access-key and secret-key \(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\)/
    )
    expect(await fail({ accessKey: 'AKIAUNKNOWN' })).toMatch(/AWS does not know these credentials \(InvalidClientTokenId/)
    expect(await fail({ sessionToken: 'old-tok' })).toMatch(/session token has expired.*configure-aws-credentials/)
    expect(await fail({ distribution: 'EOTHERACCOUNT1' })).toMatch(
      /distribution EOTHERACCOUNT1 \(host a\.example\.com\) does not exist or these credentials cannot reach it \(NoSuchDistribution.*check distribution-id/
    )
    expect(await fail({}, 'https://a.example.com/1', () => clock.t - 10 * 60_000)).toMatch(/more than 5 minutes off its clock.*runner's clock/)
  })

  it('a URL ending in * or a path over 4,000 characters fails its batch before anything is sent', async () => {
    await start()
    const h = client()
    const err = (await h.p.submit(batchOf(urls('https://a.example.com/ok', 'https://a.example.com/star*'))).catch((e: unknown) => e)) as ProviderError
    expect(err.message).toMatch(/https:\/\/a\.example\.com\/star\* cannot be invalidated: ends with \*/)
    // 3,999 characters as given, 4,001 once its space is encoded: the encoded form counts
    const long = (await h.p.submit(batchOf(urls(`https://a.example.com/${'a'.repeat(3997)} `))).catch((e: unknown) => e)) as ProviderError
    expect(long).toBeInstanceOf(ProviderError)
    expect(long.message).toMatch(/cannot be invalidated: its path has 4001 characters, more than CloudFront's 4000/)
    expect(emulator!.requests).toHaveLength(0)
  })

  it('an unknown status word is pending and logged once', async () => {
    await start()
    const h = client()
    const task = await h.p.submit(batchOf(urls('https://a.example.com/1')))
    const odd = `<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${task.id}</Id><Status>Paused</Status></Invalidation>`
    emulator!.injectFaults([
      { status: 200, body: odd },
      { status: 200, body: odd }
    ])
    expect((await h.p.status([task]))[0]).toMatchObject({ state: 'pending', detail: 'Paused' })
    await h.p.status([task])
    expect(h.logged.filter((l) => l.includes("unknown invalidation status 'Paused' taken as pending"))).toHaveLength(1)
  })
})

describe("cloudfront's own XML reader", () => {
  it('reads elements and text, decodes entities, skips attributes, the declaration and comments', () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><Invalidation xmlns="${CLOUDFRONT_XMLNS}"><Id>I1</Id><Batch a='1'><Path>/a&amp;b&lt;&#x4E2D;&#20013;</Path><Empty/></Batch></Invalidation>\n`
    )
    expect(root.name).toBe('Invalidation')
    expect(textAt(root, 'Id')).toBe('I1')
    expect(textAt(root, 'Batch', 'Path')).toBe('/a&b<中中')
    expect(textAt(root, 'Batch', 'Empty')).toBe('')
    expect(textAt(root, 'Nope', 'Path')).toBe('')
  })

  it.each([
    ['<a><b></a></b>', /unexpected <\/a>/],
    ['<a>', /<a> is not closed/],
    ['<a/><b/>', /more than one root/],
    ['text', /text outside the root/],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', /malformed markup/],
    ['<a><![CDATA[x]]></a>', /malformed markup/],
    ['<a>&bogus;</a>', /unknown entity/],
    ['', /no root element/],
    [`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`, /nested too deep/]
  ])('refuses %s', (xml, why) => {
    expect(() => parseXml(xml)).toThrow(XmlError)
    expect(() => parseXml(xml)).toThrow(why)
  })
})

describe('cloudfront error messages a user can act on', () => {
  const errorXml = (code: string, message: string) =>
    `<ErrorResponse xmlns="${CLOUDFRONT_XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`
  it.each([
    [
      403,
      'AccessDenied',
      /IAM denied the call.*allow cloudfront:CreateInvalidation, cloudfront:GetInvalidation and cloudfront:ListInvalidations on distribution EDFDVBD6EXAMPLE \(host a\.example\.com\)/,
      false
    ],
    [400, 'InvalidArgument', /CloudFront refused the request \(InvalidArgument: .*\); check the URLs/, false],
    [413, 'BatchTooLarge', /more paths than CloudFront takes in one invalidation.*lower the batch-size input/, false],
    [409, 'InvalidationBatchAlreadyExists', /already holds another batch under this CallerReference/, false],
    [400, 'IncompleteSignature', /could not read the signature.*check the endpoint input/, false],
    [503, 'ServiceUnavailable', /failed: ServiceUnavailable/, true]
  ])('HTTP %i %s', async (status, code, why, retryable) => {
    await start()
    const h = client()
    emulator!.injectFaults([{ status, body: errorXml(code, 'said'), headers: { 'Content-Type': 'text/xml' } }])
    const err = (await h.p.submit(batchOf(urls('https://a.example.com/1'))).catch((e: unknown) => e)) as ProviderError
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toMatch(why)
    expect(err.retryable).toBe(retryable)
  })

  it('a 2xx answer that is not XML is a retryable, ambiguous failure', async () => {
    await start()
    const h = client()
    emulator!.injectFaults([{ kind: 'truncated-json' }])
    const err = (await h.p.submit(batchOf(urls('https://a.example.com/1'))).catch((e: unknown) => e)) as ProviderError
    expect(err.message).toMatch(/the answer is not XML \(HTTP 201/)
    expect([err.retryable, err.ambiguous]).toEqual([true, true])
  })
})

describe('cloudfront takes answers as data', () => {
  const MB = 'x'.repeat(1024 * 1024)
  it('a status word or error message with line breaks, commands, the secret and a megabyte comes back one line, bounded, redacted', async () => {
    await start()
    const h = client()
    const task = await h.p.submit(batchOf(urls('https://a.example.com/1')))
    const hostile = `RUN\n::error::PWN\r\n${MB}`
    emulator!.injectFaults([{ status: 200, body: `<Invalidation><Id>${task.id}</Id><Status>${hostile}</Status></Invalidation>` }])
    const [s] = await h.p.status([task])
    expect(s.state).toBe('pending')
    expect(s.detail).not.toMatch(/[\r\n]/)
    expect(s.detail.length).toBeLessThan(200)
    emulator!.injectFaults([
      {
        status: 400,
        body: `<ErrorResponse><Error><Code>Weird\n::error::X</Code><Message>${hostile} ${SK}</Message></Error></ErrorResponse>`
      }
    ])
    const err = (await h.p.submit(batchOf(urls('https://a.example.com/2'))).catch((e: unknown) => e)) as ProviderError
    expect(err.message).not.toMatch(/[\r\n]/)
    expect(err.message).not.toContain(SK)
    expect(err.message.length).toBeLessThan(2100)
  })

  it('an invalidation Id over 1 KB or with a comma makes the submit fail as malformed', async () => {
    await start()
    const h = client()
    for (const id of ['I'.repeat(1025), 'I1,I2']) {
      emulator!.injectFaults([{ status: 201, body: `<Invalidation><Id>${id}</Id><Status>InProgress</Status></Invalidation>` }])
      const err = (await h.p.submit(batchOf(urls(`https://a.example.com/${id.length}`))).catch((e: unknown) => e)) as ProviderError
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).toMatch(/malformed|no usable invalidation Id/)
    }
  })
})
