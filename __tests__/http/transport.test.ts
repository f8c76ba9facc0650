import { afterEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTransport, HttpError, parseJsonBody, parseRetryAfter } from '../../src/http/transport.js'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void
const servers: http.Server[] = []
async function serve(handler: Handler): Promise<{ url: string; hits: () => number }> {
  let n = 0
  const server = http.createServer((req, res) => {
    n++
    req.resume()
    req.on('end', () => handler(req, res, n))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => n }
}
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
  delete process.env.HTTP_PROXY
})

function transport(extra: Parameters<typeof createTransport>[0] = {}) {
  const sleeps: number[] = []
  const t = createTransport({ sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, timeoutMs: 2000, ...extra })
  return { t, sleeps }
}

describe('parseRetryAfter', () => {
  it.each([
    ['5', 0, 5000],
    [' 0 ', 0, 0],
    ['Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'), 10_000],
    ['Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:29:00 GMT'), 0],
    ['soon', 0, null],
    [null, 0, null]
  ])('%p at %p → %p ms', (value, now, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected)
  })
})

describe('createTransport', () => {
  it('retries a POST answered 503 and waits at least Retry-After', async () => {
    const s = await serve((_, res, n) => {
      if (n === 1) {
        res.writeHead(503, { 'Retry-After': '3' })
        res.end()
      } else res.end('{"ok":1}')
    })
    const { t, sleeps } = transport()
    const res = await t.request({ method: 'POST', url: s.url, body: '{}' })
    expect(res.status).toBe(200)
    expect(s.hits()).toBe(2)
    expect(sleeps[0]).toBeGreaterThanOrEqual(3000)
    t.close()
  })

  it('does not retry a POST answered 500 (it may have been acted on), but retries a GET', async () => {
    const s = await serve((_, res, n) => {
      res.writeHead(n <= 2 ? 500 : 200)
      res.end('x')
    })
    const { t } = transport()
    expect((await t.request({ method: 'POST', url: s.url, body: '{}' })).status).toBe(500)
    expect(s.hits()).toBe(1)
    expect((await t.request({ method: 'GET', url: s.url })).status).toBe(200)
    expect(s.hits()).toBe(3)
    t.close()
  })

  it('fails a stalled body within the deadline, as ambiguous', async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { 'Content-Length': '100' })
      res.write('{"partial":')
    })
    const { t } = transport({ timeoutMs: 200, maxAttempts: 1 })
    const err = (await t.request({ method: 'POST', url: s.url, body: '{}' }).catch((e) => e)) as HttpError
    expect(err).toBeInstanceOf(HttpError)
    expect(err.message).toMatch(/no complete answer within 200 ms/)
    expect(err.ambiguous).toBe(true)
    t.close()
  })

  it('never follows a redirect and names the target host', async () => {
    const s = await serve((_, res) => {
      res.writeHead(302, { Location: 'https://evil.example.net/steal' })
      res.end()
    })
    const { t } = transport()
    const err = (await t.request({ method: 'GET', url: s.url, headers: { 'X-Auth-Token': 'secret-token' } }).catch((e) => e)) as HttpError
    expect(err.message).toMatch(/redirecting to evil\.example\.net; redirects are not followed/)
    expect(err.message).not.toContain('secret-token')
    expect(s.hits()).toBe(1)
    t.close()
  })

  it('retries a refused connection (never reached the server) even for POST', async () => {
    const s = await serve((_, res) => res.end())
    const port = new URL(s.url).port
    servers[0].close()
    const { t, sleeps } = transport({ maxAttempts: 3 })
    const err = (await t.request({ method: 'POST', url: `http://127.0.0.1:${port}/`, body: '{}' }).catch((e) => e)) as HttpError
    expect(err.message).toMatch(/ECONNREFUSED/)
    expect(sleeps).toHaveLength(2)
    t.close()
  })

  it('stops retrying when the retry budget is spent', async () => {
    const s = await serve((_, res) => {
      res.writeHead(429, { 'Retry-After': '100' })
      res.end()
    })
    const { t } = transport({ retryBudgetMs: 150_000 })
    const err = (await t.request({ method: 'GET', url: s.url }).catch((e) => e)) as HttpError
    expect(err.message).toMatch(/retry budget exhausted/)
    expect(s.hits()).toBe(2)
    t.close()
  })

  it('goes through HTTP_PROXY for a remote host and bypasses it for loopback', async () => {
    const seen: string[] = []
    const proxy = await serve((req, res) => {
      seen.push(req.url ?? '')
      res.end('{"via":"proxy"}')
    })
    const target = await serve((_, res) => res.end('{"via":"direct"}'))
    process.env.HTTP_PROXY = proxy.url
    const { t } = transport()
    const remote = await t.request({ method: 'GET', url: 'http://cdn-api.example.test/status' })
    expect(remote.text).toBe('{"via":"proxy"}')
    expect(seen).toEqual(['http://cdn-api.example.test/status'])
    const local = await t.request({ method: 'GET', url: target.url })
    expect(local.text).toBe('{"via":"direct"}')
    t.close()
  })
})

describe('parseJsonBody', () => {
  const res = (text: string) => ({ status: 200, header: () => null, text })
  it('refuses empty and truncated bodies', () => {
    expect(() => parseJsonBody(res(''), 'x')).toThrow(/empty answer/)
    expect(() => parseJsonBody(res('{"a":'), 'x')).toThrow(/not JSON/)
    expect(parseJsonBody(res('{"a":1}'), 'x')).toEqual({ a: 1 })
  })
})
