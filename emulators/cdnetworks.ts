import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { jsonBody, startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

/**
 * A strict stand-in for the CDNetworks Content Management API (providers.md §2): both
 * signature schemes checked exactly, per-call limits, daily quotas, pagination, the
 * prefetch-status rate limit, and items that move wait → run → success over time.
 * Its signing code is written separately from the provider's on purpose.
 */

export const CDNETWORKS_PURGE_PER_CALL = 500
export const CDNETWORKS_PREFETCH_PER_CALL = 400
const MAX_URL_LENGTH = 2000
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const GMT8_MINUTES = 8 * 60
const STATUS_WORDS = ['init', 'wait', 'run', 'success', 'failure']
const ACTIONS = ['default', 'delete', 'expire']

export interface CdnetworksQuotas {
  purgeUrls: number
  purgeDirs: number
  prefetchUrls: number
}

/** providers.md: 5,000 purge URLs, 500 purge directories, 20,000 prefetch URLs a day. */
export const CDNETWORKS_DEFAULT_QUOTAS: CdnetworksQuotas = { purgeUrls: 5000, purgeDirs: 500, prefetchUrls: 20000 }

/** How the emulator behaves; every field has a default. */
export interface CdnetworksEmulatorOptions {
  /** username → apiKey accepted by the API-key scheme (Date + HMAC-SHA1). */
  users?: Record<string, string>
  /** accessKey → secretKey accepted by the AK/SK scheme (CNC-HMAC-SHA256). */
  accessKeys?: Record<string, string>
  /** An item is `wait` for the first half of this, then `run`, then final. Default 200. */
  completeAfterMs?: number
  /** The same for prefetch items. Default: `completeAfterMs`. */
  prefetchCompleteAfterMs?: number
  /** URLs (or directories) that end `failure`. */
  failUrls?: Iterable<string>
  /** URLs (or directories) that never leave `run`. */
  stallUrls?: Iterable<string>
  /** Least time between two prefetch status queries of one user. Default 5 minutes (documented). */
  prefetchQueryIntervalMs?: number
  /** Daily quotas per user; defaults as documented. */
  quotas?: Partial<CdnetworksQuotas>
  /** Largest page a status query is served; a bigger pageSize is cut to it. Default 100 (inferred). */
  maxPageSize?: number
  /** A pageSize above this is refused with the vendor page's `page size error` instead of cut. Default: none (inferred). */
  refusePageSizeAbove?: number
  /** How far `Date` may be from the emulator's clock (inferred; the AK/SK timestamp is ±5 min). Default 5 minutes. */
  dateSkewMs?: number
  /**
   * HTTP status of a `Code: 0` answer. Default 200: the vendor page's error table
   * (seeds/002, "HTTPステータスコード" column) answers every error with HTTP 200; providers.md
   * says 400, so 400 can be chosen to check the client reads both.
   */
  errorStatus?: number
  /** HTTP status of a rate-limit answer (undocumented): 200 with `Code: 0` like the other errors (default), or 429 with Retry-After. */
  rateLimitStatus?: 200 | 429
  /** Answer `code`/`message` instead of `Code`/`Message` (default: `Message` on submits and errors, `message` on queries, as the vendor page shows). */
  lowerCaseKeys?: boolean
  /** The emulator's clock (ms). Default Date.now. */
  now?: () => number
  latencyMs?: number
  port?: number
}

/** One submitted URL or directory, as the status queries list it. */
export interface CdnetworksItem {
  itemId: string
  op: 'purge' | 'prefetch'
  /** The username, or the access key for AK/SK requests. */
  user: string
  url: string
  /** 0 file, 2 directory (as purge answers write it). */
  isDir: 0 | 2
  createdAt: number
  outcome: 'success' | 'failure' | 'stall'
}

export interface CdnetworksEmulator extends RunningEmulator {
  items: CdnetworksItem[]
  /** Live sets: a test may change them between submissions. */
  failUrls: Set<string>
  stallUrls: Set<string>
  /** What `user` used of each daily quota today (GMT+8). */
  usage(user: string): CdnetworksQuotas
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function header(req: RecordedRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}

/** `X-Time-Zone` as minutes east of GMT: `GMT+8`, `UTC-03:30`, `+0800`; null when unreadable (inferred format). */
function parseTimeZone(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return GMT8_MINUTES
  const m = /^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(value.trim())
  if (!m) return /^(GMT|UTC)$/i.test(value.trim()) ? 0 : null
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0))
}

const formatTime = (ms: number, zoneMinutes: number): string => new Date(ms + zoneMinutes * MINUTE).toISOString().slice(0, 19).replace('T', ' ')

function parseTime(value: unknown, zoneMinutes: number): number | null {
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value) : null
  if (!m) return null
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])
  return Number.isNaN(ms) ? null : ms - zoneMinutes * MINUTE
}

/** A whole number from a JSON number or numeric string (the vendor page types pageNo as String). */
function wholeNumber(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) ? n : null
}

const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/

export async function startCdnetworksEmulator(options: CdnetworksEmulatorOptions = {}): Promise<CdnetworksEmulator> {
  const users = options.users ?? { user: 'secret' }
  const accessKeys = options.accessKeys ?? {}
  const completeAfterMs = options.completeAfterMs ?? 200
  const prefetchCompleteAfterMs = options.prefetchCompleteAfterMs ?? completeAfterMs
  const failUrls = new Set(options.failUrls ?? [])
  const stallUrls = new Set(options.stallUrls ?? [])
  const queryIntervalMs = options.prefetchQueryIntervalMs ?? 5 * MINUTE
  const quotas = { ...CDNETWORKS_DEFAULT_QUOTAS, ...options.quotas }
  const maxPageSize = options.maxPageSize ?? 100
  const dateSkewMs = options.dateSkewMs ?? 5 * MINUTE
  const errorStatus = options.errorStatus ?? 200
  const rateLimitStatus = options.rateLimitStatus ?? 200
  const refusePageSizeAbove = options.refusePageSizeAbove ?? Infinity
  const now = options.now ?? Date.now
  const CODE = options.lowerCaseKeys ? 'code' : 'Code'
  const MESSAGE = options.lowerCaseKeys ? 'message' : 'Message'
  const QUERY_MESSAGE = 'message'

  const items: CdnetworksItem[] = []
  const usageByDay = new Map<string, CdnetworksQuotas>()
  /** Per user: when the last prefetch status call (any page) was answered. */
  const lastPrefetchQuery = new Map<string, number>()

  const fail = (message: string, status = errorStatus, headers?: Record<string, string>): EmulatorResponse => ({
    status,
    headers,
    body: { [CODE]: 0, [MESSAGE]: message }
  })

  function usage(user: string): CdnetworksQuotas {
    const key = `${user} ${formatTime(now(), GMT8_MINUTES).slice(0, 10)}`
    let used = usageByDay.get(key)
    if (!used) {
      used = { purgeUrls: 0, purgeDirs: 0, prefetchUrls: 0 }
      usageByDay.set(key, used)
    }
    return used
  }

  /** Checks either scheme; returns the caller's identity, or the refusal. */
  function authenticate(req: RecordedRequest): string | EmulatorResponse {
    const auth = header(req, 'authorization') ?? ''
    if (auth.startsWith('CNC-HMAC-SHA256 ')) return authenticateAksk(req, auth)
    if (!auth.startsWith('Basic ')) return fail('username is invalid')
    const decoded = Buffer.from(auth.slice('Basic '.length), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const username = colon < 0 ? decoded : decoded.slice(0, colon)
    const apiKey = Object.hasOwn(users, username) ? users[username] : undefined
    // Documented wording. A wrong key gets the same answer as an unknown user (inferred):
    // the API does not tell which half of the pair is wrong.
    if (apiKey === undefined || colon < 0) return fail('username is invalid')
    // `x-cnc-date` carries the date where `Date` cannot be set; the HMAC is over whichever is used.
    const date = header(req, 'x-cnc-date') ?? header(req, 'date')
    if (date === undefined) return fail('Date header is missing')
    const at = Date.parse(date)
    if (!RFC1123.test(date) || Number.isNaN(at) || new Date(at).toUTCString() !== date) return fail('Date header is not an RFC 1123 date')
    // Inferred: a replayed or badly clocked Date is refused, as the AK/SK timestamp is.
    if (Math.abs(now() - at) > dateSkewMs) return fail(`Date header is more than ${Math.round(dateSkewMs / MINUTE)} minutes from the server time`)
    const expected = createHmac('sha1', apiKey).update(date, 'utf8').digest('base64')
    if (!sameText(decoded.slice(colon + 1), expected)) return fail('username is invalid')
    return username
  }

  function authenticateAksk(req: RecordedRequest, auth: string): string | EmulatorResponse {
    // Inferred wordings: providers.md documents the scheme, not its error answers.
    const m = /^CNC-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/.exec(auth)
    if (!m) return fail('signature is invalid: malformed Authorization')
    const [, accessKey, signedHeaders, signature] = m
    if ((header(req, 'x-cnc-auth-method') ?? '').toUpperCase() !== 'AKSK') return fail('x-cnc-auth-method must be AKSK')
    const secretKey = Object.hasOwn(accessKeys, accessKey) ? accessKeys[accessKey] : undefined
    if (secretKey === undefined || header(req, 'x-cnc-accesskey') !== accessKey) return fail('accessKey is invalid')
    const timestamp = header(req, 'x-cnc-timestamp') ?? ''
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now() - Number(timestamp) * 1000) > 5 * MINUTE)
      return fail('x-cnc-timestamp is more than 5 minutes from the server time')
    const names = signedHeaders.split(';')
    if (!names.includes('content-type') || !names.includes('host')) return fail('signature is invalid: content-type and host must be signed')
    const canonicalRequest = [
      req.method,
      req.path,
      req.query.toString(),
      ...names.map((name) => `${name}:${(header(req, name) ?? '').trim().toLowerCase()}`),
      '',
      signedHeaders,
      sha256Hex(req.body)
    ].join('\n')
    const stringToSign = `CNC-HMAC-SHA256\n${timestamp}\n${sha256Hex(canonicalRequest)}`
    const expected = createHmac('sha256', secretKey).update(stringToSign, 'utf8').digest('hex')
    if (!sameText(signature.toLowerCase(), expected)) return fail('signature is invalid')
    return accessKey
  }

  /** Why `url` is refused, or null: http(s), at most 2,000 characters, percent-encoded. */
  function urlProblem(url: unknown): string | null {
    if (typeof url !== 'string') return 'url must be a string'
    const shown = url.length > 80 ? `${url.slice(0, 80)}…` : url
    if (url.length > MAX_URL_LENGTH) return `url is longer than ${MAX_URL_LENGTH} characters: ${shown}`
    if (!/^https?:\/\/[^/?#]+/i.test(url)) return `url must start with http:// or https://: ${shown}`
    if (/[^\x21-\x7e]/.test(url)) return `url must be percent-encoded: ${shown}`
    try {
      new URL(url)
    } catch {
      return `url is invalid: ${shown}`
    }
    return null
  }

  function record(user: string, op: CdnetworksItem['op'], urls: string[], dirs: string[]): string {
    const itemId = randomUUID().replace(/-/g, '')
    const createdAt = now()
    const add = (url: string, isDir: 0 | 2) =>
      items.push({ itemId, op, user, url, isDir, createdAt, outcome: stallUrls.has(url) ? 'stall' : failUrls.has(url) ? 'failure' : 'success' })
    for (const url of urls) add(url, 0)
    for (const dir of dirs) add(dir, 2)
    return itemId
  }

  /** A quota refusal names the quota, the use and the request (wording inferred). */
  const overQuota = (name: string, quota: number, used: number, asked: number): EmulatorResponse =>
    fail(`daily quota exceeded: ${name} quota is ${quota} a day, ${used} used today, ${asked} more requested`)

  function submitPurge(user: string, body: Record<string, unknown>): EmulatorResponse {
    const urls = body.urls ?? []
    const dirs = body.dirs ?? []
    if (!Array.isArray(urls) || !Array.isArray(dirs)) return fail('urls and dirs must be lists')
    if (urls.length + dirs.length === 0) return fail('urls and dirs must not both be empty')
    if (urls.length + dirs.length > CDNETWORKS_PURGE_PER_CALL)
      return fail(`urls and dirs together must not be more than ${CDNETWORKS_PURGE_PER_CALL} per request`)
    for (const url of [...urls, ...dirs]) {
      const problem = urlProblem(url)
      if (problem) return fail(problem)
    }
    const bad = (dirs as string[]).find((d) => !d.endsWith('/'))
    if (bad !== undefined) return fail(`dir must end with /: ${bad}`)
    for (const key of ['urlAction', 'dirAction']) {
      if (body[key] !== undefined && !ACTIONS.includes(String(body[key]))) return fail(`${key} must be one of ${ACTIONS.join(', ')}`)
    }
    const used = usage(user)
    if (used.purgeUrls + urls.length > quotas.purgeUrls) return overQuota('url purge', quotas.purgeUrls, used.purgeUrls, urls.length)
    if (used.purgeDirs + dirs.length > quotas.purgeDirs) return overQuota('dir purge', quotas.purgeDirs, used.purgeDirs, dirs.length)
    used.purgeUrls += urls.length
    used.purgeDirs += dirs.length
    const itemId = record(user, 'purge', urls as string[], dirs as string[])
    return { status: 200, body: { [CODE]: 1, [MESSAGE]: 'handle success', itemId } }
  }

  function submitPrefetch(user: string, body: Record<string, unknown>): EmulatorResponse {
    const urls = body.urls
    if (!Array.isArray(urls) || urls.length === 0) return fail('urls must not be empty')
    if (urls.length > CDNETWORKS_PREFETCH_PER_CALL) return fail(`urls must not be more than ${CDNETWORKS_PREFETCH_PER_CALL} per request`)
    for (const url of urls) {
      const problem = urlProblem(url)
      if (problem) return fail(problem)
    }
    if (body.isRange !== undefined && body.isRange !== 0 && body.isRange !== 1) return fail('isRange must be 0 or 1')
    const used = usage(user)
    if (used.prefetchUrls + urls.length > quotas.prefetchUrls) return overQuota('prefetch', quotas.prefetchUrls, used.prefetchUrls, urls.length)
    used.prefetchUrls += urls.length
    const itemId = record(user, 'prefetch', urls as string[], [])
    return { status: 200, body: { [CODE]: 1, [MESSAGE]: 'handle success', itemId } }
  }

  /** An item's status now: `wait` for the first half of its completion time, then `run`, then final. */
  function stateOf(item: CdnetworksItem, zone: number) {
    const complete = item.op === 'prefetch' ? prefetchCompleteAfterMs : completeAfterMs
    const elapsed = now() - item.createdAt
    const begun = elapsed >= complete / 2
    const final = item.outcome !== 'stall' && elapsed >= complete
    const status = final ? item.outcome : begun ? 'run' : 'wait'
    return {
      url: item.url,
      status,
      rate: status === 'success' ? '100' : status === 'run' ? '50' : '0',
      createTime: formatTime(item.createdAt, zone),
      beginTime: begun ? formatTime(item.createdAt + complete / 2, zone) : '',
      finishTime: final ? formatTime(item.createdAt + complete, zone) : '',
      ...(item.op === 'purge' ? { isDir: item.isDir } : {})
    }
  }

  /**
   * The documented limit (providers.md §2): one prefetch status call per 5 minutes per
   * user. Every call counts, whatever its pageNo: nothing documents further pages as free.
   * The answer when it is exceeded is not documented: by default the vendor page's error
   * form, HTTP 200 with `Code: 0` (seeds/002 error table), with our wording (inferred).
   */
  function rateLimited(user: string): EmulatorResponse | null {
    const last = lastPrefetchQuery.get(user)
    const wait = last !== undefined ? last + queryIntervalMs - now() : 0
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000)
      const message = `request too frequently: one prefetch status query per ${Math.round(queryIntervalMs / 1000)} seconds; retry in ${seconds} seconds`
      return rateLimitStatus === 429 ? fail(message, 429, { 'Retry-After': String(seconds) }) : fail(message, 200)
    }
    lastPrefetchQuery.set(user, now())
    return null
  }

  /**
   * Both ItemIdQuery paths (purge and prefetch) take `itemId` or a time range, and list
   * url, status, rate and times per entry, with no itemId (providers.md §2, Status).
   */
  function query(req: RecordedRequest, user: string, op: CdnetworksItem['op'], body: Record<string, unknown>): EmulatorResponse {
    if (op === 'prefetch') {
      const limited = rateLimited(user)
      if (limited) return limited
    }
    const zone = parseTimeZone(header(req, 'x-time-zone'))
    if (zone === null) return fail('X-Time-Zone is invalid')
    // Documented wordings from the vendor page's table from here on.
    const pageNo = body.pageNo === undefined ? 1 : wholeNumber(body.pageNo)
    if (pageNo === null || pageNo < 1) return fail('page no error')
    const pageSize = body.pageSize === undefined ? 20 : wholeNumber(body.pageSize)
    if (pageSize === null || pageSize < 1 || pageSize > refusePageSizeAbove) return fail('page size error')
    const served = Math.min(pageSize, maxPageSize)
    if (body.status !== undefined && !STATUS_WORDS.includes(String(body.status))) return fail('task status error,eg: init wait run success failure')
    const itemId = typeof body.itemId === 'string' && body.itemId !== '' ? body.itemId : null
    const hasRange = body.startTime !== undefined || body.endTime !== undefined
    if ((itemId === null || hasRange) && (body.startTime === undefined || body.endTime === undefined)) return fail('startTime or endTime must not be empty')
    let from = -Infinity
    let to = Infinity
    if (hasRange) {
      const start = parseTime(body.startTime, zone)
      const end = parseTime(body.endTime, zone)
      if (start === null || end === null) return fail('query time error')
      if (end < start) return fail('endTime should not before startTime')
      if (end - start > DAY) return fail('query time error') // a range spans at most one day
      if (start < now() - 3 * DAY) return fail('query create time should not before 3 days')
      from = start
      to = end + 999 // endTime is inclusive to the second
    }
    const listed = items.filter(
      (i) =>
        i.user === user &&
        i.op === op &&
        (itemId === null || i.itemId === itemId) &&
        i.createdAt >= from &&
        i.createdAt <= to &&
        (body.url === undefined || i.url === body.url)
    )
    // Without a status filter only the page's entries need their state worked out.
    const matches = body.status === undefined ? listed : listed.filter((i) => stateOf(i, zone).status === body.status)
    return {
      status: 200,
      body: {
        count: matches.length,
        [CODE]: 1,
        [QUERY_MESSAGE]: 'success',
        pageNo,
        pageSize: served,
        resultDetail: matches.slice((pageNo - 1) * served, pageNo * served).map((i) => stateOf(i, zone))
      }
    }
  }

  /** Quota look-ups; the answer's field names are not documented (inferred). */
  function quotaAnswer(user: string, op: CdnetworksItem['op']): EmulatorResponse {
    const used = usage(user)
    const fields =
      op === 'purge'
        ? { urlQuota: quotas.purgeUrls, urlRemain: quotas.purgeUrls - used.purgeUrls, dirQuota: quotas.purgeDirs, dirRemain: quotas.purgeDirs - used.purgeDirs }
        : { prefetchQuota: quotas.prefetchUrls, prefetchRemain: quotas.prefetchUrls - used.prefetchUrls }
    return { status: 200, body: { [CODE]: 1, [MESSAGE]: 'success', ...fields } }
  }

  const routes: Record<string, (req: RecordedRequest, user: string, body: Record<string, unknown>) => EmulatorResponse> = {
    '/ccm/purge/ItemIdReceiver': (_req, user, body) => submitPurge(user, body),
    '/ccm/fetch/ItemIdReceiver': (_req, user, body) => submitPrefetch(user, body),
    '/ccm/purge/ItemIdQuery': (req, user, body) => query(req, user, 'purge', body),
    '/ccm/fetch/ItemIdQuery': (req, user, body) => query(req, user, 'prefetch', body),
    '/ccm/purge/quota': (_req, user) => quotaAnswer(user, 'purge'),
    '/ccm/prefetch/quota': (_req, user) => quotaAnswer(user, 'prefetch')
  }

  const server = await startServer(
    (req) => {
      const route = Object.hasOwn(routes, req.path) ? routes[req.path] : undefined
      if (!route) return fail('not found', 404)
      if (req.method !== 'POST') return fail('method not allowed: use POST', 405)
      const user = authenticate(req)
      if (typeof user !== 'string') return user
      if (!/^application\/json\b/i.test(header(req, 'content-type') ?? '')) return fail('Content-Type must be application/json')
      const body = req.body.trim() === '' && req.path.endsWith('/quota') ? {} : jsonBody(req)
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail('parse json error')
      return route(req, user, body as Record<string, unknown>)
    },
    { latencyMs: options.latencyMs, port: options.port }
  )
  return Object.assign(server, { items, failUrls, stallUrls, usage: (user: string) => ({ ...usage(user) }) })
}
