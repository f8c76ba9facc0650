import { afterEach, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
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

  it('sends a request with maxAttempts: 1 once, returning the 503 (a one-time nonce is signed anew by its provider)', async () => {
    const s = await serve((_, res) => {
      res.writeHead(503)
      res.end()
    })
    const { t, sleeps } = transport()
    const res = await t.request({ method: 'GET', url: s.url, maxAttempts: 1 })
    expect(res.status).toBe(503)
    expect(s.hits()).toBe(1)
    expect(sleeps).toEqual([])
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

describe('the run deadline', () => {
  it('ends an attempt stalled after the headers at the deadline, not at the attempt timeout, and does not retry', async () => {
    const s = await serve((_, res) => {
      res.writeHead(200, { 'Content-Length': '100' })
      res.write('{"partial":')
    })
    const { t, sleeps } = transport({ timeoutMs: 60_000, deadline: Date.now() + 300, deadlineName: 'the timeout (5 s)' })
    const err = (await t.request({ method: 'GET', url: s.url }).catch((e) => e)) as HttpError
    expect(err).toBeInstanceOf(HttpError)
    expect(err.message).toMatch(/got no complete answer before the timeout \(5 s\) ran out/)
    expect(err.ambiguous).toBe(true)
    expect(s.hits()).toBe(1)
    expect(sleeps).toEqual([])
    t.close()
  }, 10_000)

  it('does not sleep for a retry that would end past the deadline', async () => {
    const s = await serve((_, res) => {
      res.writeHead(503, { 'Retry-After': '30' })
      res.end()
    })
    const { t, sleeps } = transport({ deadline: Date.now() + 10_000, deadlineName: 'the timeout (10 s)' })
    const err = (await t.request({ method: 'GET', url: s.url }).catch((e) => e)) as HttpError
    expect(err.message).toMatch(/answered HTTP 503; not retried: the timeout \(10 s\) runs out first/)
    expect(sleeps).toEqual([])
    expect(s.hits()).toBe(1)
    t.close()
  })

  it('retries while the deadline allows', async () => {
    const s = await serve((_, res, n) => {
      res.writeHead(n === 1 ? 503 : 200, { 'Retry-After': '1' })
      res.end('{}')
    })
    const { t, sleeps } = transport({ deadline: Date.now() + 60_000 })
    expect((await t.request({ method: 'GET', url: s.url })).status).toBe(200)
    expect(sleeps).toEqual([1000])
    t.close()
  })

  it('after the deadline, fails at once without sending, as not acted on', async () => {
    const s = await serve((_, res) => res.end('{}'))
    const { t } = transport({ deadline: Date.now() - 1, deadlineName: 'the timeout (3 s)' })
    const err = (await t.request({ method: 'POST', url: s.url, body: '{}' }).catch((e) => e)) as HttpError
    expect(err.message).toBe(`POST ${s.url} not sent: the timeout (3 s) ran out`)
    expect(err.ambiguous).toBe(false)
    expect(err.status).toBeNull()
    expect(s.hits()).toBe(0)
    t.close()
  })
})

describe('the body cap', () => {
  const MiB = 1024 * 1024
  /** Streams `total` bytes in 64 KiB chunks, honouring back-pressure; `sent()` is what went out. */
  function streaming(total: number, headers: Record<string, string> = {}) {
    let sent = 0
    const handler: Handler = (_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', ...headers })
      const chunk = Buffer.alloc(64 * 1024, ' ')
      const pump = () => {
        while (sent < total && !res.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, total - sent))
          sent += piece.length
          if (!res.write(piece)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    }
    return { handler, sent: () => sent }
  }

  it('keeps an answer under the cap whole', async () => {
    const body = streaming(3 * MiB)
    const s = await serve(body.handler)
    const { t } = transport({ maxBodyBytes: 4 * MiB })
    const res = await t.request({ method: 'GET', url: s.url })
    expect(res.text.length).toBe(3 * MiB)
    t.close()
  })

  it('stops reading an answer that grows past the cap, names the cap, and does not retry it', async () => {
    const body = streaming(64 * MiB)
    const s = await serve(body.handler)
    const { t, sleeps } = transport({ timeoutMs: 20_000 })
    const err = (await t.request({ method: 'POST', url: s.url, body: '{}' }).catch((e) => e)) as HttpError
    expect(err).toBeInstanceOf(HttpError)
    expect(err.message).toBe(`POST ${s.url} answered HTTP 200: answer is more than the 8 MiB cap; not read further`)
    // the server answered: a POST may have been acted on
    expect(err.ambiguous).toBe(true)
    expect(sleeps).toEqual([])
    expect(s.hits()).toBe(1)
    // reading stopped near the cap (socket buffers allow some more through)
    expect(body.sent()).toBeLessThan(32 * MiB)
    t.close()
  }, 20_000)

  it('refuses an answer whose Content-Length is over the cap without reading it', async () => {
    let written = 0
    const s = await serve((_, res) => {
      res.writeHead(200, { 'Content-Length': String(1024 * MiB) })
      res.write('{')
      written = 1
    })
    const { t } = transport({ timeoutMs: 20_000 })
    const err = (await t.request({ method: 'GET', url: s.url }).catch((e) => e)) as HttpError
    expect(err.message).toBe(`GET ${s.url} answered HTTP 200: answer of 1073741824 bytes is over the 8 MiB cap; not read`)
    expect(written).toBe(1)
    expect(s.hits()).toBe(1)
    t.close()
  }, 20_000)

  it('applies the cap to the decoded size of a compressed answer', async () => {
    const zipped = gzipSync(Buffer.alloc(4 * MiB, ' '))
    const s = await serve((_, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': String(zipped.length) })
      res.end(zipped)
    })
    const { t } = transport({ maxBodyBytes: MiB })
    const err = (await t.request({ method: 'GET', url: s.url }).catch((e) => e)) as HttpError
    expect(zipped.length).toBeLessThan(MiB)
    expect(err.message).toMatch(/answer is more than the 1 MiB cap/)
    t.close()
  })
})

describe('hashing a body (sha256)', () => {
  const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

  it('hashes the raw bytes instead of keeping them, and keeps no text', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0xc3])
    const s = await serve((_, res) => res.end(bytes))
    const { t } = transport()
    const res = await t.request({ method: 'GET', url: s.url, sha256: true })
    // hashed as bytes: a UTF-8 decode would have changed 0xff 0xfe 0xc3
    expect(res).toMatchObject({ status: 200, sha256: sha(bytes), bytes: 5, text: '' })
    expect(res.overCap).toBeUndefined()
    t.close()
  })

  it('answers overCap, without reading, when Content-Length is over the request cap', async () => {
    let written = 0
    const s = await serve((_, res) => {
      res.writeHead(200, { 'Content-Length': '1000' })
      res.write('x')
      written = 1
    })
    const { t, sleeps } = transport()
    const res = await t.request({ method: 'GET', url: s.url, sha256: true, maxBodyBytes: 999 })
    expect(res).toMatchObject({ status: 200, overCap: true, text: '' })
    expect(res.sha256).toBeUndefined()
    expect(written).toBe(1)
    expect(sleeps).toEqual([])
    t.close()
  })

  it('stops hashing a body that grows past the request cap', async () => {
    const s = await serve((_, res) => {
      res.write(Buffer.alloc(600))
      res.end(Buffer.alloc(600))
    })
    const { t } = transport()
    expect(await t.request({ method: 'GET', url: s.url, sha256: true, maxBodyBytes: 1000 })).toMatchObject({ overCap: true })
    expect(await t.request({ method: 'GET', url: s.url, sha256: true, maxBodyBytes: 1200 })).toMatchObject({ sha256: sha(Buffer.alloc(1200)), bytes: 1200 })
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
