/**
 * A strict emulator of Cloudflare's purge_cache call as /work/shared/docs/providers-next.md §4
 * describes it: `POST /zones/{zone_id}/purge_cache` (with or without the `/client/v4` base path),
 * a Bearer API token that may purge some zones, the zone id format, one kind per request, the
 * per-request limits (configurable, as plans differ), prefix rules, a rate limit answered with
 * 429, and every answer in the `{success, errors, messages, result}` shape. There is no status
 * call: a purge is final on acceptance (§4 "Completion").
 */
import { startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

export interface CloudflareEmulatorOptions {
  /** API token → the zone ids it may purge (§4 "Endpoint and auth": permission Zone → Cache Purge, per zone). */
  tokens?: Record<string, string[]>
  /** Zone id → zone name (e.g. example.com); ids not listed do not exist. */
  zones?: Record<string, string>
  /** Most `files` one request may hold: 30 (older, and seen in practice), 100 or 500 (Enterprise) (§4 "Limits"). */
  filesPerCall?: number
  /** Most `prefixes`, `hosts` or `tags` one request may hold (§4 "Limits": 30 before, 100 now). */
  prefixesPerCall?: number
  /** Requests an account may make per `windowMs` before a 429 (§4 "Limits": rate limits per account; the figures vary by plan). */
  rateLimit?: { requests: number; windowMs: number; retryAfterSeconds?: number }
  /** A request holding one of these URLs (or prefixes) is refused: a way for tests to make items fail. */
  failUrls?: Iterable<string>
  /** The emulator's clock (ms), for the rate limit window; tests pass a fake one. */
  now?: () => number
  latencyMs?: number
  port?: number
}

/** One purge the emulator accepted. */
export interface CloudflarePurge {
  zone: string
  token: string
  kind: 'files' | 'prefixes' | 'hosts' | 'tags' | 'purge_everything'
  items: string[]
  at: number
}

export interface CloudflareEmulator extends RunningEmulator {
  purges: CloudflarePurge[]
}

/** The zone of §4's C-1 vector. */
export const CLOUDFLARE_EXAMPLE_ZONE = '023e105f4ecef8ad9ca31a8372d0c353'
export const CLOUDFLARE_TEST_TOKEN = 'TestCloudflareApiToken0123456789abcdefgh'
/** The code answered for a URL outside its zone or a failUrl: §4 lists none, this is our choice. */
export const CLOUDFLARE_INVALID_ITEM_CODE = 1012
/** The code answered for a request over the per-request count: §4 says none is documented, this is our choice. */
export const CLOUDFLARE_TOO_MANY_CODE = 1015

const ROUTE = /^(?:\/client\/v4)?\/zones\/([^/]*)\/purge_cache$/
const KINDS = ['files', 'prefixes', 'hosts', 'tags', 'purge_everything'] as const

interface ErrorEntry {
  code: number
  message: string
  error_chain?: { code: number; message: string }[]
}

const answer = (status: number, errors: ErrorEntry[], result: unknown = null, headers?: Record<string, string>): EmulatorResponse => ({
  status,
  // §4 "Errors": {"success": false, "errors": [{code, message, error_chain}], "messages": [], "result": null}
  body: { success: errors.length === 0, errors, messages: [], result },
  headers
})
const refuse = (status: number, code: number, message: string, chain?: ErrorEntry['error_chain']): EmulatorResponse =>
  answer(status, [chain ? { code, message, error_chain: chain } : { code, message }])

export async function startCloudflareEmulator(options: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  const tokens = options.tokens ?? { [CLOUDFLARE_TEST_TOKEN]: [CLOUDFLARE_EXAMPLE_ZONE] }
  const zones = options.zones ?? { [CLOUDFLARE_EXAMPLE_ZONE]: 'example.com' }
  const filesPerCall = options.filesPerCall ?? 30
  const prefixesPerCall = options.prefixesPerCall ?? 100
  const failUrls = new Set(options.failUrls ?? [])
  const now = options.now ?? Date.now
  const purges: CloudflarePurge[] = []
  /** Accepted-or-not request times per token, for the rate limit. */
  const recent = new Map<string, number[]>()

  const handler = (req: RecordedRequest): EmulatorResponse => {
    const route = ROUTE.exec(req.path)
    // §4 [C5]: an unknown route is code 7000.
    if (!route) return refuse(404, 7000, 'No route for that URI')
    // §4 "Endpoint and auth": POST (DELETE was the old method [C1]); the emulator holds the client to POST.
    if (req.method !== 'POST') return refuse(405, 10405, `Method ${req.method} not allowed for this route (emulator: POST only)`)

    // §4 [C4][C15]: no credentials → 9106; a malformed Authorization → 6003 with 6111 in error_chain; unknown token → 9109.
    const auth = req.headers.authorization
    if (auth === undefined) return refuse(400, 9106, 'Missing X-Auth-Email header')
    const bearer = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(auth)
    if (!bearer) return refuse(400, 6003, 'Invalid request headers', [{ code: 6111, message: 'Invalid format for Authorization header' }])
    const token = bearer[1]
    const allowed = tokens[token]
    if (allowed === undefined) return refuse(403, 9109, 'Invalid access token')

    // §4 "Limits": rate limits per account; 429 with code 971 [C14].
    if (options.rateLimit) {
      const t = now()
      const times = (recent.get(token) ?? []).filter((at) => at > t - options.rateLimit!.windowMs)
      times.push(t)
      recent.set(token, times)
      if (times.length > options.rateLimit.requests) {
        const after = options.rateLimit.retryAfterSeconds
        return answer(
          429,
          [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
          null,
          after === undefined ? undefined : { 'Retry-After': String(after) }
        )
      }
    }

    // §4 [C5]: the zone id is 32 hex; anything else (a zone name) does not route: 7003.
    const zone = route[1]
    if (!/^[0-9a-f]{32}$/.test(zone)) return refuse(400, 7003, `Could not route to /zones/${zone}/purge_cache, perhaps your object identifier is invalid?`)
    if (!(zone in zones)) return refuse(404, 7003, `Could not route to /zones/${zone}/purge_cache, perhaps your object identifier is invalid?`)
    // §4 [C4][C15]: a token without Cache Purge on this zone → 10000 Authentication error.
    if (!allowed.includes(zone)) return refuse(403, 10000, 'Authentication error')

    // C-1 (§4 "Known-answer vector"): Content-Type: application/json, JSON body. The code for another type is our choice.
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return refuse(400, 6003, 'Invalid request headers', [{ code: 6105, message: 'Invalid Content-Type header, valid values are application/json' }])
    let body: unknown
    try {
      body = JSON.parse(req.body)
    } catch {
      return refuse(400, 1014, 'Request body is not valid JSON')
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse(400, 1014, 'Request body must be a JSON object')
    // §4 "Request bodies": one kind per request.
    const kinds = KINDS.filter((k) => k in body)
    if (kinds.length !== 1) return refuse(400, 1014, `Give exactly one of ${KINDS.join(', ')} (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`)
    const kind = kinds[0]
    const value = (body as Record<string, unknown>)[kind]
    if (kind === 'purge_everything') {
      if (value !== true) return refuse(400, 1014, 'purge_everything must be true')
      purges.push({ zone, token, kind, items: [], at: now() })
      return answer(200, [], { id: zone })
    }
    // §4 [C16]: 1014 "files", "tags", or "hosts" must be an array.
    if (!Array.isArray(value) || value.length === 0) return refuse(400, 1014, `"files", "tags", "hosts" or "prefixes" must be a non-empty array`)
    // §4 "Limits" [C11]: over the per-request count, 400 saying no more than N.
    const most = kind === 'files' ? filesPerCall : prefixesPerCall
    if (value.length > most)
      return refuse(400, CLOUDFLARE_TOO_MANY_CODE, `Purge request has ${value.length} ${kind}: no more than ${most} ${kind} may be purged in one request`)

    const items: string[] = []
    const zoneName = zones[zone]
    const inZone = (host: string) => host === zoneName || host.endsWith(`.${zoneName}`)
    for (const raw of value) {
      // §4 [C2]: a file is a full URL with scheme, or {url, headers} for custom cache keys.
      const item = kind === 'files' && typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).url : raw
      if (typeof item !== 'string' || item === '') return refuse(400, 1014, `Each of ${kind} must be a non-empty string`)
      // "Always use UTF-8 encoded URLs for single-file cache purges" (developers.cloudflare.com/cache/how-to/purge-cache/purge-by-single-file/);
      // prefixes are matched against the encoded path too (purge_by_prefix/, "Purge by prefix normalization"). What Cloudflare
      // answers to a raw one is not documented (it matches no cache key): refused here so that the tests see it.
      if ((kind === 'files' || kind === 'prefixes') && /[^\x21-\x7e]/.test(item))
        return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `${kind}: '${item}' is not UTF-8 percent-encoded (non-ASCII, white space or control characters)`)
      let host: string
      if (kind === 'files') {
        let url: URL
        try {
          url = new URL(item)
        } catch {
          return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `files: '${item}' is not a full URL with scheme`)
        }
        if (!/^https?:$/.test(url.protocol)) return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `files: '${item}' is not an http(s) URL`)
        host = url.hostname
      } else if (kind === 'prefixes') {
        // §4 "Request bodies": host/path, no scheme, ≤ 31 path separators (and [C6]: no query or fragment).
        if (/^[a-z][a-z0-9+.-]*:\/\//i.test(item)) return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `prefixes: '${item}' must not have a scheme`)
        if (/[?#]/.test(item)) return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `prefixes: '${item}' must not hold a query string or fragment`)
        const separators = item.split('/').length - 1
        if (separators > 31) return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `prefixes: '${item}' has ${separators} path separators, more than 31`)
        host = item.split('/')[0].replace(/:\d+$/, '').toLowerCase()
      } else {
        host = kind === 'hosts' ? item.toLowerCase() : zoneName
      }
      // Not in §4: a URL outside the zone is refused here, so a purge sent to the wrong zone
      // fails the tests (what Cloudflare answers is undocumented; it purges nothing there).
      if (!inZone(host)) return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `${kind}: '${item}' is not in zone ${zoneName}`)
      if (failUrls.has(item)) return refuse(400, CLOUDFLARE_INVALID_ITEM_CODE, `${kind}: '${item}' failed (emulated)`)
      items.push(item)
    }
    purges.push({ zone, token, kind, items, at: now() })
    // §4 [C2]: 200 {"success": true, "errors": [], "messages": [], "result": {"id": …}}; the id is the zone's (community reports).
    return answer(200, [], { id: zone })
  }

  const server = await startServer(handler, { latencyMs: options.latencyMs, port: options.port })
  return Object.assign(server, { purges })
}
