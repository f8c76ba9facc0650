import { getProxyUrl } from '@actions/http-client/lib/proxy'
import http from 'node:http'
import https from 'node:https'
import fetch, { FetchError, type RequestInit } from 'node-fetch'

/** One HTTP request as a provider describes it. */
export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  body?: string
  /** Safe to send twice (a query, a token request); defaults to true for GET only. */
  idempotent?: boolean
}

export interface HttpResponse {
  status: number
  /** Header lookup, case-insensitive. */
  header(name: string): string | null
  text: string
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>

/**
 * A request that failed in transport or with a status the transport does not pass on.
 * Its message names the method, the URL and what happened; never headers or bodies.
 */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    /** The request may have reached the server (a POST may have been acted on). */
    readonly ambiguous: boolean
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

export interface TransportOptions {
  /** Deadline for one attempt, headers and body together. */
  timeoutMs: number
  /** Attempts per request, the first included. */
  maxAttempts: number
  /** Base and cap of the full-jitter exponential back-off. */
  backoffBaseMs: number
  backoffCapMs: number
  /** Total time all retries of this transport may spend sleeping. */
  retryBudgetMs: number
  sleep: (ms: number) => Promise<void>
  random: () => number
  now: () => number
  /** Debug log line (never given secrets). */
  debug: (line: string) => void
}

export const defaultTransportOptions: TransportOptions = {
  timeoutMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 500,
  backoffCapMs: 20_000,
  retryBudgetMs: 120_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
  debug: () => {}
}

/** Statuses retried for any method: the server says it did not act on the request. */
const RETRY_ALWAYS = new Set([429, 503])
/** Statuses retried only for idempotent requests: a POST may have been acted on. */
const RETRY_IDEMPOTENT = new Set([500, 502, 504])
/** Network errors raised before the request could reach the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** Seconds or HTTP-date (RFC 9110 §10.2.3) → milliseconds from now, or null. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return null
  return Math.max(0, date - now)
}

export interface ClosableTransport {
  request: Transport
  /** Frees pooled sockets so the process can end. */
  close(): void
}

export function createTransport(overrides: Partial<TransportOptions> = {}): ClosableTransport {
  const opts = { ...defaultTransportOptions, ...overrides }
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 16 })
  }
  const proxyAgents = new Map<string, http.Agent>()
  /**
   * HTTPS_PROXY / HTTP_PROXY / NO_PROXY as @actions/http-client reads them (loopback
   * bypasses). The proxy agents are loaded only when a proxy is in use.
   */
  async function agentFor(url: URL): Promise<http.Agent> {
    const proxy = getProxyUrl(url)
    if (!proxy) return url.protocol === 'http:' ? agents.http : agents.https
    const key = `${url.protocol}${proxy.href}`
    let agent = proxyAgents.get(key)
    if (!agent) {
      if (url.protocol === 'http:') {
        const { HttpProxyAgent } = await import('http-proxy-agent')
        agent = new HttpProxyAgent(proxy.href, { keepAlive: true })
      } else {
        const { HttpsProxyAgent } = await import('https-proxy-agent')
        agent = new HttpsProxyAgent(proxy.href, { keepAlive: true })
      }
      proxyAgents.set(key, agent)
    }
    return agent
  }
  let budgetLeft = opts.retryBudgetMs

  async function attempt(req: HttpRequest): Promise<HttpResponse> {
    const agent = await agentFor(new URL(req.url))
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), opts.timeoutMs)
    const init: RequestInit = {
      method: req.method,
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: controller.signal,
      agent,
      compress: true
    }
    try {
      const res = await fetch(req.url, init)
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get('location')
        let host = 'an unknown host'
        try {
          if (location) host = new URL(location, req.url).host
        } catch {
          /* keep the generic wording */
        }
        res.body?.resume()
        throw new HttpError(
          `${req.method} ${req.url} answered HTTP ${res.status} redirecting to ${host}; redirects are not followed with credentials (check the endpoint input)`,
          res.status,
          false
        )
      }
      const text = await res.text()
      return { status: res.status, header: (name) => res.headers.get(name), text }
    } catch (err) {
      if (err instanceof HttpError) throw err
      if (controller.signal.aborted) {
        throw new HttpError(`${req.method} ${req.url} got no complete answer within ${opts.timeoutMs} ms`, null, true)
      }
      const code = err instanceof FetchError ? (err.code ?? '') : ''
      const notSent = NOT_SENT_CODES.has(code) || (err instanceof FetchError && NOT_SENT_CODES.has(err.errno ?? ''))
      const reason = code || (err instanceof Error ? err.message : String(err))
      throw new HttpError(`${req.method} ${req.url} failed: ${reason}`, null, !notSent)
    } finally {
      clearTimeout(timer)
    }
  }

  function retryDelay(attemptNo: number, retryAfterMs: number | null): number {
    const jitter = opts.random() * Math.min(opts.backoffCapMs, opts.backoffBaseMs * 2 ** (attemptNo - 1))
    return Math.max(jitter, retryAfterMs ?? 0)
  }

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? req.method === 'GET'
    for (let attemptNo = 1; ; attemptNo++) {
      let retryAfterMs: number | null = null
      let failure: HttpError
      try {
        const res = await attempt(req)
        const retryable = RETRY_ALWAYS.has(res.status) || (idempotent && RETRY_IDEMPOTENT.has(res.status))
        if (!retryable) return res
        retryAfterMs = parseRetryAfter(res.header('retry-after'), opts.now())
        failure = new HttpError(`${req.method} ${req.url} answered HTTP ${res.status}`, res.status, false)
        if (attemptNo >= opts.maxAttempts) return res
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        failure = err
        const retryable = err.status === null && (idempotent || !err.ambiguous)
        if (!retryable || attemptNo >= opts.maxAttempts) throw err
      }
      const delay = retryDelay(attemptNo, retryAfterMs)
      if (delay > budgetLeft) {
        throw new HttpError(`${failure.message}; retry budget exhausted`, failure.status, failure.ambiguous)
      }
      budgetLeft -= delay
      opts.debug(`${failure.message}; retry ${attemptNo} in ${Math.round(delay)} ms`)
      await opts.sleep(delay)
    }
  }

  return {
    request,
    close() {
      agents.http.destroy()
      agents.https.destroy()
      for (const agent of proxyAgents.values()) agent.destroy()
    }
  }
}

/** Parses a JSON body, or throws an error saying the answer was not what the provider documents. */
export function parseJsonBody(res: HttpResponse, what: string): unknown {
  if (res.text.trim() === '') throw new HttpError(`${what}: empty answer (HTTP ${res.status})`, res.status, false)
  try {
    return JSON.parse(res.text)
  } catch {
    throw new HttpError(`${what}: answer is not JSON (HTTP ${res.status}, ${res.text.length} bytes)`, res.status, false)
  }
}
