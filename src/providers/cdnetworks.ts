import { createHash, createHmac } from 'node:crypto'
import { InputError } from '../errors.js'
import { shown, shownBody } from '../external.js'
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
import { count as plural } from '../text.js'

/**
 * Limits from providers.md. Purge takes URLs and directories together, ≤ 500 per call;
 * prefetch ≤ 400 URLs. Prefetch status is documented as one call per 5 minutes per user,
 * and nothing says further pages of an answer are free: every page is a call. So a
 * prefetch status call asks about one task (by `itemId`: its answer lists only that
 * task's URLs) and reads one page of it; calls are spaced 300 s apart, and the next call
 * goes on from the next page (see `status`). Purge status has no documented rate limit:
 * one task per call, every page at once, every 10 s (a purge usually takes a few minutes).
 */
const limits: ProviderLimits = {
  itemsPerCall: { purge: 500, prefetch: 400 },
  oneHostPerCall: false,
  mixedKindsPerCall: true,
  directories: true,
  statusIdsPerCall: { purge: 1, prefetch: 1 },
  defaultPollSeconds: { purge: 10, prefetch: 300 },
  minStatusIntervalMs: { prefetch: 300_000 },
  // No rate limit is documented for submits or purge status: 16 calls at a time (the
  // transport's socket pool), as for ztgame. The `concurrency` input lowers it.
  defaultConcurrency: 16
}

/**
 * Entries asked for per status page. The maximum is not documented (inferred); when the
 * server answers `page size error` (a documented answer), the client falls back to the
 * documented default, STATUS_DEFAULT_PAGE_SIZE, for the rest of the run.
 */
export const STATUS_PAGE_SIZE = 100
export const STATUS_DEFAULT_PAGE_SIZE = 20
/** A time-range query spans at most one day. */
const DAY_MS = 24 * 3600_000
/** Slack around submit times in a time-range query, for clock differences with the server. */
const RANGE_SLACK_MS = 5 * 60_000
/** Pages of one purge status read in one call before giving up on an answer that never ends. */
const MAX_STATUS_PAGES = 1000
/** Times in status queries and answers are GMT+8 (we never send X-Time-Zone). */
const GMT8_MS = 8 * 3600_000

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

/** Why a `Code` other than 1 was answered, as far as the words say. */
export type RefusalKind = 'rate-limit' | 'page-size' | 'other'

/**
 * A refusal in the vendor page's form (HTTP 200, `Code` 0, a message; also read on other
 * HTTP statuses), with the kind the status reader acts on.
 */
export class CdnetworksRefusal extends ProviderError {
  constructor(
    message: string,
    retryable: boolean,
    readonly kind: RefusalKind
  ) {
    super(message, retryable)
  }
}

/**
 * Rate-limit words. The vendor page lists no rate-limit answer: we read any message about
 * frequency, "too many" or a rate limit as one (inferred), and HTTP 429.
 */
const RATE_LIMIT_WORDS = /too frequent|frequen(t|cy)|too many|rate.?limit|throttl/i
/** The vendor page's `page size error`. */
const PAGE_SIZE_WORDS = /page ?size/i

/** Where the next prefetch status call of one task goes on (kept between rounds). */
interface Cursor {
  /** Page size the server serves for this task (page numbers follow it). */
  pageSize: number
  /** Next page to read. */
  next: number
  /** Pages the last answer said there are (null before the first). */
  pages: number | null
  /** Pages whose every entry was final when last read: skipped until the listing changes. */
  finalPages: Set<number>
  /** URL keys seen in the current pass over the pages. */
  seen: Set<string>
  /** URL keys known final. */
  final: Set<string>
  /** When it was last read (to share calls fairly between tasks). */
  readAt: number
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

  constructor(
    private readonly ctx: ProviderContext,
    c: CdnetworksSettings
  ) {
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
  private unsecret(text: string, derived: string[]): string {
    let out = text
    const secrets = [...derived, this.scheme.kind === 'aksk' ? this.scheme.secretKey : this.scheme.apiKey].filter((s) => s.length >= 4)
    for (const secret of secrets) out = out.split(secret).join('***')
    return out
  }

  private scrub(message: string, derived: string[]): string {
    return shown(this.unsecret(message.replace(/\s+/g, ' ').trim(), derived))
  }

  /**
   * One signed POST. Returns the answer when `Code` is 1; otherwise throws a ProviderError
   * that says what to fix (credentials, clock, quota) and whether asking later may help.
   * `idempotent`: a read (query, quota), retried by the transport like a GET; a submit
   * (false) whose answer is lost may have made a task (the error is ambiguous).
   */
  private async call(op: Operation, path: string, payload: Json, what: string, idempotent = true): Promise<Json> {
    const url = new URL(this.ctx.endpoint.replace(/\/+$/, '') + path)
    const body = JSON.stringify(payload)
    const { headers, derived } = this.headers(url, body)
    let res: HttpResponse
    try {
      res = await this.ctx.request({ method: 'POST', url: url.href, headers, body, idempotent })
    } catch (err) {
      if (err instanceof HttpError)
        throw new ProviderError(`${what}: ${err.message}`, err.status === null || err.status === 429 || err.status >= 500, !idempotent && err.ambiguous)
      throw err
    }
    const ok = res.status >= 200 && res.status < 300
    let data: Json | null = null
    try {
      data = asRecord(parseJsonBody(res, what))
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      // A 2xx that is empty, truncated or not JSON is never a success (a submit may have made a task).
      if (ok) throw new ProviderError(err.message, true, !idempotent)
    }
    if (ok && data === null) throw new ProviderError(`${what}: answer is not a JSON object (HTTP ${res.status})`, true, !idempotent)
    const code = data === null ? undefined : field(data, 'Code')
    if (ok && code === undefined) throw new ProviderError(`${what}: answer has no Code (HTTP ${res.status})`, true, !idempotent)
    if (ok && (typeof code === 'number' || typeof code === 'string') && Number(code) === 1) return data!

    const said = data === null ? '' : this.scrub(text(field(data, 'Message')), derived)
    // A body that is not JSON (a proxy's page) is quoted, cut with its length stated.
    const shown = said !== '' ? said : data === null ? shownBody(res.text, (t) => this.unsecret(t, derived)) : `Code ${text(code) || 'missing'}`
    // The vendor page answers refusals with HTTP 200 and Code 0: recognise them by their words.
    if (res.status === 429 || RATE_LIMIT_WORDS.test(said)) {
      const hint =
        path === PATHS.prefetch.query
          ? '; prefetch status allows one call (one page) per 5 minutes per user (another job of the same account may be polling)'
          : ''
      throw new CdnetworksRefusal(`${what}: rate limited (HTTP ${res.status}: ${shown})${hint}; asking again in the next round`, true, 'rate-limit')
    }
    if (res.status >= 500) throw new ProviderError(`${what} failed: HTTP ${res.status}: ${shown}`, true, !idempotent && res.status !== 503)
    if (PAGE_SIZE_WORDS.test(said)) throw new CdnetworksRefusal(`${what} refused: HTTP ${res.status}: ${shown}`, false, 'page-size')
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
    const data = await this.call(batch.op, PATHS[batch.op].submit, payload, what, false)
    const id = text(field(data, 'itemId'))
    // Accepted, but the id is lost: as ambiguous as a lost answer (the engine looks it up).
    if (id === '') throw new ProviderError(`${what}: answer has Code 1 but no itemId`, false, true)
    return { id: checkTaskId(id, what), op: batch.op, items: batch.items, submittedAt }
  }

  /** Page size asked for; STATUS_DEFAULT_PAGE_SIZE once the server refused the larger one. */
  private pageSize = STATUS_PAGE_SIZE
  /** Per prefetch task id: where its next status call goes on. */
  private readonly cursors = new Map<string, Cursor>()

  /** A time-range query from `from` to `to` (ms), cut to the documented one day. */
  private range(from: number, to: number): Json {
    return { startTime: formatGmt8(from), endTime: formatGmt8(Math.min(to, from + DAY_MS - 1000)) }
  }

  /**
   * Every entry a query lists, by URL key, all pages read. `pagesUpFront`: pages known to
   * exist, read at once, and so are further pages once the count is known; null: pages are
   * read one after another.
   */
  private async entries(op: Operation, query: Json, what: string, pagesUpFront: number | null): Promise<Map<string, Entry[]>> {
    const entries = new Map<string, Entry[]>()
    let served = this.pageSize
    let count = 0
    let ended = false
    const readPage = async (pageNo: number): Promise<void> => {
      const page = pageNo === 1 ? what : `${what}, page ${pageNo}`
      const data = await this.call(op, PATHS[op].query, { ...query, pageNo, pageSize: this.pageSize }, page)
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
    const together = pagesUpFront !== null
    let read = Math.min(MAX_STATUS_PAGES, Math.max(1, pagesUpFront ?? 1))
    await readPages(1, read)
    for (;;) {
      const pages = Math.ceil(count / served)
      if (ended || read >= pages) break
      if (read >= MAX_STATUS_PAGES) throw new ProviderError(`${what}: more than ${MAX_STATUS_PAGES} pages; stopped reading`, true)
      const to = together ? Math.min(pages, MAX_STATUS_PAGES) : read + 1
      await readPages(read + 1, to)
      read = to
    }
    return entries
  }

  /**
   * After a lost submit answer. A query by time range lists entries (url, status,
   * createTime) but no itemId (providers.md §2), so a purge batch counts as made when every
   * one of its URLs and directories is listed as created at or after the second it was sent
   * (safe reading: a purge of those URLs made since then, by whoever, has done what this one
   * would). Anything less is taken as not made, and the batch is sent again. The task found
   * has no id: it is polled by time range. Prefetch is not looked up: its status allows one
   * query per 5 minutes, which the look-up would take from the poller, so a prefetch batch is
   * sent again instead (a duplicate costs quota, not correctness).
   */
  async findSubmitted(batch: Batch, since: number): Promise<Task | null | 'unknown'> {
    if (batch.op === 'prefetch') return 'unknown'
    const query = this.range(since - RANGE_SLACK_MS, this.ctx.now() + RANGE_SLACK_MS)
    const what = `cdnetworks ${batch.op} task lookup (${query.startTime} to ${query.endTime} GMT+8)`
    const entries = await this.entries(batch.op, query, what, null)
    const from = Math.floor(since / 1000) * 1000
    const made = batch.items.every((item) => (entries.get(urlKey(item.url)) ?? []).some((e) => e.created !== null && e.created >= from))
    if (!made) return null
    return { id: `found by time range from ${formatGmt8(from)} GMT+8`, localId: true, op: batch.op, items: batch.items, submittedAt: since }
  }

  /** Status of tasks found without an id: one time-range query spanning their submit times, every page read. */
  private async rangeStatus(tasks: Task[]): Promise<ItemStatus[]> {
    const op = tasks[0].op
    // A range spans at most a day; a run is capped at 6 hours, so this cut never drops a task.
    const from = Math.min(...tasks.map((t) => t.submittedAt)) - RANGE_SLACK_MS
    const query = this.range(from, Math.max(...tasks.map((t) => t.submittedAt)) + RANGE_SLACK_MS)
    const what = `cdnetworks ${op} status of ${plural(tasks.length, 'task')} (${query.startTime} to ${query.endTime} GMT+8)`
    const entries = await this.entries(op, query, what, null)
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

  /**
   * Status of one task, asked by `itemId` (the answer lists only that task's URLs).
   * Purge (no documented rate limit): every page, at once. Prefetch (one call per
   * 5 minutes, every page a call): ONE page per status call; the next call goes on from
   * the next page, so the entries already read are kept (reported as read) and a rate-limit
   * answer costs nothing but a round. Given several tasks, a prefetch call reads a page of
   * the one read longest ago.
   */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    if (tasks.length === 0) return []
    // A purge found by time range after a lost answer has no id: asked by time range too.
    if (tasks.some((t) => t.localId)) return this.rangeStatus(tasks)
    if (tasks[0].op === 'prefetch') {
      const task = tasks.reduce((a, b) => ((this.cursors.get(b.id)?.readAt ?? -1) < (this.cursors.get(a.id)?.readAt ?? -1) ? b : a))
      return this.prefetchPage(task)
    }
    const out: ItemStatus[] = []
    for (const task of tasks) out.push(...(await this.purgeStatus(task)))
    return out
  }

  /** One status page of a task: its statuses (only this task's URLs), the total and the page size served. */
  private async readPage(task: Task, pageNo: number, pageSize: number): Promise<{ statuses: ItemStatus[]; count: number; served: number; entries: number }> {
    const what = `cdnetworks ${task.op} status of item ${shown(task.id)}${pageNo === 1 ? '' : `, page ${pageNo}`}`
    const data = await this.call(task.op, PATHS[task.op].query, { itemId: task.id, pageNo, pageSize }, what)
    const listed = integer(field(data, 'count'))
    const detail = field(data, 'resultDetail') ?? (listed === 0 ? [] : undefined)
    if (listed === null || !Array.isArray(detail)) throw new ProviderError(`${what}: answer has no count or resultDetail list`, true)
    const ours = new Map(task.items.map((item) => [urlKey(item.url), item.url]))
    const statuses: ItemStatus[] = []
    for (const raw of detail) {
      const entry = asRecord(raw)
      const url = entry ? ours.get(urlKey(text(field(entry, 'url')))) : undefined
      if (!entry || url === undefined) continue // not one of this task's URLs
      const word = text(field(entry, 'status'))
      statuses.push({ taskId: task.id, url, state: mapStatus(word), detail: word === '' ? 'no status' : shown(word) })
    }
    // The server may serve smaller pages than asked for; page numbers follow its size.
    return { statuses, count: listed, served: integer(field(data, 'pageSize')) || pageSize, entries: detail.length }
  }

  /** After a `page size error`: the documented default from now on. False when it was already in force. */
  private fallBack(err: unknown): boolean {
    if (!(err instanceof CdnetworksRefusal) || err.kind !== 'page-size' || this.pageSize === STATUS_DEFAULT_PAGE_SIZE) return false
    this.pageSize = STATUS_DEFAULT_PAGE_SIZE
    this.ctx.log(
      `cdnetworks: the server refused status pages of ${STATUS_PAGE_SIZE} entries; asking pages of ${STATUS_DEFAULT_PAGE_SIZE} (the documented default)`
    )
    return true
  }

  /**
   * Purge: every page of the task at once (its page count is known from the task), then
   * any the server's smaller pages leave. Pages answered are reported even when another
   * failed for a reason that may pass (those items stay pending for the next round).
   */
  private async purgeStatus(task: Task): Promise<ItemStatus[]> {
    for (;;) {
      const size = this.pageSize
      const out: ItemStatus[] = []
      const failed: unknown[] = []
      let served = size
      let count = 0
      let ended = false
      let read = 0
      const readPages = async (to: number): Promise<void> => {
        const pages = Array.from({ length: to - read }, (_, i) => read + 1 + i)
        for (const r of await Promise.allSettled(pages.map((pageNo) => this.readPage(task, pageNo, size)))) {
          if (r.status === 'rejected') {
            failed.push(r.reason)
            continue
          }
          out.push(...r.value.statuses)
          count = Math.max(count, r.value.count)
          served = Math.min(served, r.value.served)
          if (r.value.entries === 0) ended = true
        }
        read = to
      }
      await readPages(Math.min(MAX_STATUS_PAGES, Math.max(1, Math.ceil(task.items.length / size))))
      while (failed.length === 0 && !ended && read < Math.min(MAX_STATUS_PAGES, Math.ceil(count / served))) {
        await readPages(Math.min(MAX_STATUS_PAGES, Math.ceil(count / served)))
      }
      if (failed.some((err) => this.fallBack(err))) continue
      const fatal = failed.find((err) => !(err instanceof ProviderError) || !err.retryable)
      if (fatal !== undefined) throw fatal
      if (failed.length > 0 && out.length === 0) throw failed[0]
      if (failed.length > 0)
        this.ctx.log(
          `cdnetworks: ${(failed[0] as Error).message}; ${plural(failed.length, 'page')} of item ${shown(task.id)} ${failed.length === 1 ? 'is' : 'are'} asked again in the next round`
        )
      return out
    }
  }

  /**
   * Prefetch: one page per call. Pages whose entries were all final are skipped in later
   * passes; a pass that does not see every pending URL (the server listed them in another
   * order) makes the next pass read every page.
   */
  private async prefetchPage(task: Task): Promise<ItemStatus[]> {
    let cursor = this.cursors.get(task.id)
    if (!cursor || cursor.pageSize > this.pageSize) {
      cursor = { pageSize: this.pageSize, next: 1, pages: null, finalPages: new Set(), seen: new Set(), final: cursor?.final ?? new Set(), readAt: 0 }
      this.cursors.set(task.id, cursor)
    }
    const c = cursor
    const endPass = (): void => {
      const unseen = task.items.some((item) => !c.final.has(urlKey(item.url)) && !c.seen.has(urlKey(item.url)))
      if (unseen) c.finalPages.clear()
      c.seen.clear()
      c.next = 1
    }
    const skip = (): void => {
      while (c.pages !== null && c.next <= c.pages && c.finalPages.has(c.next)) c.next++
      if (c.pages !== null && c.next > c.pages) {
        endPass()
        while (c.next <= c.pages && c.finalPages.has(c.next)) c.next++
        if (c.next > c.pages) {
          c.finalPages.clear()
          c.next = 1
        }
      }
    }
    skip()
    const pageNo = c.next
    c.readAt = this.ctx.now()
    let page: Awaited<ReturnType<CdnetworksClient['readPage']>>
    try {
      page = await this.readPage(task, pageNo, c.pageSize)
    } catch (err) {
      // Every page is a call: the smaller page is asked in the next round, not at once.
      if (this.fallBack(err)) throw new ProviderError(`${(err as Error).message}; asking pages of ${STATUS_DEFAULT_PAGE_SIZE} from the next round`, true)
      throw err
    }
    if (page.served !== c.pageSize) {
      // Numbering follows the size served from here on; pages read at the old size no longer line up.
      c.pageSize = page.served
      c.finalPages.clear()
      c.seen.clear()
    }
    const pages = Math.max(1, Math.ceil(page.count / c.pageSize))
    if (c.pages !== null && pages !== c.pages) c.finalPages.clear()
    c.pages = pages
    for (const s of page.statuses) {
      const key = urlKey(s.url)
      c.seen.add(key)
      if (s.state !== 'pending') c.final.add(key)
    }
    if (page.statuses.length > 0 && page.statuses.every((s) => s.state !== 'pending')) c.finalPages.add(pageNo)
    else c.finalPages.delete(pageNo)
    c.next = pageNo + 1
    if (page.entries === 0 || c.next > pages) endPass()
    return page.statuses
  }
}

/** Either pair, or both (AK/SK is then used). */
export interface CdnetworksSettings {
  username: string
  apiKey: string
  accessKey: string
  secretKey: string
}

export const cdnetworks: ProviderDefinition<CdnetworksSettings> = {
  name: 'cdnetworks',
  defaultEndpoint: 'https://api.cdnetworks.com',
  limits,
  inputs: [
    { name: 'username', secret: false },
    { name: 'api-key', secret: true },
    { name: 'access-key', secret: false },
    { name: 'secret-key', secret: true }
  ],
  readSettings(read) {
    const c: CdnetworksSettings = { username: read('username'), apiKey: read('api-key'), accessKey: read('access-key'), secretKey: read('secret-key') }
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
    if (c.username !== '' || c.accessKey !== '') return c
    throw new InputError(
      'username',
      'cdnetworks needs username and api-key (API-key auth), or access-key and secret-key (AK/SK auth); store the key as a repository secret and pass it as api-key: ${{ secrets.CDNETWORKS_API_KEY }}'
    )
  },
  create: (ctx, settings) => new CdnetworksClient(ctx, settings)
}
