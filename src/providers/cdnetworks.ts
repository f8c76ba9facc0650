import { createHash, createHmac } from 'node:crypto'
import { InputError } from '../errors.js'
import { shown } from '../external.js'
import { HttpError, parseJsonBody, type HttpResponse } from '../http/transport.js'
import type { Operation } from '../model.js'
import {
  asRecord,
  checkTaskId,
  ProviderError,
  type Batch,
  type CdnProvider,
  type ItemStatus,
  type ItemStatusState,
  type ProviderContext,
  type ProviderDefinition,
  type ProviderLimits,
  type Task
} from './provider.js'

/**
 * Limits from providers.md. Purge takes URLs and directories together, ≤ 500 per call;
 * prefetch ≤ 400 URLs. Prefetch status is documented as one call per 5 minutes per user,
 * so one status call covers every open prefetch task (a time-range query, all pages) and
 * calls are spaced 300 s apart; 1,000 tasks is far above a day's default prefetch quota
 * (20,000 URLs / 400 = 50 tasks). Purge status has no documented rate limit: it is asked
 * by `itemId`, one task per call, every 10 s (a purge usually takes a few minutes, so this
 * sees it finish within 10 s for some 20 calls per task).
 */
const limits: ProviderLimits = {
  itemsPerCall: { purge: 500, prefetch: 400 },
  oneHostPerCall: false,
  mixedKindsPerCall: true,
  directories: true,
  statusIdsPerCall: { purge: 1, prefetch: 1000 },
  defaultPollSeconds: { purge: 10, prefetch: 300 },
  minStatusIntervalMs: { prefetch: 300_000 },
  // No rate limit is documented for submits or purge status: 16 calls at a time (the
  // transport's socket pool), as for ztgame. The `concurrency` input lowers it.
  defaultConcurrency: 16
}

/** Entries asked for per status page. The documented default is 20; the maximum is not documented (inferred). */
export const STATUS_PAGE_SIZE = 100
/** Pages read in one status call before giving up on an answer that never ends. */
const MAX_STATUS_PAGES = 1000
/** Times in status queries and answers are GMT+8 (we never send X-Time-Zone). */
const GMT8_MS = 8 * 3600_000
/** A time-range query spans at most one day. */
const DAY_MS = 24 * 3600_000
/** Slack around submit times in a time-range query, for clock differences with the server. */
const RANGE_SLACK_MS = 5 * 60_000

const PATHS: Record<Operation, { submit: string; query: string; quota: string }> = {
  purge: { submit: '/ccm/purge/ItemIdReceiver', query: '/ccm/purge/ItemIdQuery', quota: '/ccm/purge/quota' },
  prefetch: { submit: '/ccm/fetch/ItemIdReceiver', query: '/ccm/fetch/ItemIdQuery', quota: '/ccm/prefetch/quota' }
}

// ---- signing -------------------------------------------------------------------------

/** API-key scheme: `password = Base64(HMAC-SHA1(key = apiKey, message = exact Date string))`. */
export function apiKeyPassword(apiKey: string, date: string): string {
  return createHmac('sha1', apiKey).update(date, 'utf8').digest('base64')
}

/** API-key scheme: `Basic base64(username + ":" + password)`. */
export function apiKeyAuthorization(username: string, apiKey: string, date: string): string {
  return `Basic ${Buffer.from(`${username}:${apiKeyPassword(apiKey, date)}`, 'utf8').toString('base64')}`
}

export interface AkskRequest {
  method: string
  /** Path as sent, e.g. `/ccm/purge/ItemIdReceiver`. */
  path: string
  /** Query string without `?` ('' when none). */
  query: string
  contentType: string
  /** Host as sent in the Host header (with a non-default port). */
  host: string
  body: string
}

export interface AkskSignature {
  canonicalRequest: string
  stringToSign: string
  /** Lowercase hex HMAC-SHA256(secretKey, stringToSign). */
  signature: string
  authorization: string
}

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * AK/SK scheme (`CNC-HMAC-SHA256`) with the signed headers `content-type;host`:
 * CanonicalRequest = METHOD \n PATH \n QUERY \n content-type:<lower> \n host:<lower> \n \n
 * content-type;host \n hex(sha256(body)); StringToSign = CNC-HMAC-SHA256 \n timestamp \n
 * hex(sha256(CanonicalRequest)); Signature = hex(HMAC-SHA256(secretKey, StringToSign)).
 */
export function signAksk(req: AkskRequest, accessKey: string, secretKey: string, timestamp: string): AkskSignature {
  const signedHeaders = 'content-type;host'
  const canonicalRequest = [
    req.method.toUpperCase(),
    req.path,
    req.query,
    `content-type:${req.contentType.trim().toLowerCase()}`,
    `host:${req.host.trim().toLowerCase()}`,
    '',
    signedHeaders,
    sha256Hex(req.body)
  ].join('\n')
  const stringToSign = `CNC-HMAC-SHA256\n${timestamp}\n${sha256Hex(canonicalRequest)}`
  const signature = createHmac('sha256', secretKey).update(stringToSign, 'utf8').digest('hex')
  return {
    canonicalRequest,
    stringToSign,
    signature,
    authorization: `CNC-HMAC-SHA256 Credential=${accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`
  }
}

// ---- answers --------------------------------------------------------------------------

type Json = Record<string, unknown>

/** A field by name, any letter case: the vendor page writes `message`, the SDK `Message`. */
export function field(obj: Json, name: string): unknown {
  if (name in obj) return obj[name]
  const lower = name.toLowerCase()
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key]
  return undefined
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '')

function integer(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
  return Number.isInteger(n) && n >= 0 ? n : null
}

/** `yyyy-MM-dd HH:mm:ss` in GMT+8. */
export function formatGmt8(ms: number): string {
  return new Date(ms + GMT8_MS).toISOString().slice(0, 19).replace('T', ' ')
}

/** `yyyy-MM-dd HH:mm:ss` read as GMT+8, or null. */
export function parseGmt8(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(value.trim())
  if (!m) return null
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - GMT8_MS
}

/** Per-URL status words: success | failure | wait | run (any case); anything else is pending. */
function mapStatus(word: string): ItemStatusState {
  switch (word.toLowerCase()) {
    case 'success':
      return 'success'
    case 'failure':
    case 'failed':
    case 'fail':
      return 'failure'
    default:
      return 'pending'
  }
}

/** Compares URLs as the server may echo them (host case, default port, percent-encoding). */
function urlKey(url: string): string {
  let href = url.trim()
  try {
    href = new URL(href).href
  } catch {
    /* keep it as given */
  }
  try {
    return decodeURI(href)
  } catch {
    return href
  }
}

interface Entry {
  status: string
  /** createTime in ms, or null when missing or unreadable. */
  created: number | null
}

/**
 * The entry that describes our submission of a URL: answers by time range can hold other
 * runs' entries for the same URL. Prefer the earliest created at or after our submit
 * (second precision); when none is (the server's clock is behind ours), the latest one.
 */
function pickEntry(entries: Entry[], submittedAt: number): Entry {
  const since = Math.floor(submittedAt / 1000) * 1000
  const after = entries.filter((e) => e.created !== null && e.created >= since).sort((a, b) => a.created! - b.created!)
  if (after.length > 0) return after[0]
  return entries.slice().sort((a, b) => (a.created ?? 0) - (b.created ?? 0))[entries.length - 1]
}

// ---- client ---------------------------------------------------------------------------

type Scheme = { kind: 'api-key'; username: string; apiKey: string } | { kind: 'aksk'; accessKey: string; secretKey: string }

class CdnetworksClient implements CdnProvider {
  readonly name = 'cdnetworks'
  readonly limits = limits
  private readonly scheme: Scheme

  constructor(private readonly ctx: ProviderContext) {
    const c = ctx.credentials
    // AK/SK binds the body and a timestamp into the signature; prefer it when both pairs are given.
    this.scheme =
      c.accessKey !== '' && c.secretKey !== ''
        ? { kind: 'aksk', accessKey: c.accessKey, secretKey: c.secretKey }
        : { kind: 'api-key', username: c.username, apiKey: c.apiKey }
  }

  private get inputs(): string {
    return this.scheme.kind === 'aksk' ? 'access-key and secret-key inputs' : 'username and api-key inputs'
  }

  async prepare(): Promise<void> {
    this.ctx.log(
      this.scheme.kind === 'aksk'
        ? 'cdnetworks: signing requests with AK/SK (CNC-HMAC-SHA256)'
        : `cdnetworks: signing requests with the API key of user ${shown(this.scheme.username)} (HMAC-SHA1 of Date)`
    )
  }

  private readonly masked = new Set<string>()

  /** Registers derived credentials with the runner's masking, each value once. */
  private maskDerived(values: string[]): void {
    for (const value of values) {
      if (value.length < 4 || this.masked.has(value)) continue
      this.masked.add(value)
      this.ctx.mask(value)
    }
  }

  /**
   * Signed headers for one call. The derived password, the Basic credential and the AK/SK
   * signature are masked (once per distinct value: they change with the Date/timestamp).
   */
  private headers(url: URL, body: string): { headers: Record<string, string>; derived: string[] } {
    const out = this.signedHeaders(url, body)
    this.maskDerived(out.derived)
    return out
  }

  private signedHeaders(url: URL, body: string): { headers: Record<string, string>; derived: string[] } {
    const now = this.ctx.now()
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Date: new Date(now).toUTCString()
    }
    if (this.scheme.kind === 'api-key') {
      const password = apiKeyPassword(this.scheme.apiKey, headers.Date)
      headers.Authorization = apiKeyAuthorization(this.scheme.username, this.scheme.apiKey, headers.Date)
      return { headers, derived: [password, headers.Authorization, headers.Authorization.replace(/^Basic /, '')] }
    }
    const timestamp = String(Math.floor(now / 1000))
    const signed = signAksk(
      { method: 'POST', path: url.pathname, query: url.search.replace(/^\?/, ''), contentType: headers['Content-Type'], host: url.host, body },
      this.scheme.accessKey,
      this.scheme.secretKey,
      timestamp
    )
    Object.assign(headers, {
      'x-cnc-accessKey': this.scheme.accessKey,
      'x-cnc-timestamp': timestamp,
      'x-cnc-auth-method': 'AKSK',
      Authorization: signed.authorization
    })
    return { headers, derived: [signed.signature, signed.authorization] }
  }

  /** Removes anything secret an answer might echo (the server is not expected to). */
  private scrub(message: string, derived: string[]): string {
    let out = message.replace(/\s+/g, ' ').trim()
    const secrets = [...derived, this.scheme.kind === 'aksk' ? this.scheme.secretKey : this.scheme.apiKey].filter((s) => s.length >= 4)
    for (const secret of secrets) out = out.split(secret).join('***')
    return shown(out)
  }

  /**
   * One signed POST. Returns the answer when `Code` is 1; otherwise throws a ProviderError
   * that says what to fix (credentials, clock, quota) and whether asking later may help.
   */
  private async call(op: Operation, path: string, payload: Json, what: string): Promise<Json> {
    const url = new URL(this.ctx.endpoint.replace(/\/+$/, '') + path)
    const body = JSON.stringify(payload)
    const { headers, derived } = this.headers(url, body)
    let res: HttpResponse
    try {
      res = await this.ctx.request({ method: 'POST', url: url.href, headers, body })
    } catch (err) {
      if (err instanceof HttpError) throw new ProviderError(`${what}: ${err.message}`, err.status === null || err.status === 429 || err.status >= 500)
      throw err
    }
    const ok = res.status >= 200 && res.status < 300
    let data: Json | null = null
    try {
      data = asRecord(parseJsonBody(res, what))
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      // A 2xx that is empty, truncated or not JSON is never a success.
      if (ok) throw new ProviderError(err.message, true)
    }
    if (ok && data === null) throw new ProviderError(`${what}: answer is not a JSON object (HTTP ${res.status})`, true)
    const code = data === null ? undefined : field(data, 'Code')
    if (ok && code === undefined) throw new ProviderError(`${what}: answer has no Code (HTTP ${res.status})`, true)
    if (ok && (typeof code === 'number' || typeof code === 'string') && Number(code) === 1) return data!

    const said = data === null ? '' : this.scrub(text(field(data, 'Message')), derived)
    const shown = said !== '' ? said : data === null ? `${res.text.length} bytes` : `Code ${text(code) || 'missing'}`
    if (res.status === 429 || /too frequent|frequently|too many|rate limit/i.test(said)) {
      const hint =
        path === PATHS.prefetch.query ? '; prefetch status allows one query per 5 minutes per user (another job of the same account may be polling)' : ''
      throw new ProviderError(`${what}: rate limited (HTTP ${res.status}: ${shown})${hint}; asking again in the next round`, true)
    }
    if (res.status >= 500) throw new ProviderError(`${what} failed: HTTP ${res.status}: ${shown}`, true)
    if (/quota|daily|per day|today/i.test(said))
      throw new ProviderError(`${what} refused: ${this.quotaName(op, said)} is used up (${shown}); ${this.quotaHint(op)}`)
    if (/\bdate\b|timestamp|clock|time ?skew|expired/i.test(said)) {
      throw new ProviderError(
        `${what} refused: the request time was not accepted (${shown}); check the runner's clock (the Date / x-cnc-timestamp must be within minutes of the server's)`
      )
    }
    if (
      res.status === 401 ||
      res.status === 403 ||
      /user ?name|password|signature|unauthori[sz]ed|authenticat|access ?key|secret|credential|forbidden/i.test(said)
    ) {
      throw new ProviderError(`${what}: the credentials were rejected (${shown}); check the ${this.inputs}`)
    }
    throw new ProviderError(`${what} failed: HTTP ${res.status}: ${shown}`)
  }

  private quotaName(op: Operation, said: string): string {
    if (op === 'prefetch') return 'the daily prefetch quota (by default 20,000 URLs / 200 GB a day)'
    if (/\bdirs?\b|director/i.test(said)) return 'the daily directory purge quota (by default 500 directories a day)'
    if (/\burls?\b/i.test(said)) return 'the daily URL purge quota (by default 5,000 URLs a day)'
    return 'a daily purge quota (by default 5,000 URLs and 500 directories a day)'
  }

  private quotaHint(op: Operation): string {
    return `check what is left with POST ${PATHS[op].quota} (or the CDNetworks console), send fewer items, or run again after the quota resets the next day`
  }

  async submit(batch: Batch): Promise<Task> {
    const urls = batch.items.filter((i) => i.kind === 'url').map((i) => i.url)
    const dirs = batch.items.filter((i) => i.kind === 'dir').map((i) => i.url)
    const what = `cdnetworks ${batch.op} of ${[plural(urls.length, 'URL'), dirs.length > 0 ? plural(dirs.length, 'directory', 'directories') : ''].filter(Boolean).join(' and ')}`
    if (batch.op === 'prefetch' && dirs.length > 0) throw new ProviderError(`${what}: directories cannot be prefetched`)
    // Empty lists are left out rather than sent as [] (the contract only requires "not both empty").
    const payload: Json = {}
    if (urls.length > 0) payload.urls = urls
    if (batch.op === 'purge') {
      if (urls.length > 0) payload.urlAction = 'default'
      if (dirs.length > 0) Object.assign(payload, { dirs, dirAction: 'default' })
    }
    const submittedAt = this.ctx.now()
    const data = await this.call(batch.op, PATHS[batch.op].submit, payload, what)
    const id = text(field(data, 'itemId'))
    if (id === '') throw new ProviderError(`${what}: answer has Code 1 but no itemId`)
    return { id: checkTaskId(id, what), op: batch.op, items: batch.items, submittedAt }
  }

  /**
   * One task: asked by `itemId`. Several (prefetch, whose status is limited to one call per
   * 5 minutes): one time-range query spanning their submit times, so one call covers them
   * all. Every page is read; the pages of one query count as one call (our reading of the
   * rate limit: it limits queries, and a query's answer is only complete with all its pages).
   */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    if (tasks.length === 0) return []
    const op = tasks[0].op
    let query: Json
    let what: string
    if (tasks.length === 1) {
      query = { itemId: tasks[0].id }
      what = `cdnetworks ${op} status of item ${shown(tasks[0].id)}`
    } else {
      const from = Math.min(...tasks.map((t) => t.submittedAt)) - RANGE_SLACK_MS
      // A range spans at most a day; a run is capped at 6 hours, so this cut never drops a task.
      const to = Math.min(Math.max(...tasks.map((t) => t.submittedAt)) + RANGE_SLACK_MS, from + DAY_MS - 1000)
      query = { startTime: formatGmt8(from), endTime: formatGmt8(to) }
      what = `cdnetworks ${op} status of ${tasks.length} tasks (${query.startTime} to ${query.endTime} GMT+8)`
    }
    const entries = new Map<string, Entry[]>()
    let served = STATUS_PAGE_SIZE
    let count = 0
    let ended = false
    const readPage = async (pageNo: number): Promise<void> => {
      const page = pageNo === 1 ? what : `${what}, page ${pageNo}`
      const data = await this.call(op, PATHS[op].query, { ...query, pageNo, pageSize: STATUS_PAGE_SIZE }, page)
      const listed = integer(field(data, 'count'))
      const detail = field(data, 'resultDetail') ?? (listed === 0 ? [] : undefined)
      if (listed === null || !Array.isArray(detail)) throw new ProviderError(`${page}: answer has no count or resultDetail list`, true)
      for (const raw of detail) {
        const entry = asRecord(raw)
        if (!entry) continue
        const url = text(field(entry, 'url'))
        if (url === '') continue
        const key = urlKey(url)
        const list = entries.get(key) ?? []
        list.push({ status: text(field(entry, 'status')), created: parseGmt8(text(field(entry, 'createTime'))) })
        entries.set(key, list)
      }
      count = Math.max(count, listed)
      // The server may serve smaller pages than asked for; page numbers follow its size.
      served = integer(field(data, 'pageSize')) || served
      if (detail.length === 0) ended = true
    }
    const readPages = (from: number, to: number): Promise<unknown> => Promise.all(Array.from({ length: to - from + 1 }, (_, i) => readPage(from + i)))
    // Purge status (by itemId, no documented rate limit) lists the task's own URLs, so its
    // pages are known up front and read at once. A prefetch query (one per 5 minutes) reads
    // its pages one after another.
    const together = op === 'purge' && tasks.length === 1
    let read = together ? Math.min(MAX_STATUS_PAGES, Math.max(1, Math.ceil(tasks[0].items.length / STATUS_PAGE_SIZE))) : 1
    await readPages(1, read)
    for (;;) {
      const pages = Math.ceil(count / served)
      if (ended || read >= pages) break
      if (read >= MAX_STATUS_PAGES) throw new ProviderError(`${what}: more than ${MAX_STATUS_PAGES} pages; stopped reading`, true)
      const to = together ? Math.min(pages, MAX_STATUS_PAGES) : read + 1
      await readPages(read + 1, to)
      read = to
    }
    // URLs that are not ours (other runs in the same time range) are never looked up.
    const out: ItemStatus[] = []
    for (const task of tasks) {
      for (const item of task.items) {
        const found = entries.get(urlKey(item.url))
        if (!found) continue // not listed yet: stays pending
        const entry = pickEntry(found, task.submittedAt)
        out.push({ taskId: task.id, url: item.url, state: mapStatus(entry.status), detail: entry.status === '' ? 'no status' : shown(entry.status) })
      }
    }
    return out
  }
}

export const cdnetworks: ProviderDefinition = {
  name: 'cdnetworks',
  defaultEndpoint: 'https://api.cdnetworks.com',
  limits,
  checkCredentials(c) {
    const pairs: [string, string, string, string][] = [
      ['username', c.username, 'api-key', c.apiKey],
      ['access-key', c.accessKey, 'secret-key', c.secretKey]
    ]
    for (const [a, av, b, bv] of pairs) {
      if ((av === '') !== (bv === '')) {
        const [missing, given] = av === '' ? [a, b] : [b, a]
        throw new InputError(missing, `cdnetworks needs ${a} and ${b} together; ${given} was given without ${missing}`)
      }
    }
    if (c.username !== '' || c.accessKey !== '') return
    throw new InputError(
      'username',
      'cdnetworks needs username and api-key (API-key auth), or access-key and secret-key (AK/SK auth); store the key as a repository secret and pass it as api-key: ${{ secrets.CDNETWORKS_API_KEY }}'
    )
  },
  create: (ctx) => new CdnetworksClient(ctx)
}
