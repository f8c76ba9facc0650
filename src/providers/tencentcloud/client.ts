import { shown } from '../../external.js'
import { HttpError, parseJsonBody, type HttpResponse } from '../../http/transport.js'
import type { ItemKind, Operation } from '../../model.js'
import { count } from '../../text.js'
import {
  asRecord,
  backoffMs,
  normalizeUrl,
  checkTaskId,
  pauseBeforeRetry,
  stateOf,
  ProviderError,
  transportError,
  UrlQuotaShortError,
  type Batch,
  type CdnProvider,
  type ItemStatus,
  type ItemStatusState,
  type PlanNeeds,
  type ProviderContext,
  type ProviderLimits,
  type Task
} from '../provider.js'
import { tc3Sign } from './signer.js'

/** Tencent Cloud CDN API 2018-06-06 (providers-next.md §2). */
export const TENCENT_VERSION = '2018-06-06'
export const TENCENT_SERVICE = 'cdn'
export const TENCENT_DEFAULT_ENDPOINT = 'https://cdn.tencentcloudapi.com'
/** The environment variables the vendor's own tools read (issue 12). */
export const TENCENT_ENV = { secretId: 'TENCENTCLOUD_SECRET_ID', secretKey: 'TENCENTCLOUD_SECRET_KEY', sessionToken: 'TENCENTCLOUD_SESSION_TOKEN' } as const

/** The SecretId (`access-key`), the SecretKey and, for temporary credentials, the session token sent as X-TC-Token ('' = none). */
export interface TencentSettings {
  accessKey: string
  secretKey: string
  sessionToken: string
}

/**
 * What the API allows (§2 "Limits"):
 * - Per call: 1,000 purge URLs, 500 purge directories (`dirsPerCall`), 500 prefetch URLs.
 * - One kind per call (URLs and directories are separate actions); any hosts in one call.
 * - 20 requests/s per action: 50 ms between calls of one action.
 * - Status is asked by time range and paged (one row per URL), so one call covers many tasks.
 */
export const limits: ProviderLimits = {
  itemsPerCall: { purge: 1000, prefetch: 500 },
  dirsPerCall: 500,
  oneHostPerCall: false,
  mixedKindsPerCall: false,
  directories: true,
  statusIdsPerCall: { purge: 100, prefetch: 100 },
  defaultPollSeconds: { purge: 10, prefetch: 30 },
  minSubmitIntervalMs: { purge: 50, prefetch: 50 },
  minStatusIntervalMs: { purge: 50, prefetch: 50 },
  defaultConcurrency: 4
}

/**
 * Rows asked per Describe*Tasks page (one row per URL). The real maximum is not stated (§6), so
 * the client asks 1,000 (one page for 1,000 URLs) and follows the rows actually answered: a
 * server that caps the page lower is paged on; one that refuses the Limit gets the fallback.
 */
export const TENCENT_PAGE_LIMIT = 1000
/** Rows a page after Tencent refused TENCENT_PAGE_LIMIT as a parameter (the SDK default is 20). */
export const TENCENT_FALLBACK_PAGE_LIMIT = 100
/** Calls in all for a throttled request (the first included), pausing 1 s, 2 s, 4 s between. */
export const TENCENT_MAX_ATTEMPTS = 4
const MAX_PAGES = 100
const PAGE_SPACING_MS = 50
/** Server clocks within 5 minutes of ours are accepted (§2), so time windows get that much slack. */
const SKEW_MS = 5 * 60_000
/** The Describe*Tasks times are China time (UTC+8) (inferred; §2 is silent). */
const CHINA_OFFSET_MS = 8 * 3_600_000

/** §2 "Errors": throttled. */
const THROTTLED = new Set([
  'RequestLimitExceeded',
  'RequestLimitExceeded.UinLimitExceeded',
  'RequestLimitExceeded.IPLimitExceeded',
  'RequestLimitExceeded.GlobalRegionUinLimitExceeded',
  'UnauthorizedOperation.OperationTooOften',
  'LimitExceeded.CdnHostOpTooOften'
])

type Json = Record<string, unknown>

export function chinaTime(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}

function parseChinaTime(text: unknown): number | null {
  if (typeof text !== 'string') return null
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim())
  if (!m) return null
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - CHINA_OFFSET_MS
}

/**
 * The key a row's `Url` and a batch item are matched on. §2 does not say how Describe*Tasks spell
 * a URL back (as sent, decoded, hex case), so both sides are decoded where that keeps the
 * resource (`decodeURI` leaves `%2F`, `%3F`, `%23` and the like), re-encoded by the URL parser,
 * and the escapes left are upper-cased.
 */
export function urlKey(url: string): string {
  let text = url
  try {
    text = decodeURI(url)
  } catch {
    // a malformed escape: compared as it is
  }
  return normalizeUrl(text).replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase())
}

/** done → success; fail, invalid (prefetch: the origin answered 4xx/5xx) → failure; process → pending (§0). */
function mapStatus(word: string): ItemStatusState | null {
  switch (word) {
    case 'done':
      return 'success'
    case 'fail':
    case 'invalid':
      return 'failure'
    case 'process':
      return 'pending'
    default:
      return null
  }
}

const SUBMIT_ACTION = { url: 'PurgeUrlsCache', dir: 'PurgePathCache', prefetch: 'PushUrlsCache' } as const
const statusAction = (op: Operation): string => (op === 'purge' ? 'DescribePurgeTasks' : 'DescribePushTasks')
const logsField = (op: Operation): string => (op === 'purge' ? 'PurgeLogs' : 'PushLogs')

/** One row of DescribePurgeQuota / DescribePushQuota (§2 "Operations"). */
export interface TencentQuota {
  batch: number
  total: number
  available: number
  area: string
}

/** What a run needs of a quota: so many items of one operation and kind. */
export interface TencentNeed {
  op: Operation
  kind: ItemKind
  count: number
}

export class TencentClient implements CdnProvider {
  readonly name = 'tencentcloud'
  readonly limits = limits
  private readonly masked = new Set<string>()
  private readonly unknownWords = new Set<string>()
  /** Rows asked per status page; lowered once for the run when Tencent refuses it. */
  private pageLimit = TENCENT_PAGE_LIMIT

  constructor(
    private readonly ctx: ProviderContext,
    private readonly settings: TencentSettings
  ) {
    if (settings.sessionToken !== '') this.mask(settings.sessionToken)
  }

  private get url(): string {
    return this.ctx.endpoint.replace(/\/+$/, '') + '/'
  }

  private mask(secret: string): void {
    if (!this.masked.has(secret)) {
      this.masked.add(secret)
      this.ctx.mask(secret)
    }
  }

  /** Removes anything secret an answer could echo (a signature, the SecretKey, the token). */
  private scrub(text: string): string {
    let out = text.replace(/\b[0-9a-fA-F]{64}\b/g, '***')
    for (const secret of [this.settings.secretKey, this.settings.sessionToken]) if (secret !== '') out = out.split(secret).join('***')
    return shown(out.trim().replace(/\s+/g, ' '))
  }

  /** The error for `Response.Error`; each names what the user can change (§2 "Errors"). */
  private codeError(what: string, action: string, code: string, message: string, idempotent: boolean, attempts: number): ProviderError {
    const said = message === '' ? code : `${code}: ${message}`
    const quota = /ExceedDayLimit$/.test(code)
    const batchLimit = /ExceedBatchLimit$/.test(code)
    if (THROTTLED.has(code)) {
      return new ProviderError(
        `${what}: Tencent Cloud throttled it after ${count(attempts, 'attempt')} (${said}); the API takes 20 requests/s per action`,
        true
      )
    }
    switch (code) {
      case 'AuthFailure.SignatureFailure':
        return new ProviderError(
          `${what}: Tencent Cloud rejected the signature (${said}); check the secret-key input (the SecretKey of the SecretId in access-key)`
        )
      case 'AuthFailure.SignatureExpire':
        return new ProviderError(`${what}: Tencent Cloud says the request time is more than 5 minutes off its clock (${said}); check the runner's clock`)
      case 'AuthFailure.SecretIdNotFound':
      case 'AuthFailure.InvalidSecretId':
        return new ProviderError(`${what}: Tencent Cloud does not know this SecretId (${said}); check the access-key input (the SecretId, AKID…)`)
      case 'AuthFailure.InvalidAuthorization':
        return new ProviderError(
          `${what}: Tencent Cloud could not read the Authorization header (${said}); check the endpoint input (a proxy may alter headers)`
        )
      case 'AuthFailure.TokenFailure':
        return new ProviderError(
          `${what}: Tencent Cloud rejected the session token (${said}); temporary credentials need ${TENCENT_ENV.sessionToken} and expire: issue fresh ones`
        )
      case 'AuthFailure.UnauthorizedOperation':
      case 'UnauthorizedOperation.CdnCamUnauthorized':
        return new ProviderError(
          `${what}: CAM denied the call (${said}); grant the key's user cdn:PurgeUrlsCache, cdn:PurgePathCache, cdn:PushUrlsCache, cdn:DescribePurgeTasks, cdn:DescribePushTasks, cdn:DescribePurgeQuota and cdn:DescribePushQuota`
        )
      case 'UnauthorizedOperation.CdnHostUnauthorized':
        return new ProviderError(`${what}: CAM does not allow this key on the domain (${said}); add the domain to the key's CAM policy`)
      case 'ResourceNotFound.CdnHostNotExists':
        return new ProviderError(`${what}: the domain is not a CDN domain of this Tencent Cloud account (${said}); check the URLs and the access-key input`)
      case 'ResourceUnavailable.CdnHostIsNotOnline':
        return new ProviderError(`${what}: the domain is offline in Tencent Cloud CDN (${said}); enable it in the console first`)
      // Codes the SDK lists for these actions (tencentcloud-sdk-go cdn/v20180606 errors.go).
      case 'ResourceUnavailable.CdnHostIsLocked':
        return new ProviderError(`${what}: the domain is locked in Tencent Cloud CDN (${said}); see the CDN console or ask Tencent Cloud`)
      case 'ResourceNotFound.CdnUserNotExists':
      case 'UnauthorizedOperation.CdnUserIsSuspended':
        return new ProviderError(`${what}: the CDN service of this Tencent Cloud account is not active (${said}); check the account and the access-key input`)
      case 'InvalidAction':
      case 'NoSuchVersion':
        return new ProviderError(`${what}: the API at this endpoint does not offer the action (${said}); check the endpoint input`)
    }
    if (quota) return new ProviderError(`${what}: a daily quota of Tencent Cloud CDN is used up (${said}); it resets the next day (China time)`)
    if (batchLimit) return new ProviderError(`${what}: more items than Tencent Cloud takes in one call (${said})`)
    if (code.startsWith('InvalidParameter') || code === 'MissingParameter' || code === 'UnknownParameter') {
      // No Area is sent: a prefetch goes to mainland China, where its domains must be accelerated (SDK PushUrlsCacheRequest.Area).
      const area = action === SUBMIT_ACTION.prefetch ? '; a prefetch goes to mainland China only, so its domains must be accelerated there' : ''
      return new ProviderError(`${what}: Tencent Cloud refused a parameter (${said}); check the URLs (scheme, length, no wildcards)${area}`)
    }
    // InternalError: worth asking again; a submit may have made a task. Any other code is a refusal.
    const internal = code.startsWith('InternalError')
    return new ProviderError(`${what} failed: ${said}`, internal, internal && !idempotent)
  }

  /** Signs and sends one action; returns `Response` without Error. Throttling is retried here. */
  async call(action: string, params: Json, what: string, idempotent: boolean): Promise<Json> {
    const { accessKey: secretId, secretKey } = this.settings
    const host = new URL(this.url).host
    const body = JSON.stringify(params)
    for (let attempt = 1; ; attempt++) {
      const timestamp = Math.floor(this.ctx.now() / 1000)
      const signed = tc3Sign({ secretId, secretKey, service: TENCENT_SERVICE, host, timestamp, contentType: 'application/json', body, action })
      this.mask(signed.signature)
      this.mask(signed.authorization)
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Authorization: signed.authorization,
        'X-TC-Action': action,
        'X-TC-Version': TENCENT_VERSION,
        'X-TC-Timestamp': String(timestamp)
      }
      if (this.settings.sessionToken) headers['X-TC-Token'] = this.settings.sessionToken
      let res: HttpResponse
      try {
        res = await this.ctx.request({ method: 'POST', url: this.url, headers, body, idempotent })
      } catch (err) {
        if (err instanceof HttpError) throw transportError(err, what, idempotent)
        throw err
      }
      if (res.status < 200 || res.status >= 300) {
        // Processed requests are HTTP 200 (§2 "Errors"); anything else came from elsewhere.
        const maybeActed = !idempotent && res.status >= 500 && res.status !== 503
        throw new ProviderError(`${what} failed: HTTP ${res.status} (${res.text.length} bytes)`, res.status === 429 || res.status >= 500, maybeActed)
      }
      let response: Json | null
      try {
        response = asRecord(asRecord(parseJsonBody(res, what))?.Response)
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        throw new ProviderError(`${err.message}${idempotent ? '' : '; Tencent Cloud may or may not have accepted it'}`, idempotent, !idempotent)
      }
      if (response === null) {
        throw new ProviderError(
          `${what}: answer has no Response (HTTP ${res.status})${idempotent ? '' : '; Tencent Cloud may or may not have accepted it'}`,
          idempotent,
          !idempotent
        )
      }
      const error = asRecord(response.Error)
      if (error === null) return response
      const code = typeof error.Code === 'string' ? shown(error.Code, 120) : ''
      const message = typeof error.Message === 'string' ? this.scrub(error.Message) : ''
      if (THROTTLED.has(code) && attempt < TENCENT_MAX_ATTEMPTS) {
        await pauseBeforeRetry(this.ctx, `tencentcloud: ${action} throttled (${code})`, backoffMs(attempt), attempt, TENCENT_MAX_ATTEMPTS)
        continue
      }
      throw Object.assign(this.codeError(what, action, code, message, idempotent, attempt), { code })
    }
  }

  private whatOf(batch: Batch): string {
    const kind = batch.items[0]?.kind ?? 'url'
    const n = batch.items.length
    return `tencentcloud ${batch.op} of ${kind === 'dir' ? count(n, 'directory', 'directories') : count(n, 'URL')}`
  }

  async submit(batch: Batch): Promise<Task> {
    const what = this.whatOf(batch)
    const kind = batch.items[0]?.kind ?? 'url'
    if (batch.items.length === 0) throw new ProviderError(`${what}: nothing to send`)
    if (batch.items.some((i) => i.kind !== kind)) throw new ProviderError(`${what}: URLs and directories need separate calls`)
    if (batch.op === 'prefetch' && kind === 'dir') throw new ProviderError(`${what}: Tencent Cloud cannot prefetch directories`)
    const urls = batch.items.map((i) => i.url)
    let action: string
    let params: Json
    if (batch.op === 'prefetch') [action, params] = [SUBMIT_ACTION.prefetch, { Urls: urls }]
    // FlushType `delete` purges everything under the directory; `flush` only what changed at the origin (§2): delete is the safe reading.
    else if (kind === 'dir') [action, params] = [SUBMIT_ACTION.dir, { Paths: urls, FlushType: 'delete' }]
    else [action, params] = [SUBMIT_ACTION.url, { Urls: urls }]
    const data = await this.call(action, params, what, false)
    const id = typeof data.TaskId === 'string' ? data.TaskId : ''
    if (id === '') throw new ProviderError(`${what}: answer has no TaskId; Tencent Cloud may or may not have accepted it`, false, true)
    return { id: checkTaskId(id, what), op: batch.op, items: batch.items, submittedAt: this.ctx.now() }
  }

  /** Reads Describe*Tasks pages of `params` until `enough` says so or the list ends. */
  private async rows(op: Operation, params: Json, what: string, enough: (rows: Json[]) => boolean): Promise<Json[]> {
    const out: Json[] = []
    let offset = 0
    for (let page = 1; page <= MAX_PAGES; page++) {
      // Pages of one call keep to 20 requests/s per action (§2 "Limits"); the engine spaces the rest.
      if (page > 1) await this.ctx.sleep(PAGE_SPACING_MS)
      let data: Json
      try {
        data = await this.call(statusAction(op), { ...params, Offset: offset, Limit: this.pageLimit }, what, true)
      } catch (err) {
        // A refused parameter of a query that is otherwise well-formed: the page size (its maximum is not stated, §6).
        const code = (err as { code?: unknown }).code
        if (this.pageLimit <= TENCENT_FALLBACK_PAGE_LIMIT || typeof code !== 'string' || !code.startsWith('InvalidParameter')) throw err
        this.ctx.log(
          `tencentcloud: ${statusAction(op)} refused Limit ${this.pageLimit} (${code}); asking ${TENCENT_FALLBACK_PAGE_LIMIT} rows a page from now on`
        )
        this.pageLimit = TENCENT_FALLBACK_PAGE_LIMIT
        page--
        continue
      }
      const raw = data[logsField(op)]
      const list = raw === undefined || raw === null ? [] : raw
      if (!Array.isArray(list)) throw new ProviderError(`${what}: answer has no ${logsField(op)}`, true)
      for (const entry of list) {
        const row = asRecord(entry)
        if (row) out.push(row)
      }
      const total = typeof data.TotalCount === 'number' ? data.TotalCount : offset + list.length
      offset += list.length
      const done = enough(out)
      if (list.length === 0 || offset >= total || done) break
    }
    return out
  }

  /**
   * After an ambiguous submit: the rows of the batch's first URL since `since` (Keyword =
   * that URL, §2 "Idempotency"), then each candidate task read whole by TaskId; the newest
   * one holding exactly the batch's URLs and created at or after the second it was sent is it (an
   * earlier run's task for the same URLs is not ours; a server clock behind ours makes it a resend).
   */
  async findSubmitted(batch: Batch, since: number): Promise<Task | null> {
    const what = `tencentcloud ${batch.op} task lookup`
    const first = batch.items[0]?.url
    if (first === undefined) return null
    const wanted = new Set(batch.items.map((i) => urlKey(i.url)))
    const params: Json = {
      // Wide enough whatever zone the server reads it in (UTC or UTC+8); CreateTime decides below.
      StartTime: chinaTime(since - SKEW_MS - CHINA_OFFSET_MS),
      EndTime: chinaTime(this.ctx.now() + SKEW_MS),
      Keyword: first
    }
    if (batch.op === 'purge') params.PurgeType = batch.items[0].kind === 'dir' ? 'path' : 'url'
    const hits = await this.rows(batch.op, params, what, () => false)
    const candidates = new Map<string, number>()
    for (const row of hits) {
      const created = parseChinaTime(row.CreateTime)
      if (typeof row.TaskId === 'string' && created !== null && created >= Math.floor(since / 1000) * 1000) candidates.set(row.TaskId, created)
    }
    for (const [id] of [...candidates].sort((a, b) => b[1] - a[1])) {
      const rows = await this.rows(batch.op, { TaskId: id }, what, () => false)
      const urls = new Set(rows.map((r) => (typeof r.Url === 'string' ? urlKey(r.Url) : '')))
      if (urls.size === wanted.size && [...urls].every((u) => wanted.has(u))) {
        return { id: checkTaskId(id, what), op: batch.op, items: batch.items, submittedAt: since }
      }
    }
    return null
  }

  /**
   * All `tasks` (one operation) in few calls: one task by TaskId; several by one time range
   * (from the first submit, less clock slack, to now) read page by page until every task's
   * rows are in. A task the range did not list whole (another time zone, a short look-back,
   * the page cap) is then asked for by TaskId.
   */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    if (tasks.length === 0) return []
    const op = tasks[0].op
    const what = `tencentcloud ${op} status of ${count(tasks.length, 'task')}`
    // Rows by task, then by URL key: a row a shifting page lists twice counts once.
    const wanted = new Map(tasks.map((t) => [t.id, t.items.map((i) => urlKey(i.url))]))
    const byTask = new Map<string, Map<string, Json>>()
    const add = (rows: Json[]) => {
      for (const row of rows) {
        if (typeof row.TaskId !== 'string' || !wanted.has(row.TaskId) || typeof row.Url !== 'string') continue
        const list = byTask.get(row.TaskId) ?? new Map<string, Json>()
        list.set(urlKey(row.Url), row)
        byTask.set(row.TaskId, list)
      }
    }
    /** Every URL of the task has its row. */
    const whole = (id: string) => wanted.get(id)!.every((key) => byTask.get(id)?.has(key) ?? false)
    if (tasks.length > 1) {
      const first = Math.min(...tasks.map((t) => t.submittedAt))
      const params: Json = { StartTime: chinaTime(first - SKEW_MS), EndTime: chinaTime(this.ctx.now() + SKEW_MS) }
      const kinds = new Set(tasks.flatMap((t) => t.items.map((i) => i.kind)))
      if (op === 'purge' && kinds.size === 1) params.PurgeType = kinds.has('dir') ? 'path' : 'url'
      await this.rows(op, params, what, (rows) => {
        add(rows.splice(0))
        return tasks.every((t) => whole(t.id))
      })
    }
    for (const task of tasks) {
      if (whole(task.id)) continue
      byTask.delete(task.id)
      await this.rows(op, { TaskId: task.id }, what, (rows) => {
        add(rows.splice(0))
        return whole(task.id)
      })
    }

    const out: ItemStatus[] = []
    for (const task of tasks) {
      const rows = byTask.get(task.id) ?? new Map<string, Json>()
      for (const item of task.items) {
        const row = rows.get(urlKey(item.url))
        const word = typeof row?.Status === 'string' ? row.Status : ''
        if (row === undefined || word === '') {
          out.push({ taskId: task.id, url: item.url, state: 'pending', detail: `not listed by ${statusAction(op)} yet` })
          continue
        }
        const state = stateOf(word, mapStatus, this.unknownWords, this.ctx.log, 'tencentcloud: unknown status')
        // A progress figure only for `process` (a word taken as pending shows none).
        const percent = op === 'prefetch' && typeof row.Percent === 'number' && mapStatus(word) === 'pending' ? ` ${row.Percent}%` : ''
        out.push({ taskId: task.id, url: item.url, state, detail: `${shown(word, 40)}${percent}` })
      }
    }
    return out
  }

  /** The quota rows of an operation and kind (DescribePurgeQuota / DescribePushQuota): one call. */
  async quotas(op: Operation, kind: ItemKind = 'url'): Promise<TencentQuota[]> {
    return quotaRows(await this.quotaAnswer(op), op, kind)
  }

  private quotaAnswer(op: Operation): Promise<Json> {
    return this.call(op === 'purge' ? 'DescribePurgeQuota' : 'DescribePushQuota', {}, `tencentcloud ${op} quota`, true)
  }

  /** The seam's pre-flight: each operation and kind the run sends, against today's quota left. */
  async preflight(needs: PlanNeeds): Promise<void> {
    await this.checkQuotas([
      { op: 'purge', kind: 'url', count: needs.purgeUrls },
      { op: 'purge', kind: 'dir', count: needs.purgeDirs },
      { op: 'prefetch', kind: 'url', count: needs.prefetchUrls }
    ])
  }

  /**
   * Pre-flight: throws (before anything is sent) when a need exceeds what remains of today's
   * quota, naming quota, area, need and what remains; one Describe*Quota call per operation,
   * none for a need of zero. Quotas are per area (§2 "Limits"). No `Area` is sent, so a purge
   * goes to each domain's own area, which the client does not know: it must fit every area the
   * answer lists (the smallest `Available` decides). A prefetch without `Area` goes to mainland
   * (§2 PushUrlsCache default): it must fit mainland's row, or every row when none is mainland.
   */
  async checkQuotas(needs: TencentNeed[]): Promise<void> {
    const answers = new Map<Operation, Json>()
    for (const need of needs) {
      if (need.count <= 0) continue
      if (!answers.has(need.op)) answers.set(need.op, await this.quotaAnswer(need.op))
      const rows = quotaRows(answers.get(need.op)!, need.op, need.kind).filter((q) => Number.isFinite(q.available))
      const mainland = rows.filter((q) => q.area === 'mainland')
      const areas = need.op === 'prefetch' && mainland.length > 0 ? mainland : rows
      const name = need.op === 'prefetch' ? 'prefetch (UrlPush)' : need.kind === 'dir' ? 'directory purge (PathPurge)' : 'URL purge (UrlPurge)'
      if (areas.length === 0) {
        this.ctx.log(`tencentcloud: the quota answer has no ${name} row; not checked`)
        continue
      }
      // §2 "Limits": real per-call limits differ per account, so `Batch` is read, not assumed.
      // `this.limits` is the run's (with batch-size); a call larger than `Batch` would be refused.
      const perCall = Math.min(
        need.count,
        need.kind === 'dir' ? Math.min(this.limits.itemsPerCall.purge, this.limits.dirsPerCall ?? Infinity) : this.limits.itemsPerCall[need.op]
      )
      const batch = Math.min(...areas.map((q) => (Number.isFinite(q.batch) && q.batch > 0 ? q.batch : Infinity)))
      if (perCall > batch) {
        throw new ProviderError(
          `tencentcloud: this account takes at most ${batch} per ${name} call (Batch in the quota answer), and the run would send ${perCall} in one; nothing was sent. Set batch-size: ${batch}`
        )
      }
      const short = areas.reduce((a, b) => (b.available < a.available ? b : a))
      if (need.count > short.available) {
        const why =
          need.op === 'purge' && areas.length > 1 ? " (a purge goes to its domain's own area, which the action does not know, so every area must cover it)" : ''
        const todo = need.op === 'purge' && need.kind === 'url' ? 'Purge directories instead (dir-threshold), wait' : 'Wait'
        const message = `tencentcloud: the daily ${name} quota of ${short.area === '' ? 'the account' : shown(short.area, 20)} has ${short.available} of ${short.total} left, and this run needs ${need.count}${why}; nothing was sent. ${todo} for the reset (midnight China time) or ask Tencent Cloud to raise the quota`
        throw need.op === 'purge' && need.kind === 'url' ? new UrlQuotaShortError(message, short.available) : new ProviderError(message)
      }
    }
  }
}

/** A number as answered; anything else (null, a string) is NaN, so it is never taken for 0. */
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN)

/** The rows of one quota in a Describe*Quota answer (§2 "Operations": `{Batch, Total, Available, Area}`). */
function quotaRows(data: Json, op: Operation, kind: ItemKind): TencentQuota[] {
  const field = op === 'prefetch' ? 'UrlPush' : kind === 'dir' ? 'PathPurge' : 'UrlPurge'
  const list = Array.isArray(data[field]) ? (data[field] as unknown[]) : []
  return list
    .map(asRecord)
    .filter((q): q is Json => q !== null)
    .map((q) => ({ batch: num(q.Batch), total: num(q.Total), available: num(q.Available), area: typeof q.Area === 'string' ? q.Area : '' }))
}
