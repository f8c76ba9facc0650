/** The cloudflare provider: its inputs, and the client against the strict emulator. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../__fixtures__/fake-provider.js'
import { CLOUDFLARE_EXAMPLE_ZONE, startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions } from '../../emulators/cloudflare.js'
import { ACCEPTED_IS_FINAL, executePlan } from '../../src/engine/execute.js'
import { batchForProvider, withBatchSize } from '../../src/engine/batch.js'
import { InputError } from '../../src/errors.js'
import { createTransport, type ClosableTransport, type TransportOptions } from '../../src/http/transport.js'
import { readSettings } from '../../src/inputs.js'
import { cloudflare, CloudflareClient, parseZoneIds, type CloudflareSettings } from '../../src/providers/cloudflare.js'
import { ProviderError, type Batch, type BatchItem } from '../../src/providers/provider.js'
import { settingsOf } from './reader.js'
import { addSecret, clearSecrets } from '../../src/redact.js'

const ZONE = CLOUDFLARE_EXAMPLE_ZONE
const ZONE_B = 'b'.repeat(32)
const TOKEN = 'ClientTestApiToken_0123456789-abcdefghij'

let emulator: CloudflareEmulator | null = null
let transport: ClosableTransport | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
  transport?.close()
  transport = null
})

async function start(options: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  emulator = await startCloudflareEmulator({ tokens: { [TOKEN]: [ZONE, ZONE_B] }, zones: { [ZONE]: 'example.com', [ZONE_B]: 'example.net' }, ...options })
  return emulator
}

/** A client on the emulator; `sleeps` are the transport's back-off pauses (not slept). */
function client(settings: Partial<CloudflareSettings> = {}, transportSleeps: number[] = [], transportOptions: Partial<TransportOptions> = {}) {
  transport = createTransport({ maxAttempts: 3, sleep: async (ms) => void transportSleeps.push(ms), random: () => 0.5, ...transportOptions })
  const logs: string[] = []
  const masked: string[] = []
  const c = new CloudflareClient(
    {
      endpoint: `${emulator!.url}/client/v4`,
      request: transport.request,
      mask: (s) => masked.push(s),
      log: (l) => logs.push(l),
      now: () => 1_700_000_000_000,
      sleep: async () => {}
    },
    {
      token: TOKEN,
      zones: {
        all: null,
        byHost: new Map([
          ['www.example.com', ZONE],
          ['static.example.net', ZONE_B]
        ])
      },
      ...settings
    }
  )
  return { c, logs, masked }
}

const url = (u: string): BatchItem => ({ kind: 'url', url: u })
const dir = (u: string): BatchItem => ({ kind: 'dir', url: u })
const batch = (items: BatchItem[], host = new URL(items[0].url).host): Batch => ({ op: 'purge', host, items })

async function refusal(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p
  } catch (err) {
    if (err instanceof ProviderError) return err
    throw err
  }
  throw new Error('not refused')
}

function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn()
  } catch (err) {
    if (err instanceof InputError) return err
    throw err
  }
  throw new Error('no InputError')
}

describe('cloudflare inputs', () => {
  it('takes one zone id for every host, or host=id lines (hosts as the URLs spell them)', () => {
    expect(settingsOf(cloudflare, { token: TOKEN, zoneId: ZONE.toUpperCase() })).toEqual({ token: TOKEN, zones: { all: ZONE, byHost: new Map() } })
    const zones = parseZoneIds(`www.example.com=${ZONE}\n\n  Static.Example.NET = ${ZONE_B}\nbücher.example=${ZONE}`)
    expect(zones.all).toBeNull()
    expect([...zones.byHost]).toEqual([
      ['www.example.com', ZONE],
      ['static.example.net', ZONE_B],
      ['xn--bcher-kva.example', ZONE]
    ])
  })

  it.each([
    ['', /cloudflare needs the zone to purge.*Overview page/],
    ['example.com', /'example\.com' is a zone name, not a zone id; give the zone's 32-hex Zone ID, shown on its Overview page/],
    [`www.example.com=example.com`, /line 1: 'example\.com' is a zone name/],
    [ZONE.slice(1), /is not a zone id/],
    [`www.example.com=${ZONE}\nWWW.example.com=${ZONE_B}`, /line 2: host www\.example\.com is given twice/],
    [`www.example.com=${ZONE}\n${ZONE_B}`, /line 2: .* is not host=id/],
    [`https://www.example.com/=${ZONE}`, /line 1: .* is not a host name/]
  ])('zone-id %j is an input error naming zone-id', (raw, message) => {
    const err = inputErrorOf(() => settingsOf(cloudflare, { token: TOKEN, zoneId: raw }))
    expect(err.input).toBe('zone-id')
    expect(err.message).toMatch(message)
  })

  it.each([
    ['', /cloudflare needs an API token with the one permission Zone → Cache Purge/],
    [`Bearer ${TOKEN}`, /without 'Bearer '/],
    [`${TOKEN}\nx`, /white space or control characters/],
    [`${TOKEN}\u200b`, /white space or control characters/],
    ['0123456789abcdef0123456789abcdef01234', /Global API Key .* not supported: it can do anything on the account/],
    // The scannable format (developers.cloudflare.com/fundamentals/api/get-started/token-formats): cfk_ + 40 + checksum.
    [`cfk_${'aB3'.repeat(13)}x0123abcd`, /Global API Key \(it starts with 'cfk_'\), which is not supported/],
    ['short-token', /is not an API token \(11 characters/],
    [`${TOKEN}"`, /is not an API token/]
  ])('token %j is an input error naming token that never quotes it', (token, message) => {
    const err = inputErrorOf(() => settingsOf(cloudflare, { token, zoneId: ZONE }))
    expect(err.input).toBe('token')
    expect(err.message).toMatch(message)
    if (token.length > 12) expect(err.message).not.toContain(token.replace(/^Bearer /, '').slice(0, 20))
  })

  it.each([
    ['a user API token', `cfut_${'aB3'.repeat(13)}x0123abcd`],
    ['an account API token', `cfat_${'Zy9'.repeat(13)}q89abcdef`],
    ['an older 40-character token', TOKEN]
  ])('takes %s in the scannable or the older format', (_, token) => {
    expect(settingsOf(cloudflare, { token, zoneId: ZONE }).token).toBe(token)
  })

  const inputs = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
    const masked: string[] = []
    const settings = readSettings(
      (name) => values[name] ?? '',
      (s) => masked.push(s),
      env
    )
    return { settings, masked }
  }
  const base = { provider: 'cloudflare', 'zone-id': ZONE, urls: 'https://www.example.com/a' }

  it(`reads the token from CLOUDFLARE_API_TOKEN when the input is empty, and masks it`, () => {
    const { settings, masked } = inputs(base, { CLOUDFLARE_API_TOKEN: TOKEN })
    expect(settings.providerSettings).toMatchObject({ token: TOKEN })
    expect(masked).toContain(TOKEN)
    expect(settings.endpoint).toBe('https://api.cloudflare.com/client/v4')
  })

  it.each(['prefetch', 'purge-prefetch'])('mode %s is an input error naming the provider', (mode) => {
    const err = inputErrorOf(() => inputs({ ...base, token: TOKEN, mode }))
    expect(err.input).toBe('mode')
    expect(err.message).toMatch(/cloudflare has no prefetch API; use mode: purge/)
  })

  it('batch-size raises the 30 files a call up to 500, never prefixes above 100', () => {
    expect(inputs({ ...base, token: TOKEN, 'batch-size': '500' }).settings.batchSize).toBe(500)
    expect(inputErrorOf(() => inputs({ ...base, token: TOKEN, 'batch-size': '501' })).message).toMatch(
      /'501' is above cloudflare's per-call limit \(purge 500\); it can raise the default up to that/
    )
    const items = [
      ...Array.from({ length: 120 }, (_, i) => url(`https://www.example.com/${i}`)),
      ...Array.from({ length: 120 }, (_, i) => dir(`https://www.example.com/d${i}/`))
    ]
    const sizes = (limits: typeof cloudflare.limits) => batchForProvider('purge', items, limits).map((b) => `${b.items[0].kind} ${b.items.length}`)
    expect(sizes(cloudflare.limits)).toEqual(['url 30', 'url 30', 'url 30', 'url 30', 'dir 30', 'dir 30', 'dir 30', 'dir 30'])
    expect(sizes(withBatchSize(cloudflare.limits, 500))).toEqual(['url 120', 'dir 100', 'dir 20'])
  })
})

describe('cloudflare client', () => {
  it('sends C-1 (§4) exactly: POST /client/v4/zones/{id}/purge_cache, Bearer token, JSON files', async () => {
    const e = await start()
    const { c, masked } = client({ zones: { all: ZONE, byHost: new Map() } })
    expect(masked).toEqual([TOKEN])
    const task = await c.submit(batch([url('http://www.example.com/css/styles.css'), url('http://www.example.com/js/index.js')]))
    expect(e.requests).toHaveLength(1)
    const [req] = e.requests
    expect([req.method, req.path]).toEqual(['POST', '/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache'])
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.body).toBe('{"files":["http://www.example.com/css/styles.css","http://www.example.com/js/index.js"]}')
    // result.id is no job handle: the task carries a local label, never reported as a task id.
    expect(task).toMatchObject({ id: `request 1 to zone ${ZONE}`, localId: true })
  })

  it('sends directories as prefixes (host/path, no scheme), each host to its own zone', async () => {
    const e = await start()
    const { c } = client()
    await c.submit(batch([dir('https://www.example.com/img/'), dir('https://www.example.com/caf%C3%A9/')]))
    await c.submit(batch([url('https://static.example.net/app.js')]))
    expect(e.purges.map((p) => [p.zone, p.kind, p.items])).toEqual([
      [ZONE, 'prefixes', ['www.example.com/img/', 'www.example.com/caf%C3%A9/']],
      [ZONE_B, 'files', ['https://static.example.net/app.js']]
    ])
  })

  it('sends files UTF-8 percent-encoded, as a browser requests them (Cloudflare: "Always use UTF-8 encoded URLs"), without a fragment', async () => {
    const ZONE_C = 'c'.repeat(32)
    const e = await start({ tokens: { [TOKEN]: [ZONE, ZONE_C] }, zones: { [ZONE]: 'example.com', [ZONE_C]: 'xn--bcher-kva.example' } })
    const { c } = client({
      zones: {
        all: null,
        byHost: new Map([
          ['www.example.com', ZONE],
          ['xn--bcher-kva.example', ZONE_C]
        ])
      }
    })
    await c.submit(
      batch([url('https://www.example.com/café.html?q=é'), url('https://WWW.example.com:443/a/../b.css'), url('https://www.example.com/caf%C3%A9.js#top')])
    )
    await c.submit(batch([url('https://bücher.example/ä.html')]))
    expect(e.purges.map((p) => p.items)).toEqual([
      ['https://www.example.com/caf%C3%A9.html?q=%C3%A9', 'https://www.example.com/b.css', 'https://www.example.com/caf%C3%A9.js'],
      ['https://xn--bcher-kva.example/%C3%A4.html']
    ])
  })

  it('refuses a prefix over 31 path separators before sending', async () => {
    const e = await start()
    const { c } = client()
    const err = await refusal(c.submit(batch([dir(`https://www.example.com${'/d'.repeat(31)}/`)])))
    expect(err.message).toMatch(/has 32 path separators; Cloudflare takes at most 31 in a prefix/)
    expect(e.requests).toHaveLength(0)
  })

  it('preflight: a host with no zone is an InputError naming zone-id, before anything is sent; the mapping is logged', async () => {
    const e = await start()
    const { c, logs } = client()
    const err = await c.preflight({ purgeUrls: 2, purgeDirs: 0, prefetchUrls: 0, hosts: ['cdn.example.org', 'www.example.com'] }).catch((x: unknown) => x)
    expect(err).toBeInstanceOf(InputError)
    expect((err as InputError).input).toBe('zone-id')
    expect((err as InputError).message).toMatch(/no zone id for host cdn\.example\.org .*add a line cdn\.example\.org=<zone id>/)
    await c.preflight({ purgeUrls: 2, purgeDirs: 0, prefetchUrls: 0, hosts: ['static.example.net', 'www.example.com'] })
    expect(logs).toEqual([`cloudflare: static.example.net → zone ${ZONE_B}`, `cloudflare: www.example.com → zone ${ZONE}`])
    expect(e.requests).toHaveLength(0)
  })

  it.each([
    [
      'an unknown token (9109)',
      { tokens: { OtherToken_0123456789abcdefghijklmnopqr: [ZONE] } },
      /rejected the API token \(HTTP 403, 9109 .*check the token input \(or CLOUDFLARE_API_TOKEN\)/
    ],
    [
      'a token without the zone (10000)',
      { tokens: { [TOKEN]: [ZONE_B] } },
      /refused the token on zone 023e.*10000 Authentication error.*Zone → Cache Purge with this zone in its zone resources, and check zone-id for www\.example\.com/
    ],
    ['a zone id that does not exist (7003)', { zones: { [ZONE_B]: 'example.net' } }, /has no zone 023e.*7003 .*check zone-id for www\.example\.com/],
    [
      'more files than the plan takes',
      { filesPerCall: 2 },
      /no more than 2 in one request on this zone's plan .*lower batch-size to 2 or less \(the default, 30, is taken on every plan\)/
    ]
  ])('%s: an actionable, non-retryable error that never shows the token', async (_, options, message) => {
    await start(options as CloudflareEmulatorOptions)
    const { c } = client()
    const err = await refusal(c.submit(batch([url('https://www.example.com/a'), url('https://www.example.com/b'), url('https://www.example.com/c')])))
    expect(err.message).toMatch(message)
    expect([err.retryable, err.ambiguous]).toEqual([false, false])
    expect(err.message).not.toContain(TOKEN)
  })

  it('a 429 is retried with the transport back-off, honouring Retry-After; still limited, a retryable error', async () => {
    const e = await start({ rateLimit: { requests: 1, windowMs: 60_000, retryAfterSeconds: 7 } })
    const sleeps: number[] = []
    const { c } = client({}, sleeps)
    await c.submit(batch([url('https://www.example.com/a')]))
    const err = await refusal(c.submit(batch([url('https://www.example.com/b')])))
    expect(e.requests).toHaveLength(1 + 3)
    expect(sleeps).toEqual([7000, 7000])
    expect(err.message).toMatch(/rate-limited it \(HTTP 429, 971 Please wait.*lower concurrency, or run again later/)
    expect(err.retryable).toBe(true)
  })

  it.each([
    ['the run timeout', 100, /HTTP 429; not retried: the timeout \(60 s\) runs out first\)/],
    ['the retry budget', 3600, /HTTP 429; retry budget exhausted\)/]
  ])('a Retry-After past %s is not waited for: one request, no pause, a failure saying rate-limited', async (_, retryAfterSeconds, why) => {
    const e = await start({ rateLimit: { requests: 1, windowMs: 3_600_000, retryAfterSeconds } })
    const sleeps: number[] = []
    const now = 1_700_000_000_000
    const { c } = client({}, sleeps, { deadline: now + 60_000, deadlineName: 'the timeout (60 s)', now: () => now })
    await c.submit(batch([url('https://www.example.com/a')]))
    const err = await refusal(c.submit(batch([url('https://www.example.com/b')])))
    expect(e.requests).toHaveLength(2)
    expect(sleeps).toEqual([])
    expect(err.message).toMatch(/^cloudflare purge of 1 URL: Cloudflare rate-limited it and asked to wait longer than this run can \(/)
    expect(err.message).toMatch(why)
    expect(err.message).toMatch(/lower concurrency, or run again later$/)
    expect([err.retryable, err.ambiguous]).toEqual([true, false])
    expect(err.message).not.toContain(TOKEN)
  })

  it('9109 "Unauthorized to access requested resource" (a valid token without the permission) names the permission and the zone too', async () => {
    const e = await start()
    const { c } = client()
    const body = { success: false, errors: [{ code: 9109, message: 'Unauthorized to access requested resource' }], messages: [], result: null }
    e.injectFaults([{ status: 403, body: JSON.stringify(body) }])
    const err = await refusal(c.submit(batch([url('https://www.example.com/a')])))
    expect(err.message).toMatch(/rejected the API token \(HTTP 403, 9109 Unauthorized to access requested resource\); check the token input/)
    expect(err.message).toMatch(new RegExp(`with Zone → Cache Purge on zone ${ZONE} \\(zone-id for www\\.example\\.com\\)$`))
  })

  it('a count refusal worded "cannot provide more than N items" (§4 [C11]) names batch-size too', async () => {
    const e = await start()
    const { c } = client()
    const body = { success: false, errors: [{ code: 1134, message: 'You cannot provide more than 100 items' }], messages: [], result: null }
    e.injectFaults([{ status: 400, body: JSON.stringify(body) }])
    const err = await refusal(c.submit(batch([dir('https://www.example.com/a/')])))
    expect(err.message).toMatch(/no more than 100 in one request on this zone's plan .*lower batch-size to 100 or less/)
  })

  it('a refusal answered HTTP 200 with success: false is a failure, and "no more than N" still names batch-size', async () => {
    const e = await start()
    const { c } = client()
    // Cloudflare answers some refusals with HTTP 200 (opennextjs/opennextjs-cloudflare PR #655).
    const body = { success: false, errors: [{ code: 1134, message: 'Request must contain no more than 2 files' }], messages: [], result: null }
    e.injectFaults([{ status: 200, body: JSON.stringify(body) }])
    const err = await refusal(c.submit(batch([url('https://www.example.com/a'), url('https://www.example.com/b'), url('https://www.example.com/c')])))
    expect(err.message).toMatch(
      /no more than 2 in one request on this zone's plan \(HTTP 200, 1134 Request must contain no more than 2 files\); lower batch-size to 2 or less/
    )
    expect([err.retryable, err.ambiguous]).toEqual([false, false])
  })

  it('a 500 or a lost answer is ambiguous (the engine sends it again); a 2xx without success:true too', async () => {
    const e = await start()
    const { c } = client()
    e.injectFaults([{ status: 500, body: '{"success":false,"errors":[{"code":10001,"message":"internal"}],"messages":[],"result":null}' }])
    const five = await refusal(c.submit(batch([url('https://www.example.com/a')])))
    expect(five.message).toMatch(/Cloudflare failed \(HTTP 500, 10001 internal\); purging again is harmless/)
    expect([five.retryable, five.ambiguous]).toEqual([true, true])
    e.injectFaults([{ kind: 'reset-after-action' }])
    expect((await refusal(c.submit(batch([url('https://www.example.com/a')])))).ambiguous).toBe(true)
    e.injectFaults([{ status: 200, body: '<html>proxy</html>' }])
    expect((await refusal(c.submit(batch([url('https://www.example.com/a')])))).ambiguous).toBe(true)
  })

  it('answers are data: a hostile error message comes back one line, cut, the token redacted; a proxy page keeps its reason', async () => {
    const e = await start()
    const { c } = client()
    addSecret(TOKEN)
    try {
      const hostile = `refused: ${TOKEN} ${Buffer.from(TOKEN).toString('base64')}\n::error::PWN ${'x'.repeat(100_000)}`
      e.injectFaults([{ status: 403, body: JSON.stringify({ success: false, errors: [{ code: 10000, message: hostile }], messages: [], result: null }) }])
      const err = await refusal(c.submit(batch([url('https://www.example.com/a')])))
      expect(err.message).not.toMatch(/[\r\n]/)
      expect(err.message).toMatch(/10000 refused: \*\*\* \*\*\* ::error::PWN x+…\(\d+ characters\)/)
      expect(err.message.length).toBeLessThan(2100)
      expect(err.message).not.toContain(TOKEN)
      const page = `<html><title>403 Forbidden</title><body>blocked by rule 942100 ${TOKEN}</body>${'<p>padding</p>'.repeat(400)}</html>`
      e.injectFaults([{ status: 403, body: page }])
      const proxy = await refusal(c.submit(batch([url('https://www.example.com/a')])))
      expect(proxy.message).toContain('HTTP 403 with no Cloudflare answer: <html><title>403 Forbidden</title><body>blocked by rule 942100 ***</body>')
      expect(proxy.message).toMatch(/…\(\d+ characters\); check the endpoint input$/)
      expect(proxy.message).not.toContain(TOKEN)
    } finally {
      clearSecrets()
    }
  })

  it('through the engine: never polled, items succeed as final on acceptance, no task id reported, a lost answer sent again with no look-up', async () => {
    const e = await start()
    const { c } = client()
    e.injectFaults([{ kind: 'reset-after-action' }])
    const clock = fakeClock(1_700_000_000_000)
    const plan = { purgeUrls: ['https://www.example.com/a', 'https://static.example.net/b'], purgeDirs: ['https://www.example.com/img/'], prefetchUrls: [] }
    const result = await executePlan(c, plan, { mode: 'purge', wait: true, deadline: clock.now() + 600_000, pollSeconds: null, concurrency: 1 }, clock, {
      batches: () => {},
      submitted: () => {},
      round: () => {}
    })
    expect(result.taskIds).toEqual([])
    expect(result.items.map((i) => [i.url, i.state, i.message, i.taskId])).toEqual(
      expect.arrayContaining([
        ['https://www.example.com/a', 'success', ACCEPTED_IS_FINAL, null],
        ['https://static.example.net/b', 'success', ACCEPTED_IS_FINAL, null],
        ['https://www.example.com/img/', 'success', ACCEPTED_IS_FINAL, null]
      ])
    )
    expect(result.items.find((i) => i.url === 'https://www.example.com/a')?.resent).toBe(1)
    // Only purge calls: the lost one, its resend, and the other two batches.
    expect(e.counts()).toEqual({ [`POST /client/v4/zones/${ZONE}/purge_cache`]: 3, [`POST /client/v4/zones/${ZONE_B}/purge_cache`]: 1 })
  })
})
