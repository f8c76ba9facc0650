import { randomUUID } from 'node:crypto'
import { shown } from '../../external.js'
import { HttpError, parseJsonBody, parseRetryAfter, type HttpResponse } from '../../http/transport.js'
import type { Operation } from '../../model.js'
import { hostOf } from '../../engine/host.js'
import { count } from '../../text.js'
import {
  asRecord,
  backoffMs,
  normalizeUrl,
  checkTaskId,
  idOf,
  numberOf,
  pauseBeforeRetry,
  stateOf,
  ProviderError,
  transportError,
  UrlQuotaShortError,
  type Batch,
  type BatchItem,
  type CdnProvider,
  type ItemStatus,
  type ItemStatusState,
  type PlanNeeds,
  type ProviderContext,
  type ProviderLimits,
  type Task
} from '../provider.js'
import { percentEncode, rpcSignature } from './signer.js'

/** The AccessKey pair and, for STS credentials, the security token ('' = none). */
export interface AliyunSettings {
  accessKey: string
  secretKey: string
  securityToken: string
}

/** providers-next.md §1 per-call limits (current pages). */
export const ALIYUN_URLS_PER_CALL = 1000
export const ALIYUN_DIRS_PER_CALL = 100
export const ALIYUN_PREFETCH_PER_CALL = 100
/** §1 Operations: each PushObjectCache path ≤ 1,024 characters. */
export const ALIYUN_PREFETCH_PATH_CHARS = 1024
/** §1: all paths of one call belong to at most 10 domains. */
export const ALIYUN_DOMAINS_PER_CALL = 10
/** §1: DescribeRefreshTaskById takes up to 10 ids. */
export const ALIYUN_IDS_PER_STATUS_CALL = 10
/** Throttled calls are tried this many times in all, pausing 1, 2, 4 s. */
export const ALIYUN_MAX_ATTEMPTS = 4
/** DescribeRefreshTasks pages read by one look-up (100 entries each). */
const MAX_LOOKUP_PAGES = 50

/**
 * What the CDN API allows (providers-next.md §1):
 * - 1,000 URLs or 100 directories per refresh call, 100 URLs per prefetch call, 10 domains a
 *   call (submit still splits a batch given to it directly that breaks these).
 * - One ObjectType per call, so kinds do not mix.
 * - DescribeRefreshTaskById: 10 ids per call (a task may carry several ids, see submit).
 * - Refresh takes ~5–6 minutes; prefetch longer.
 * - 4 submits at a time: 1,000 URLs a call and a per-minute per-domain limit of 10,000
 *   (older pages: 1,000) make more pointless (inferred).
 */
export const aliyunLimits: ProviderLimits = {
  itemsPerCall: { purge: ALIYUN_URLS_PER_CALL, prefetch: ALIYUN_PREFETCH_PER_CALL },
  oneHostPerCall: false,
  hostsPerCall: ALIYUN_DOMAINS_PER_CALL,
  mixedKindsPerCall: false,
  directories: true,
  dirsPerCall: ALIYUN_DIRS_PER_CALL,
  statusIdsPerCall: { purge: ALIYUN_IDS_PER_STATUS_CALL, prefetch: ALIYUN_IDS_PER_STATUS_CALL },
  defaultPollSeconds: { purge: 15, prefetch: 30 },
  defaultConcurrency: 4
}

/** Codes that mean "slow down": retried in place, then retryable (§1 Errors). */
const THROTTLE_CODES = new Set([
  'Throttling',
  'Throttling.User',
  'Throttling.Api',
  'TooManyRequests',
  'ServiceUnavailable',
  'QuotaPerMinuteExceeded.Refresh',
  'TooMany.Refresh'
])

const PER_MINUTE_CODES = new Set(['QuotaPerMinuteExceeded.Refresh', 'TooMany.Refresh'])

/** §0 status mapping: Refreshing/Pending pending, Complete success, Failed failure; others pending. */
export function mapAliyunStatus(word: string): ItemStatusState | null {
  switch (word) {
    case 'Complete':
      return 'success'
    case 'Failed':
      return 'failure'
    case 'Refreshing':
    case 'Pending':
      return 'pending'
    default:
      return null
  }
}

/** What a run needs from today's quotas. */
export interface AliyunQuotaNeed {
  urls: number
  dirs: number
  prefetch: number
}

/** One quota from DescribeRefreshQuota. */
export interface AliyunQuotaLine {
  name: 'UrlQuota' | 'DirQuota' | 'PreloadQuota'
  quota: number
  remain: number
  need: number
}

const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** An Alibaba Cloud CDN client: one instance per run. */
export class AliyunClient implements CdnProvider {
  readonly name = 'aliyun'
  readonly limits = aliyunLimits
  private readonly unknownWords = new Set<string>()

  constructor(
    private readonly ctx: ProviderContext,
    private readonly settings: AliyunSettings
  ) {
    if (settings.securityToken) ctx.mask(settings.securityToken)
  }

  private get url(): string {
    return this.ctx.endpoint.replace(/\/+$/, '') + '/'
  }

  /** Removes the secret, token and any signature-like text a server message could echo. */
  private scrub(text: string): string {
    let out = text
    const { secretKey, securityToken } = this.settings
    for (const secret of [secretKey, securityToken]) if (secret.length >= 4) out = out.split(secret).join('***')
    out = out.replace(/[A-Za-z0-9+/]{27}=/g, '***').replace(/\b[0-9a-f]{64}\b/g, '***')
    return shown(out.trim().replace(/\s+/g, ' '))
  }

  /** The message a user can act on, per §1's error classes. */
  private errorFor(what: string, status: number, code: string, message: string, attempts: number, idempotent: boolean): ProviderError {
    const said = `${code}${message ? `: ${this.scrub(message)}` : ''} (HTTP ${status})`
    const tries = attempts > 1 ? ` after ${attempts} attempts` : ''
    if (THROTTLE_CODES.has(code))
      return new ProviderError(`${what}: Alibaba Cloud is rate limiting this account${tries} (${said}); lower the concurrency input or try again later`, true)
    switch (code) {
      case 'SignatureDoesNotMatch':
      case 'IncompleteSignature':
        return new ProviderError(`${what}: Alibaba Cloud rejected the signature (${said}); check the secret-key input (the AccessKey secret of access-key)`)
      case 'InvalidAccessKeyId.NotFound':
        return new ProviderError(`${what}: Alibaba Cloud does not know this AccessKey ID (${said}); check the access-key input`)
      case 'InvalidAccessKeyId.Inactive':
        return new ProviderError(`${what}: this AccessKey is disabled (${said}); enable it in the RAM console or use another`)
      case 'InvalidTimeStamp.Expired':
      case 'InvalidTimeStamp.Format':
        return new ProviderError(`${what}: the runner's clock is more than 15 minutes off (${said}); fix the runner's time`)
      case 'SignatureNonceUsed':
        return new ProviderError(`${what}: ${said}`, true)
      case 'InvalidSecurityToken.Expired':
      case 'InvalidSecurityToken.Mismatch':
      case 'InvalidSecurityToken.Malformed':
        return new ProviderError(
          `${what}: the STS security token was refused (${said}); issue fresh STS credentials (ALIBABA_CLOUD_SECURITY_TOKEN) for this run`
        )
      case 'Forbidden.RAM':
      case 'Forbidden':
        return new ProviderError(
          `${what}: the RAM user lacks permission (${said}); grant cdn:RefreshObjectCaches, cdn:PushObjectCache, cdn:DescribeRefreshTasks, cdn:DescribeRefreshTaskById and cdn:DescribeRefreshQuota`
        )
      case 'QuotaExceeded.Refresh':
        return new ProviderError(
          `${what}: today's refresh/prefetch quota is used up (${said}); it resets at midnight (UTC+8), or ask Alibaba Cloud to raise it`
        )
      case 'PreloadQueueFull':
        return new ProviderError(`${what}: the account's prefetch queue is full (${said}); try again once earlier prefetches finish`, true)
      case 'InvalidDomain.NotFound':
      case 'InvalidDomain.Offline':
        return new ProviderError(`${what}: a domain is not an online CDN domain of this account (${said}); check the URL prefixes in the config`)
      case 'InvalidObjectPath.Malformed':
      case 'InvalidObjectPath.Size.Malformed':
        return new ProviderError(
          `${what}: Alibaba Cloud refused a path (${said}); check the URLs the rules make: full http(s) URLs on the account's CDN domains, directories ending in /, prefetch URLs of at most 1,024 characters`
        )
      case 'InvalidExtensiveDomain.ValueNotSupported':
        return new ProviderError(
          `${what}: a URL is on a wildcard domain (${said}); Alibaba Cloud refreshes concrete host names only: use them in the URL templates`
        )
      case 'SingleRequest.OverLimit':
        return new ProviderError(`${what}: more paths in one call than this account may send (${said}); lower the batch-size input`)
      case 'ServiceBusy':
        return new ProviderError(`${what}: the domain is being configured (${said}); try again in a few minutes`, true)
      default: {
        // A 5xx other than 503 (e.g. InternalError) may have acted on a submit, as without a body.
        const maybe = !idempotent && status >= 500 && status !== 503
        return new ProviderError(`${what} failed${tries}: ${said}${maybe ? '; Alibaba Cloud may or may not have accepted it' : ''}`, status >= 500, maybe)
      }
    }
  }

  /** Waits before attempt `attempt + 1`: 1, 2, 4 s, or `atLeast` ms when longer (a minute for a per-minute limit, a Retry-After). */
  private pause(action: string, what: string, attempt: number, atLeast: number | null): Promise<void> {
    return pauseBeforeRetry(this.ctx, `aliyun: ${action} ${what}`, Math.max(backoffMs(attempt), atLeast ?? 0), attempt, ALIYUN_MAX_ATTEMPTS)
  }

  /**
   * Signs (RPC HMAC-SHA1) and POSTs one action as a form body; returns the JSON answer of
   * a 2xx. Each send is signed anew (§1: SignatureNonce unique per request), so the transport
   * sends once and what it would retry is retried here, after 1, 2, 4 s: throttling codes, a
   * bare 429/503, a request that never left, and for reads a 500/502/504 or a lost answer.
   * `idempotent`: asking again is harmless (reads).
   */
  async call(action: string, params: Record<string, string>, what: string, idempotent: boolean): Promise<Record<string, unknown>> {
    const { accessKey, secretKey, securityToken } = this.settings
    for (let attempt = 1; ; attempt++) {
      // A fresh nonce and time per attempt (§1: nonce unique per request, 15-minute window).
      const signed: Record<string, string> = {
        Action: action,
        Version: '2018-05-10',
        Format: 'JSON',
        AccessKeyId: accessKey,
        SignatureMethod: 'HMAC-SHA1',
        SignatureVersion: '1.0',
        SignatureNonce: randomUUID(),
        Timestamp: isoSeconds(this.ctx.now()),
        ...(securityToken ? { SecurityToken: securityToken } : {}),
        ...params
      }
      const signature = rpcSignature('POST', signed, secretKey)
      this.ctx.mask(signature)
      this.ctx.mask(percentEncode(signature))
      signed.Signature = signature
      const body = Object.entries(signed)
        .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
        .join('&')
      let res: HttpResponse
      try {
        res = await this.ctx.request({
          method: 'POST',
          url: this.url,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body,
          idempotent,
          maxAttempts: 1
        })
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        // What the transport would send again: a request that never left, or any read.
        if (err.status === null && (idempotent || !err.ambiguous) && attempt < ALIYUN_MAX_ATTEMPTS) {
          await this.pause(action, `failed in transport (${err.message})`, attempt, null)
          continue
        }
        throw transportError(err, what, idempotent)
      }
      let data: Record<string, unknown> | null = null
      try {
        data = asRecord(parseJsonBody(res, what))
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
      }
      const ok = res.status >= 200 && res.status < 300
      if (ok && data !== null && typeof data.Code !== 'string') return data
      const code = typeof data?.Code === 'string' ? data.Code : ''
      if (code === '') {
        // A bare 429/503 was not acted on; a read may be asked again after any 5xx the transport retries.
        const again = res.status === 429 || res.status === 503 || (idempotent && (res.status === 500 || res.status === 502 || res.status === 504))
        if (again && attempt < ALIYUN_MAX_ATTEMPTS) {
          await this.pause(action, `answered HTTP ${res.status}`, attempt, parseRetryAfter(res.header('retry-after'), this.ctx.now()))
          continue
        }
        // No vendor error body: a 5xx other than 503 may have acted on a submit.
        const maybe = !idempotent && (ok || (res.status >= 500 && res.status !== 503))
        const tail = maybe ? '; Alibaba Cloud may or may not have accepted it' : ''
        throw new ProviderError(
          `${what}: unexpected answer (HTTP ${res.status}, ${res.text.length} bytes)${tail}`,
          idempotent || res.status >= 500 || res.status === 429,
          maybe
        )
      }
      const message = typeof data?.Message === 'string' ? data.Message : ''
      if ((THROTTLE_CODES.has(code) || code === 'SignatureNonceUsed') && attempt < ALIYUN_MAX_ATTEMPTS) {
        // A per-minute limit clears only when the minute turns (§1 Limits: URLs per minute per domain).
        await this.pause(action, `answered ${code}`, attempt, PER_MINUTE_CODES.has(code) ? 60_000 : null)
        continue
      }
      throw this.errorFor(what, res.status, code, message, attempt, idempotent)
    }
  }

  /** The seam's pre-flight: today's quotas against what the run will send (one DescribeRefreshQuota call). */
  async preflight(needs: PlanNeeds): Promise<void> {
    if (needs.purgeUrls + needs.purgeDirs + needs.prefetchUrls === 0) return
    await this.checkQuota({ urls: needs.purgeUrls, dirs: needs.purgeDirs, prefetch: needs.prefetchUrls })
  }

  /**
   * Today's remaining quotas against `need`; throws a ProviderError naming the first quota
   * that cannot cover it (what it is, what is needed, what remains) before anything is sent.
   */
  async checkQuota(need: AliyunQuotaNeed): Promise<AliyunQuotaLine[]> {
    const data = await this.call('DescribeRefreshQuota', {}, 'aliyun quota check', true)
    const lines: AliyunQuotaLine[] = []
    const pairs: [AliyunQuotaLine['name'], string, number, string][] = [
      ['UrlQuota', 'UrlRemain', need.urls, 'URL refreshes'],
      ['DirQuota', 'DirRemain', need.dirs, 'directory refreshes'],
      ['PreloadQuota', 'PreloadRemain', need.prefetch, 'prefetches']
    ]
    for (const [name, remainName, wanted, noun] of pairs) {
      // Typed as strings and shown as numbers (§1): numberOf reads both (a TotalCount too).
      const quota = numberOf(data[name])
      const remain = numberOf(data[remainName])
      if (quota === null || remain === null) {
        if (wanted > 0) this.ctx.log(`aliyun: DescribeRefreshQuota has no ${name}/${remainName}; not checked`)
        continue
      }
      lines.push({ name, quota, remain, need: wanted })
      if (wanted > remain) {
        const message = `aliyun: this run needs ${wanted} ${noun} but today's ${name} (${quota} a day) has ${remain} left; nothing was sent. Wait for the reset at midnight UTC+8, purge directories instead (dir-threshold), or ask Alibaba Cloud to raise the quota`
        throw name === 'UrlQuota' ? new UrlQuotaShortError(message, remain) : new ProviderError(message)
      }
    }
    return lines
  }

  /** Groups a batch's items into calls: at most `perCall` items and 10 domains each. */
  private split(items: BatchItem[], perCall: number): BatchItem[][] {
    const calls: BatchItem[][] = []
    let current: BatchItem[] = []
    let hosts = new Set<string>()
    for (const item of items) {
      const host = hostOf(item.url)
      const newHost = !hosts.has(host)
      if (current.length >= perCall || (newHost && hosts.size >= ALIYUN_DOMAINS_PER_CALL)) {
        calls.push(current)
        current = []
        hosts = new Set()
      }
      current.push(item)
      hosts.add(host)
    }
    if (current.length > 0) calls.push(current)
    return calls
  }

  /**
   * One batch as one task. A directory is sent with `Force=true`: the default (false) refreshes
   * only objects whose origin Last-Modified changed (§1 Operations), which could leave a stale
   * object behind a "successful" purge. The engine's batches fit one call (the limits say 100
   * directories, 10 domains); a batch given directly with more is sent as several calls, and its
   * task id is their ids joined by `,` (as Alibaba itself joins the ids of several domains, §1).
   */
  async submit(batch: Batch): Promise<Task> {
    const kind = batch.items[0]?.kind ?? 'url'
    const n = batch.items.length
    const what = `aliyun ${batch.op} of ${kind === 'dir' ? count(n, 'directory', 'directories') : count(n, 'URL')}`
    if (n === 0) throw new ProviderError(`${what}: nothing to send`)
    if (batch.items.some((i) => i.kind !== kind)) throw new ProviderError(`${what}: files and directories need separate calls (one ObjectType per call)`)
    if (batch.op === 'prefetch' && kind === 'dir') throw new ProviderError(`${what}: Alibaba Cloud cannot prefetch directories`)
    const perCall = batch.op === 'prefetch' ? ALIYUN_PREFETCH_PER_CALL : kind === 'dir' ? ALIYUN_DIRS_PER_CALL : ALIYUN_URLS_PER_CALL
    const ids: string[] = []
    for (const items of this.split(batch.items, perCall)) {
      const ObjectPath = items.map((i) => i.url).join('\n')
      const data =
        batch.op === 'prefetch'
          ? await this.call('PushObjectCache', { ObjectPath }, what, false)
          : await this.call(
              'RefreshObjectCaches',
              kind === 'dir' ? { ObjectPath, ObjectType: 'Directory', Force: 'true' } : { ObjectPath, ObjectType: 'File' },
              what,
              false
            )
      const text = idOf(batch.op === 'prefetch' ? data.PushTaskId : data.RefreshTaskId)
      if (text === '') throw new ProviderError(`${what}: answer has no task id; Alibaba Cloud may or may not have accepted it`, false, true)
      for (const id of text.split(',').map((s) => s.trim())) if (id !== '' && !ids.includes(id)) ids.push(checkTaskId(id, what))
    }
    return { id: ids.join(','), op: batch.op, items: batch.items, submittedAt: this.ctx.now() }
  }

  /**
   * After an ambiguous submit: lists this operation's tasks made since `since` (a minute of
   * slack either side for clock skew) with DescribeRefreshTasks, paging, and returns the
   * task(s) holding every path of the batch. Any path missing: null (resending a purge or
   * prefetch only costs quota, §1). Still throttled after the retries: 'unknown'.
   */
  async findSubmitted(batch: Batch, since: number): Promise<Task | null | 'unknown'> {
    const what = `aliyun ${batch.op} task lookup`
    const type = batch.op === 'prefetch' ? 'preload' : batch.items[0]?.kind === 'dir' ? 'directory' : 'file'
    const wanted = new Map(batch.items.map((i) => [normalizeUrl(i.url), '']))
    // Only a task created at or after the second this batch was sent is ours: an earlier run's
    // task for the same URLs is not (a server clock behind ours makes it a resend: safe).
    const sentSecond = Math.floor(since / 1000) * 1000
    const range = { ObjectType: type, StartTime: isoSeconds(since - 60_000), EndTime: isoSeconds(this.ctx.now() + 60_000), PageSize: '100' }
    try {
      let seen = 0
      for (let page = 1; page <= MAX_LOOKUP_PAGES; page++) {
        const data = await this.call('DescribeRefreshTasks', { ...range, PageNumber: String(page) }, what, true)
        const list = asRecord(data.Tasks)?.CDNTask
        const entries = Array.isArray(list) ? list : []
        for (const raw of entries) {
          const e = asRecord(raw)
          const path = typeof e?.ObjectPath === 'string' ? normalizeUrl(e.ObjectPath) : ''
          const id = idOf(e?.TaskId)
          const created = typeof e?.CreationTime === 'string' ? Date.parse(e.CreationTime) : NaN
          if (wanted.get(path) === '' && id !== '' && created >= sentSecond) wanted.set(path, id)
        }
        // Counted by what came back, not by the PageSize asked (older pages cap it at 50); a count as a string too.
        seen += entries.length
        const total = numberOf(data.TotalCount) ?? 0
        if (entries.length === 0 || seen >= total || [...wanted.values()].every((id) => id !== '')) break
      }
    } catch (err) {
      if (err instanceof ProviderError && err.retryable) return 'unknown'
      throw err
    }
    const ids = [...wanted.values()]
    if (ids.some((id) => id === '')) return null
    const unique = [...new Set(ids)].map((id) => checkTaskId(id, what))
    return { id: unique.join(','), op: batch.op, items: batch.items, submittedAt: since }
  }

  /**
   * Status of every item: all task ids (split on `,`) asked 10 at a time with
   * DescribeRefreshTaskById, entries matched by task id and path.
   */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    if (tasks.length === 0) return []
    const op: Operation = tasks[0].op
    const ids = [...new Set(tasks.flatMap((t) => t.id.split(',')))]
    const what = `aliyun ${op} status of ${count(tasks.length, 'task')}`
    const found = new Map<string, Record<string, unknown>>()
    for (let i = 0; i < ids.length; i += ALIYUN_IDS_PER_STATUS_CALL) {
      const data = await this.call('DescribeRefreshTaskById', { TaskId: ids.slice(i, i + ALIYUN_IDS_PER_STATUS_CALL).join(',') }, what, true)
      if (data.Tasks !== undefined && !Array.isArray(data.Tasks)) throw new ProviderError(`${what}: answer's Tasks is not a list`, true)
      for (const raw of (data.Tasks as unknown[] | undefined) ?? []) {
        const e = asRecord(raw)
        const id = idOf(e?.TaskId)
        if (e && id !== '' && typeof e.ObjectPath === 'string') found.set(`${id} ${normalizeUrl(e.ObjectPath)}`, e)
      }
    }
    const out: ItemStatus[] = []
    for (const task of tasks) {
      const taskIds = task.id.split(',')
      for (const item of task.items) {
        const path = normalizeUrl(item.url)
        const entry = taskIds.map((id) => found.get(`${id} ${path}`)).find((e) => e !== undefined)
        const word = typeof entry?.Status === 'string' ? entry.Status : ''
        if (word === '') {
          out.push({ taskId: task.id, url: item.url, state: 'pending', detail: 'not listed by DescribeRefreshTaskById yet' })
          continue
        }
        const state = stateOf(word, mapAliyunStatus, this.unknownWords, this.ctx.log, 'aliyun: unknown task status')
        const process = state === 'pending' && typeof entry?.Process === 'string' ? ` ${shown(entry.Process, 10)}` : ''
        const why = state === 'failure' && typeof entry?.Description === 'string' ? ` (${shown(entry.Description, 100)})` : ''
        out.push({ taskId: task.id, url: item.url, state, detail: `${shown(word, 40)}${process}${why}` })
      }
    }
    return out
  }
}
