import { createHash } from 'node:crypto'
import { InputError } from '../errors.js'
import { shown, shownBody } from '../external.js'
import { HttpError, parseJsonBody, type HttpResponse } from '../http/transport.js'
import type { Operation } from '../model.js'
import {
  asRecord,
  backoffMs,
  normalizeUrl,
  checkTaskId,
  idOf,
  numberOf,
  pauseBeforeRetry,
  ProviderError,
  transportError,
  type Batch,
  type CdnProvider,
  type ItemStatus,
  type ItemStatusState,
  type ProviderContext,
  type ProviderDefinition,
  type ProviderLimits,
  type Task
} from './provider.js'
import { count } from '../text.js'

/** One request parameter as UCloud signs it. */
export type UcloudParamValue = string | number | boolean
export type UcloudParams = Record<string, UcloudParamValue>

const paramText = (value: UcloudParamValue): string => (typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value))

/** Sorts keys by the bytes of their UTF-8 form; for ASCII keys (all UCloud's) that is string order. */
function inByteOrder(keys: string[]): string[] {
  if (keys.every((key) => /^[\x00-\x7f]*$/.test(key))) return keys.sort()
  const bytes = new Map(keys.map((key) => [key, Buffer.from(key, 'utf8')]))
  return keys.sort((a, b) => Buffer.compare(bytes.get(a)!, bytes.get(b)!))
}

/**
 * UCloud's API signature: every parameter but `Signature` (PublicKey, ProjectId and the
 * flattened `UrlList.N` included), keys in byte order (`UrlList.10` before `UrlList.2`),
 * `key + value` concatenated with no separator and no encoding, the private key appended,
 * then plain SHA-1 (not HMAC) as lowercase hex.
 */
export function signUcloudParams(params: UcloudParams, privateKey: string): string {
  const keys = inByteOrder(Object.keys(params).filter((key) => key !== 'Signature'))
  let text = ''
  for (const key of keys) text += key + paramText(params[key])
  return createHash('sha1')
    .update(text + privateKey, 'utf8')
    .digest('hex')
}

/**
 * What the UCDN API allows, in one place; the engine batches and polls by these alone.
 * - ≤ 100 `UrlList.N` per refresh (older docs: 30), ≤ 1,000 per prefetch (documented).
 * - One `Type` (file or dir) per refresh call (documented).
 * - The New* actions take no DomainId, so one call may carry URLs of several domains
 *   (inferred: no document says otherwise).
 * - Describe* takes many `TaskId.N`; no cap is documented, 100 is our choice (inferred).
 * - At most one prefetch call per 10 s (documented).
 * - At most 500 URLs of one domain per prefetch call: the daily prefetch quota is 500 per
 *   domain (documented), and a call over it is refused whole; 600 URLs of one domain go as
 *   500 + 100, so 500 are prefetched and only the last call is refused.
 * - Polling: one Describe call covers up to 100 tasks, so a round is cheap; refreshes
 *   usually finish within minutes, prefetches (an origin fetch per URL per node) take
 *   longer, so prefetch is polled less often.
 */
const limits: ProviderLimits = {
  itemsPerCall: { purge: 100, prefetch: 1000 },
  oneHostPerCall: false,
  mixedKindsPerCall: false,
  directories: true,
  statusIdsPerCall: { purge: 100, prefetch: 100 },
  defaultPollSeconds: { purge: 10, prefetch: 30 },
  minSubmitIntervalMs: { prefetch: 10_000 },
  itemsPerHostPerCall: { prefetch: 500 },
  // No rate limit is documented for submits or purge status: 16 calls at a time (the
  // transport's socket pool), as for ztgame. The `concurrency` input lowers it.
  defaultConcurrency: 16
}

const SUBMIT_ACTION: Record<Operation, string> = { purge: 'RefreshNewUcdnDomainCache', prefetch: 'PrefetchNewUcdnDomainCache' }
const STATUS_ACTION: Record<Operation, string> = { purge: 'DescribeNewUcdnRefreshCacheTask', prefetch: 'DescribeNewUcdnPrefetchCacheTask' }

/** RetCode 153: rate limited. Retried in place after a pause, this many attempts in all. */
export const UCLOUD_RATE_LIMITED = 153
export const UCLOUD_MAX_ATTEMPTS = 4
/** First pause after a 153 (doubling); a prefetch submit waits its documented interval instead. */
const RATE_LIMIT_BASE_PAUSE_MS = 2_000
/** Transient service errors: timeout, gateway/auth service error, service unavailable. */
const TRANSIENT_CODES = new Set([110, 130, 150, UCLOUD_RATE_LIMITED])
/** Describe pages read per status call before giving up on the rest (a server that pages oddly). */
const MAX_STATUS_PAGES = 50

/**
 * Per-URL status words: success / failure are final; unknow, wait, process and any word we
 * do not know are pending. Compared case-insensitively.
 */
function mapStatus(word: string): ItemStatusState {
  switch (word.trim().toLowerCase()) {
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

/** A RetCode as a number; tolerates a numeric string. */
function retCodeOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value)
  return null
}

class UcloudClient implements CdnProvider {
  readonly name = 'ucloud'
  readonly limits = limits
  /** Signatures already registered for masking (a poll round repeats the same call). */
  private readonly masked = new Set<string>()

  constructor(
    private readonly ctx: ProviderContext,
    private readonly settings: UcloudSettings
  ) {}

  private get url(): string {
    return this.ctx.endpoint.replace(/\/+$/, '') + '/'
  }

  /** Removes anything secret a server message could echo (the private key, a signature). */
  private readonly unsecret = (text: string): string => {
    const out = text.replace(/\b[0-9a-fA-F]{40}\b/g, '***')
    const { privateKey } = this.settings
    return privateKey === '' ? out : out.split(privateKey).join('***')
  }

  private scrub(text: string): string {
    return shown(this.unsecret(text).trim().replace(/\s+/g, ' '))
  }

  /** A non-2xx body (JSON escapes undone, secrets removed), cut with its length stated. */
  private bodyText(res: HttpResponse): string {
    return shownBody(res.text, this.unsecret)
  }

  /** The error for a non-zero RetCode; the messages name the input to fix. */
  private retCodeError(what: string, code: number, message: string, attempts: number): ProviderError {
    const said = message === '' ? `RetCode ${code}` : `RetCode ${code}: ${message}`
    switch (code) {
      case 171:
        return new ProviderError(
          `${what}: UCloud rejected the signature (${said}); check the private-key input (it must be the private key of the public-key given)`
        )
      case 172:
        return new ProviderError(`${what}: UCloud does not know this public key (${said}); check the public-key input`)
      case 174:
        return new ProviderError(`${what}: UCloud rejected the credentials (${said}); check the public-key and private-key inputs`)
      case 170:
        return new ProviderError(`${what}: UCloud saw no signature (${said}); check the endpoint input (a proxy may be dropping parameters)`)
      case 160:
      case 161:
        return new ProviderError(`${what}: the API at this endpoint does not offer the action (${said}); check the endpoint input`)
      case 292:
        return new ProviderError(`${what}: UCloud does not know this project (${said}); check the project-id input`)
      case 294:
        return new ProviderError(`${what}: UCloud refused the runner's IP address (${said}); allow it for this API key, or run on a runner it allows`)
      case 299:
        return new ProviderError(
          `${what}: UCloud IAM denied the call (${said}); give the key's user UCDN refresh/prefetch permission, and check the project-id input`
        )
      default: {
        // No RetCode for "quota exceeded" is published: recognise it by its words (inferred).
        const hint = /quota|exceed/i.test(message)
          ? ' (a daily per-domain quota of UCloud: by default 700 file and 20 directory refreshes and 500 prefetches a day; it resets the next day)'
          : ''
        const tries = attempts > 1 ? ` after ${attempts} attempts` : ''
        return new ProviderError(`${what} failed${tries}: ${said}${hint}`, TRANSIENT_CODES.has(code))
      }
    }
  }

  /**
   * Signs and sends one action; returns the answer when RetCode is 0. RetCode 153 (rate
   * limited) is retried after a pause, up to UCLOUD_MAX_ATTEMPTS calls in all.
   * `idempotent`: asking again is harmless (status), so transport failures are retryable.
   */
  private async call(action: string, params: UcloudParams, what: string, idempotent: boolean): Promise<Record<string, unknown>> {
    const { publicKey, privateKey, projectId } = this.settings
    const signed: UcloudParams = { Action: action, ...params, PublicKey: publicKey }
    if (projectId !== '') signed.ProjectId = projectId
    // `IsDcdn` (whole-site acceleration domains) is a parameter of every UCDN call (providers.md
    // §3's common params; the Describe vendor page lists it); signed like any other.
    if (this.ctx.dcdn) signed.IsDcdn = true
    const signature = signUcloudParams(signed, privateKey)
    if (!this.masked.has(signature)) {
      this.masked.add(signature)
      this.ctx.mask(signature)
    }
    signed.Signature = signature
    const body = JSON.stringify(signed)

    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse
      try {
        // A read (Describe*) is retried by the transport after a reset, as a GET would be.
        res = await this.ctx.request({
          method: 'POST',
          url: this.url,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body,
          idempotent
        })
      } catch (err) {
        if (err instanceof HttpError) throw transportError(err, what, idempotent)
        throw err
      }
      if (res.status < 200 || res.status >= 300) {
        // 429 and 503 were not acted on; another 5xx may have made a task.
        const maybeActed = !idempotent && res.status >= 500 && res.status !== 503
        throw new ProviderError(`${what} failed: HTTP ${res.status}: ${this.bodyText(res)}`, res.status === 429 || res.status >= 500, maybeActed)
      }
      let data: Record<string, unknown> | null
      try {
        data = asRecord(parseJsonBody(res, what))
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        // A 2xx we cannot read is never a success; a submit may still have been acted on.
        throw new ProviderError(`${err.message}${idempotent ? '' : '; UCloud may or may not have accepted it'}`, idempotent, !idempotent)
      }
      const code = retCodeOf(data?.RetCode)
      if (data === null || code === null) {
        throw new ProviderError(
          `${what}: answer has no RetCode (HTTP ${res.status}, ${res.text.length} bytes)${idempotent ? '' : '; UCloud may or may not have accepted it'}`,
          idempotent,
          !idempotent
        )
      }
      if (code === 0) return data
      const message = typeof data.Message === 'string' ? this.scrub(data.Message) : ''
      if (code === UCLOUD_RATE_LIMITED && attempt < UCLOUD_MAX_ATTEMPTS) {
        const pause = action === SUBMIT_ACTION.prefetch ? (limits.minSubmitIntervalMs?.prefetch ?? 10_000) : backoffMs(attempt, RATE_LIMIT_BASE_PAUSE_MS)
        await pauseBeforeRetry(this.ctx, `ucloud: ${action} rate limited (RetCode 153)`, pause, attempt, UCLOUD_MAX_ATTEMPTS)
        continue
      }
      throw this.retCodeError(what, code, message, attempt)
    }
  }

  async submit(batch: Batch): Promise<Task> {
    const kind = batch.items[0]?.kind ?? 'url'
    const count = batch.items.length
    const noun = kind === 'dir' ? (count === 1 ? 'directory' : 'directories') : count === 1 ? 'URL' : 'URLs'
    const what = `ucloud ${batch.op} of ${count} ${noun}`
    if (batch.items.length === 0) throw new ProviderError(`${what}: nothing to send`)
    if (batch.items.some((item) => item.kind !== kind)) throw new ProviderError(`${what}: files and directories need separate calls (one Type per call)`)
    if (batch.op === 'prefetch' && kind === 'dir') throw new ProviderError(`${what}: UCloud cannot prefetch directories`)
    const params: UcloudParams = {}
    if (batch.op === 'purge') params.Type = kind === 'dir' ? 'dir' : 'file'
    batch.items.forEach((item, i) => {
      params[`UrlList.${i}`] = item.url
    })
    const data = await this.call(SUBMIT_ACTION[batch.op], params, what, false)
    const id = idOf(data.TaskId)
    if (id === '') throw new ProviderError(`${what}: answer has RetCode 0 but no TaskId; UCloud may or may not have accepted it`, false, true)
    return { id: checkTaskId(id, what), op: batch.op, items: batch.items, submittedAt: this.ctx.now() }
  }

  /**
   * After an ambiguous submit: lists this operation's tasks and returns one holding exactly
   * the batch's URLs whose CreateTime (unix seconds, providers.md §3) is at or after the
   * second the batch was sent. An older task with the same URLs (an earlier run's) is not
   * this batch's; a task without a readable CreateTime is not taken either. If the server's
   * clock is behind the runner's, our task may look older: then it is not found and the
   * batch is sent again (safe reading: a duplicate costs quota, a batch taken for sent
   * leaves stale URLs).
   */
  async findSubmitted(batch: Batch, since: number): Promise<Task | null> {
    const action = STATUS_ACTION[batch.op]
    const what = `ucloud ${batch.op} task lookup`
    const wanted = new Set(batch.items.map((i) => normalizeUrl(i.url)))
    const begin = Math.floor(since / 1000)
    const end = Math.max(begin, Math.floor(this.ctx.now() / 1000)) + 60
    let offset = 0
    for (let page = 1; page <= MAX_STATUS_PAGES; page++) {
      const data = await this.call(action, { BeginTime: begin, EndTime: end, Offset: offset, Limit: 100 }, what, true)
      const list = Array.isArray(data.TaskList) ? data.TaskList : []
      for (const entry of list) {
        const task = asRecord(entry)
        const urls = (Array.isArray(task?.UrlLists) ? task.UrlLists : []).map((u) => asRecord(u)?.Url).filter((u): u is string => typeof u === 'string')
        const created = numberOf(task?.CreateTime)
        if (created !== null && created >= begin && urls.length === wanted.size && urls.every((u) => wanted.has(normalizeUrl(u)))) {
          return { id: checkTaskId(idOf(task?.TaskId), what), op: batch.op, items: batch.items, submittedAt: since }
        }
      }
      const total = typeof data.TotalCount === 'number' ? data.TotalCount : list.length
      offset += list.length
      if (list.length === 0 || offset >= total) break
    }
    return null
  }

  /**
   * One Describe call for all `tasks` (TaskId.0…N), reading further pages when the answer
   * says TotalCount is larger than what it listed. No BeginTime/EndTime is sent: the
   * server's default window (the last day, by its own clock) covers any run, whatever the
   * runner's clock says.
   */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    if (tasks.length === 0) return []
    const op = tasks[0].op
    const action = STATUS_ACTION[op]
    const ids = [...new Set(tasks.map((t) => t.id))]
    const what = `ucloud ${op} status of ${count(ids.length, 'task')}`
    const found = new Map<string, Record<string, unknown>>()
    let offset = 0
    for (let page = 1; page <= MAX_STATUS_PAGES; page++) {
      const params: UcloudParams = { Offset: offset, Limit: ids.length }
      ids.forEach((id, i) => {
        params[`TaskId.${i}`] = id
      })
      const data = await this.call(action, params, what, true)
      // An answer with nothing to list may leave TaskList out; any other must carry it.
      const list = data.TaskList === undefined && data.TotalCount === 0 ? [] : data.TaskList
      if (!Array.isArray(list)) throw new ProviderError(`${what}: answer has no TaskList`, true)
      for (const entry of list) {
        const task = asRecord(entry)
        const id = idOf(task?.TaskId)
        if (task && id !== '') found.set(id, task)
      }
      const total = typeof data.TotalCount === 'number' ? data.TotalCount : list.length
      offset += list.length
      if (list.length === 0 || offset >= total || ids.every((id) => found.has(id))) break
    }

    const out: ItemStatus[] = []
    for (const task of tasks) {
      const entry = found.get(task.id)
      if (!entry) {
        // Just after submission a task may not be listed yet: ask again next round.
        for (const item of task.items) out.push({ taskId: task.id, url: item.url, state: 'pending', detail: `not listed by ${action} yet` })
        continue
      }
      const byUrl = new Map<string, Record<string, unknown>>()
      for (const raw of Array.isArray(entry.UrlLists) ? entry.UrlLists : []) {
        const u = asRecord(raw)
        if (u && typeof u.Url === 'string') {
          byUrl.set(u.Url, u)
          byUrl.set(normalizeUrl(u.Url), u)
        }
      }
      const taskWord = typeof entry.Status === 'string' ? entry.Status : ''
      for (const item of task.items) {
        const u = byUrl.get(item.url) ?? byUrl.get(normalizeUrl(item.url))
        const word = u && typeof u.Status === 'string' ? u.Status : ''
        if (word !== '') {
          const state = mapStatus(word)
          const progress = typeof u?.Progress === 'number' && state === 'pending' ? ` ${u.Progress}%` : ''
          out.push({ taskId: task.id, url: item.url, state, detail: `${shown(word)}${progress}` })
        } else if (taskWord !== '') {
          // The URL is not in UrlLists: take the task's status (tolerant; inferred).
          out.push({ taskId: task.id, url: item.url, state: mapStatus(taskWord), detail: `${shown(taskWord)} (task)` })
        } else {
          out.push({ taskId: task.id, url: item.url, state: 'pending', detail: 'no status in the answer' })
        }
      }
    }
    return out
  }
}

/** The API key pair and the project ('' = the account's default project). */
export interface UcloudSettings {
  publicKey: string
  privateKey: string
  projectId: string
}

export const ucloud: ProviderDefinition<UcloudSettings> = {
  name: 'ucloud',
  defaultEndpoint: 'https://api.ucloud.cn',
  limits,
  supportsDcdn: true,
  inputs: [
    { name: 'public-key', secret: false },
    { name: 'private-key', secret: true },
    { name: 'project-id', secret: false }
  ],
  readSettings(read) {
    const c: UcloudSettings = { publicKey: read('public-key'), privateKey: read('private-key'), projectId: read('project-id') }
    if (c.publicKey === '') {
      throw new InputError('public-key', 'ucloud needs the API public key (UCloud console, API keys); pass it as public-key: ${{ secrets.UCLOUD_PUBLIC_KEY }}')
    }
    if (c.privateKey === '') {
      throw new InputError(
        'private-key',
        'ucloud needs the API private key that signs every request; store it as a repository secret and pass it as private-key: ${{ secrets.UCLOUD_PRIVATE_KEY }}'
      )
    }
    if (/\s/.test(c.publicKey)) throw new InputError('public-key', 'contains white space; paste the key exactly as the console shows it')
    if (/\s/.test(c.privateKey)) throw new InputError('private-key', 'contains white space; paste the key exactly as the console shows it')
    if (/\s/.test(c.projectId))
      throw new InputError('project-id', 'contains white space; give one project id, e.g. org-abc123, or leave it empty for the default project')
    return c
  },
  create: (ctx, settings) => new UcloudClient(ctx, settings)
}
