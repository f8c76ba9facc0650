import { getProxyUrl } from '@actions/http-client/lib/proxy'
import { createHash } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import fetch, { FetchError, type RequestInit } from 'node-fetch'

/** One HTTP request as a provider describes it. */
export interface HttpRequest {
  method: 'GET' | 'POST'
  url: string
  headers?: Record<string, string>
  body?: string
  /** Safe to send twice (a query, a token request); defaults to true for GET only. */
  idempotent?: boolean
  /**
   * Hash the body instead of keeping it (`text` is then ''): the answer gets `sha256` and
   * `bytes`, or `overCap` when the body is over `maxBodyBytes` (then it is not read further).
   */
  sha256?: boolean
  /** A cap on this answer's body, lower than the transport's. */
  maxBodyBytes?: number
  /**
   * Sends of this request at most, fewer than the transport's own: 1 for a request signed for
   * one send only (a one-time nonce), which its provider signs anew and retries itself.
   */
  maxAttempts?: number
}

export interface HttpResponse {
  status: number
  /** Header lookup, case-insensitive. */
  header(name: string): string | null
  text: string
  /** With `sha256` asked: the hex SHA-256 of the body, and its size in bytes. */
  sha256?: string
  bytes?: number
  /** With `sha256` asked: the body was over the cap, so it was neither read whole nor hashed. */
  overCap?: boolean
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
  /**
   * End of the whole run (on `now`'s clock): no attempt runs and no retry waits past it;
   * after it every request fails at once. Infinity = none.
   */
  deadline: number
  /** How errors name the deadline, e.g. "the timeout (600 s)". */
  deadlineName: string
  /** Largest answer body read; a longer one fails the request without being kept. */
  maxBodyBytes: number
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

/**
 * Cap on one answer body. Provider answers are JSON of a few KB (a status page of 100
 * tasks is tens of KB); 8 MiB is far above any real one and keeps memory bounded when a
 * server (or something in between) answers without end.
 */
const MAX_BODY_BYTES = 8 * 1024 * 1024

/** `8 MiB` for whole MiB, else bytes. */
const sizeText = (bytes: number): string => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`)

/** Hands a body's chunks to `take` up to `cap` bytes: its size, or null as soon as it grows past the cap. */
async function streamCapped(body: AsyncIterable<Buffer> | null, cap: number, take: (chunk: Buffer) => void): Promise<number | null> {
  let bytes = 0
  if (body === null) return bytes
  // leaving the loop early destroys the stream
  for await (const chunk of body) {
    bytes += chunk.length
    if (bytes > cap) return null
    take(chunk)
  }
  return bytes
}

/**
 * Reads a body up to `cap` bytes and decodes it as UTF-8 (as node-fetch's text() does);
 * throws `tooBig()` as soon as it grows past the cap, and stops reading.
 */
async function readCapped(body: AsyncIterable<Buffer> | null, cap: number, tooBig: () => Error): Promise<string> {
  const chunks: Buffer[] = []
  const size = await streamCapped(body, cap, (chunk) => chunks.push(chunk))
  if (size === null) throw tooBig()
  return new TextDecoder().decode(Buffer.concat(chunks, size))
}

/** Hashes a body as it streams, up to `cap` bytes; null as soon as it grows past the cap. */
async function hashCapped(body: AsyncIterable<Buffer> | null, cap: number): Promise<{ sha256: string; bytes: number } | null> {
  const hash = createHash('sha256')
  const bytes = await streamCapped(body, cap, (chunk) => hash.update(chunk))
  return bytes === null ? null : { sha256: hash.digest('hex'), bytes }
}

export const defaultTransportOptions: TransportOptions = {
  timeoutMs: 30_000,
  deadline: Infinity,
  deadlineName: 'the deadline',
  maxBodyBytes: MAX_BODY_BYTES,
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
    const left = opts.deadline - opts.now()
    // Past the deadline nothing is sent: safe to count as not acted on.
    if (left <= 0) throw new HttpError(`${req.method} ${req.url} not sent: ${opts.deadlineName} ran out`, null, false)
    // The attempt's own limit, or the time left in the run when that is shorter.
    const cutByDeadline = left < opts.timeoutMs
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), Math.min(opts.timeoutMs, left))
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
      const body = res.body as Readable | null
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get('location')
        let host = 'an unknown host'
        try {
          if (location) host = new URL(location, req.url).host
        } catch {
          /* keep the generic wording */
        }
        body?.destroy()
        throw new HttpError(
          `${req.method} ${req.url} answered HTTP ${res.status} redirecting to ${host}; redirects are not followed with credentials (check the endpoint input)`,
          res.status,
          false
        )
      }
      const cap = Math.min(opts.maxBodyBytes, req.maxBodyBytes ?? Infinity)
      const header = (name: string) => res.headers.get(name)
      // The server has answered, so a POST may have been acted on: over the cap is ambiguous.
      const declared = Number(header('content-length') ?? '')
      const declaredOver = Number.isSafeInteger(declared) && declared > cap
      if (req.sha256) {
        const hashed = declaredOver ? null : await hashCapped(body, cap)
        if (hashed === null) body?.destroy()
        return hashed === null ? { status: res.status, header, text: '', overCap: true } : { status: res.status, header, text: '', ...hashed }
      }
      if (declaredOver) {
        body?.destroy()
        throw new HttpError(
          `${req.method} ${req.url} answered HTTP ${res.status}: answer of ${declared} bytes is over the ${sizeText(cap)} cap; not read`,
          res.status,
          true
        )
      }
      const tooBig = () =>
        new HttpError(`${req.method} ${req.url} answered HTTP ${res.status}: answer is more than the ${sizeText(cap)} cap; not read further`, res.status, true)
      const text = await readCapped(body, cap, tooBig)
      return { status: res.status, header, text }
    } catch (err) {
      if (err instanceof HttpError) throw err
      if (controller.signal.aborted) {
        const limit = cutByDeadline ? `before ${opts.deadlineName} ran out` : `within ${opts.timeoutMs} ms`
        throw new HttpError(`${req.method} ${req.url} got no complete answer ${limit}`, null, true)
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
    const maxAttempts = Math.min(opts.maxAttempts, req.maxAttempts ?? Infinity)
    for (let attemptNo = 1; ; attemptNo++) {
      let retryAfterMs: number | null = null
      let failure: HttpError
      try {
        const res = await attempt(req)
        const retryable = RETRY_ALWAYS.has(res.status) || (idempotent && RETRY_IDEMPOTENT.has(res.status))
        if (!retryable) return res
        retryAfterMs = parseRetryAfter(res.header('retry-after'), opts.now())
        failure = new HttpError(`${req.method} ${req.url} answered HTTP ${res.status}`, res.status, false)
        if (attemptNo >= maxAttempts) return res
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        failure = err
        const retryable = err.status === null && (idempotent || !err.ambiguous)
        if (!retryable || attemptNo >= maxAttempts || opts.now() >= opts.deadline) throw err
      }
      const delay = retryDelay(attemptNo, retryAfterMs)
      if (delay > budgetLeft) {
        throw new HttpError(`${failure.message}; retry budget exhausted`, failure.status, failure.ambiguous)
      }
      if (opts.now() + delay >= opts.deadline) {
        throw new HttpError(`${failure.message}; not retried: ${opts.deadlineName} runs out first`, failure.status, failure.ambiguous)
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
