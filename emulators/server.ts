import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request as the emulator received it (kept for assertions in tests). */
export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  body: string
  at: number
}

export interface EmulatorResponse {
  status: number
  body: string | object
  headers?: Record<string, string>
}

/**
 * A fault for one upcoming request. A plain `{status}` is served instead of the real
 * answer (the request is not acted on). The `kind`s below act on the request first and
 * then spoil the answer, except `reset-before-headers` and `redirect`, which do not act.
 * `reset-after-action` acts, then closes the connection before any byte of the answer:
 * the client cannot tell it from `reset-before-headers`.
 */
export type Fault =
  | { kind?: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'reset-before-headers' }
  | { kind: 'reset-after-action' }
  | { kind: 'redirect'; location: string }
  | { kind: 'reset-mid-body' }
  | { kind: 'stall-after-headers' }
  | { kind: 'truncated-json' }
  | { kind: 'drip'; byteEveryMs: number }

export type FaultKind = NonNullable<Fault['kind']>

/** Faults drawn at random for every request, reproducibly from `seed`. */
export interface RandomFaults {
  seed: number
  /** Probability (0–1) that a request meets a fault. */
  rate: number
  /** The faults to draw from, equally likely. */
  faults: Fault[]
}

/** mulberry32: a small seeded PRNG, enough to make fault runs repeatable. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type Handler = (req: RecordedRequest) => EmulatorResponse | Promise<EmulatorResponse>

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string
  requests: RecordedRequest[]
  /** Requests received per "METHOD path" (path without query). */
  counts(): Record<string, number>
  /** Serves these faults, in order, to the next requests. */
  injectFaults(faults: Fault[]): void
  /** Draws a fault for every request from now on (null stops it). */
  setRandomFaults(config: RandomFaults | null): void
  /** Faults served so far, by kind. */
  faultCounts(): Record<string, number>
  /** Milliseconds added before every answer. */
  setLatency(ms: number): void
  close(): Promise<void>
}

/** Starts `handler` on 127.0.0.1 with a random port. */
export async function startServer(handler: Handler, options: { latencyMs?: number; port?: number } = {}): Promise<RunningEmulator> {
  const requests: RecordedRequest[] = []
  const faults: Fault[] = []
  let random: { config: RandomFaults; next: () => number } | null = null
  const served: Record<string, number> = {}
  let latencyMs = options.latencyMs ?? 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://emulator')
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now()
      }
      requests.push(recorded)
      const drawFault = (): Fault | undefined => {
        const queued = faults.shift()
        if (queued) return queued
        if (random && random.next() < random.config.rate) return random.config.faults[Math.floor(random.next() * random.config.faults.length)]
        return undefined
      }
      const encode = (r: EmulatorResponse) => {
        const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
        const type = typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'
        return { text, headers: { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(text)), ...r.headers } }
      }
      const send = (r: EmulatorResponse): void => {
        const { text, headers } = encode(r)
        res.writeHead(r.status, headers)
        res.end(text)
      }
      const fail = (err: Error) => send({ status: 500, body: { error: `emulator bug: ${err.message}` } })
      setTimeout(() => {
        const fault = drawFault()
        const kind = fault?.kind ?? (fault ? 'status' : null)
        if (kind) served[kind] = (served[kind] ?? 0) + 1
        if (!fault) return void Promise.resolve(handler(recorded)).then(send, fail)
        switch (fault.kind) {
          case undefined:
          case 'status':
            return send({ status: fault.status, body: fault.body ?? '', headers: fault.headers })
          case 'reset-before-headers':
            return void req.socket.destroy()
          case 'redirect':
            return send({ status: 302, body: '', headers: { Location: fault.location } })
        }
        // The rest act on the request, then spoil the answer.
        Promise.resolve(handler(recorded)).then((r) => {
          const { text, headers } = encode(r)
          const bytes = Buffer.from(text)
          switch (fault.kind) {
            case 'reset-after-action':
              req.socket.destroy()
              return
            case 'reset-mid-body':
              res.writeHead(r.status, headers)
              res.write(bytes.subarray(0, Math.floor(bytes.length / 2)))
              setTimeout(() => req.socket.destroy(), 5)
              return
            case 'stall-after-headers':
              res.writeHead(r.status, headers)
              res.flushHeaders()
              return // the client's deadline ends it
            case 'truncated-json': {
              const cut = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)))
              res.writeHead(r.status, { ...headers, 'Content-Length': String(cut.length) })
              res.end(cut)
              return
            }
            case 'drip': {
              res.writeHead(r.status, headers)
              let i = 0
              const timer = setInterval(() => {
                if (res.destroyed || i >= bytes.length) {
                  clearInterval(timer)
                  if (!res.destroyed) res.end()
                  return
                }
                res.write(bytes.subarray(i, i + 1))
                i++
              }, fault.byteEveryMs)
              return
            }
          }
        }, fail)
      }, latencyMs)
    })
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    counts() {
      const out: Record<string, number> = {}
      for (const r of requests) out[`${r.method} ${r.path}`] = (out[`${r.method} ${r.path}`] ?? 0) + 1
      return out
    },
    injectFaults: (list) => faults.push(...list),
    setRandomFaults: (config) => {
      random = config ? { config, next: seededRandom(config.seed) } : null
    },
    faultCounts: () => ({ ...served }),
    setLatency: (ms) => {
      latencyMs = ms
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** Parses a JSON request body, or null when it is not JSON. */
export function jsonBody(req: RecordedRequest): unknown {
  try {
    return JSON.parse(req.body)
  } catch {
    return null
  }
}
