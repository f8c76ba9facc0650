/**
 * The cloudflare emulator checks what providers-next.md §4 says Cloudflare checks; these tests
 * talk to it directly, without the provider.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import {
  CLOUDFLARE_EXAMPLE_ZONE,
  CLOUDFLARE_INVALID_ITEM_CODE,
  CLOUDFLARE_TEST_TOKEN,
  CLOUDFLARE_TOO_MANY_CODE,
  startCloudflareEmulator,
  type CloudflareEmulator,
  type CloudflareEmulatorOptions
} from '../../emulators/cloudflare.js'
import { createTransport } from '../../src/http/transport.js'

const ZONE = CLOUDFLARE_EXAMPLE_ZONE
const OTHER_ZONE = 'b'.repeat(32)
const TOKEN = CLOUDFLARE_TEST_TOKEN

let emulator: CloudflareEmulator | null = null
let clock = 1_700_000_000_000
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

async function start(options: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  clock = 1_700_000_000_000
  emulator = await startCloudflareEmulator({
    tokens: { [TOKEN]: [ZONE], OtherZoneOnlyToken0123456789abcdefghijk: [OTHER_ZONE] },
    zones: { [ZONE]: 'example.com', [OTHER_ZONE]: 'example.net' },
    now: () => clock,
    ...options
  })
  return emulator
}

interface Call {
  path?: string
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: unknown
}

async function call(o: Call = {}): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const headers = o.headers ?? { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }
  const res = await transport.request({
    method: o.method ?? 'POST',
    url: `${emulator!.url}${o.path ?? `/client/v4/zones/${ZONE}/purge_cache`}`,
    headers,
    body: o.method === 'GET' ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body ?? { files: ['https://www.example.com/a'] })
  })
  return { status: res.status, body: JSON.parse(res.text), retryAfter: res.header('retry-after') }
}

const codes = (body: any) => body.errors.map((e: { code: number }) => e.code)

describe('cloudflare emulator', () => {
  it('C-1 (§4): the published request gets the published answer, exactly', async () => {
    const e = await start()
    const r = await call({ body: '{"files":["http://www.example.com/css/styles.css","http://www.example.com/js/index.js"]}' })
    expect(r.status).toBe(200)
    expect(r.body).toEqual({ success: true, errors: [], messages: [], result: { id: '023e105f4ecef8ad9ca31a8372d0c353' } })
    expect(e.purges).toEqual([
      { zone: ZONE, token: TOKEN, kind: 'files', items: ['http://www.example.com/css/styles.css', 'http://www.example.com/js/index.js'], at: clock }
    ])
  })

  it('takes the route with or without the /client/v4 base path, and only POST', async () => {
    await start()
    expect((await call({ path: `/zones/${ZONE}/purge_cache` })).status).toBe(200)
    expect((await call({ path: `/client/v4/zones/${ZONE}/purge` })).body.errors[0].code).toBe(7000)
    const get = await call({ method: 'GET' })
    expect(get.status).toBe(405)
    expect(get.body.success).toBe(false)
  })

  it('refuses with the {success: false, errors, messages, result: null} shape and the observed codes', async () => {
    await start()
    const none = await call({ headers: { 'Content-Type': 'application/json' } })
    expect(none.body).toEqual({ success: false, errors: [{ code: 9106, message: expect.any(String) }], messages: [], result: null })
    const malformed = await call({ headers: { Authorization: `Bearer ${TOKEN} extra`, 'Content-Type': 'application/json' } })
    expect(malformed.status).toBe(400)
    expect(malformed.body.errors[0]).toMatchObject({ code: 6003, error_chain: [{ code: 6111 }] })
    const legacy = await call({ headers: { 'X-Auth-Email': 'a@example.com', 'X-Auth-Key': 'f'.repeat(37), 'Content-Type': 'application/json' } })
    expect(codes(legacy.body)).toEqual([9106])
    const unknown = await call({ headers: { Authorization: 'Bearer NotAKnownToken0123456789abcdefghijklmno', 'Content-Type': 'application/json' } })
    expect([unknown.status, codes(unknown.body)]).toEqual([403, [9109]])
  })

  it('checks zone ownership (10000) and the zone id format (7003: a name does not route)', async () => {
    await start()
    const notHers = await call({ path: `/client/v4/zones/${OTHER_ZONE}/purge_cache`, body: { files: ['https://www.example.net/a'] } })
    expect([notHers.status, codes(notHers.body)]).toEqual([403, [10000]])
    const byName = await call({ path: '/client/v4/zones/example.com/purge_cache' })
    expect(codes(byName.body)).toEqual([7003])
    const noSuchZone = await call({ path: `/client/v4/zones/${'c'.repeat(32)}/purge_cache` })
    expect(codes(noSuchZone.body)).toEqual([7003])
  })

  it('takes one kind per request, as a non-empty array, with a JSON content type', async () => {
    await start()
    expect(codes((await call({ body: { files: ['https://www.example.com/a'], prefixes: ['www.example.com/b/'] } })).body)).toEqual([1014])
    expect(codes((await call({ body: { files: 'https://www.example.com/a' } })).body)).toEqual([1014])
    expect(codes((await call({ body: {} })).body)).toEqual([1014])
    const form = await call({ headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-www-form-urlencoded' } })
    expect(codes(form.body)).toEqual([6003])
  })

  it.each([30, 100, 500])('enforces a per-request limit of %i files, saying no more than N; prefixes 100', async (n) => {
    await start({ filesPerCall: n })
    const files = (k: number) => Array.from({ length: k }, (_, i) => `https://www.example.com/${i}`)
    expect((await call({ body: { files: files(n) } })).status).toBe(200)
    const over = await call({ body: { files: files(n + 1) } })
    expect(over.status).toBe(400)
    expect(over.body.errors[0]).toEqual({ code: CLOUDFLARE_TOO_MANY_CODE, message: expect.stringContaining(`no more than ${n} files`) })
    const prefixes = (k: number) => Array.from({ length: k }, (_, i) => `www.example.com/d${i}/`)
    expect((await call({ body: { prefixes: prefixes(100) } })).status).toBe(200)
    expect((await call({ body: { prefixes: prefixes(101) } })).body.errors[0].message).toContain('no more than 100 prefixes')
  })

  it('holds prefixes to host/path: no scheme, query or fragment, at most 31 path separators; files to full URLs', async () => {
    await start()
    const deep = (n: number) => `www.example.com${'/d'.repeat(n - 1)}/`
    expect(deep(31).split('/').length - 1).toBe(31)
    expect((await call({ body: { prefixes: [deep(31)] } })).status).toBe(200)
    for (const bad of ['https://www.example.com/a/', 'www.example.com/a?x=1', 'www.example.com/a#b', deep(32)]) {
      expect(codes((await call({ body: { prefixes: [bad] } })).body)).toEqual([CLOUDFLARE_INVALID_ITEM_CODE])
    }
    expect(codes((await call({ body: { files: ['www.example.com/a'] } })).body)).toEqual([CLOUDFLARE_INVALID_ITEM_CODE])
  })

  it('holds files and prefixes to UTF-8 percent-encoding: raw non-ASCII or white space is refused', async () => {
    const e = await start()
    for (const bad of [{ files: ['https://www.example.com/café.html'] }, { files: ['https://www.example.com/a b'] }, { prefixes: ['www.example.com/café/'] }]) {
      expect(codes((await call({ body: bad })).body)).toEqual([CLOUDFLARE_INVALID_ITEM_CODE])
    }
    expect((await call({ body: { files: ['https://www.example.com/caf%C3%A9.html?q=%C3%A9'] } })).status).toBe(200)
    expect((await call({ body: { prefixes: ['www.example.com/caf%C3%A9/'] } })).status).toBe(200)
    expect(e.purges).toHaveLength(2)
  })

  it('refuses a URL outside the zone, so a purge sent to the wrong zone fails the tests', async () => {
    const e = await start()
    const r = await call({ body: { files: ['https://www.example.com/a', 'https://www.example.net/a'] } })
    expect(r.body.errors[0].message).toContain('not in zone example.com')
    expect(e.purges).toEqual([])
  })

  it('answers 429 (code 971) over the rate limit, with Retry-After when configured, and takes requests again after the window', async () => {
    await start({ rateLimit: { requests: 2, windowMs: 1000, retryAfterSeconds: 3 } })
    expect((await call()).status).toBe(200)
    expect((await call()).status).toBe(200)
    const limited = await call()
    expect([limited.status, codes(limited.body), limited.retryAfter]).toEqual([429, [971], '3'])
    clock += 1001
    expect((await call()).status).toBe(200)
  })
})
