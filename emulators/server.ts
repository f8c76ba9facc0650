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

/** A fault served instead of the real answer to one upcoming request. */
export interface Fault {
  status: number
  body?: string
  headers?: Record<string, string>
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
  /** Milliseconds added before every answer. */
  setLatency(ms: number): void
  close(): Promise<void>
}

/** Starts `handler` on 127.0.0.1 with a random port. */
export async function startServer(handler: Handler, options: { latencyMs?: number; port?: number } = {}): Promise<RunningEmulator> {
  const requests: RecordedRequest[] = []
  const faults: Fault[] = []
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
      const answer = async (): Promise<EmulatorResponse> => {
        const fault = faults.shift()
        if (fault) return { status: fault.status, body: fault.body ?? '', headers: fault.headers }
        return handler(recorded)
      }
      const send = (r: EmulatorResponse): void => {
        const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
        const type = typeof r.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'
        res.writeHead(r.status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...r.headers })
        res.end(text)
      }
      setTimeout(() => {
        answer().then(send, (err: Error) => send({ status: 500, body: { error: `emulator bug: ${err.message}` } }))
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
