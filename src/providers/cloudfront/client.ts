import { createHash } from 'node:crypto'
import { InputError } from '../../errors.js'
import { shown } from '../../external.js'
import { hostOf } from '../../engine/host.js'
import { HttpError, type HttpResponse } from '../../http/transport.js'
import { count } from '../../text.js'
import {
  backoffMs,
  checkTaskId,
  pauseBeforeRetry,
  stateOf,
  ProviderError,
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
import { amzDate, sigV4Sign } from './signer.js'
import { child, parseXml, textAt, XmlError, type XmlElement } from './xml.js'

/** AWS CloudFront, API 2020-05-31 (providers-next.md §3). */
export const CLOUDFRONT_API = '2020-05-31'
export const CLOUDFRONT_DEFAULT_ENDPOINT = 'https://cloudfront.amazonaws.com'
export const CLOUDFRONT_XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/'
/** §3: SigV4 scope of the global endpoint. */
const REGION = 'us-east-1'
const SERVICE = 'cloudfront'
/** The variables aws-actions/configure-aws-credentials sets (issue 13). */
export const CLOUDFRONT_ENV = { accessKey: 'AWS_ACCESS_KEY_ID', secretKey: 'AWS_SECRET_ACCESS_KEY', sessionToken: 'AWS_SESSION_TOKEN' } as const
/** §3 "Path rules and limits" [S7][S8]: in progress per distribution, counted apart. */
export const CLOUDFRONT_CAPS = { files: 3000, wildcards: 15 } as const
/** §3 [S5]: longest path. */
export const CLOUDFRONT_MAX_PATH = 4000
/** Throttled calls are tried this many times in all, pausing 1, 2, 4 s. */
export const CLOUDFRONT_MAX_ATTEMPTS = 4
/** Pause between looks at this run's own invalidations while a cap is full. */
export const CAP_WAIT_MS = 10_000
/** Pause before sending again after TooManyInvalidationsInProgress (invalidations this run cannot see). */
export const TOO_MANY_WAIT_MS = 30_000
/** Safety bound on cap waits; the run's deadline ends them first (ctx.sleep stops at it, requests then fail). */
const MAX_WAITS = 10_000
/** ListInvalidations pages read for the log line after TooManyInvalidationsInProgress. */
const LIST_PAGES = 5

/** Credentials, the distributions and the run's part of every CallerReference. */
export interface CloudFrontSettings {
  accessKey: string
  secretKey: string
  sessionToken: string
  /** The distribution of every host ('' when given per host). */
  distribution: string
  /** Host (lowercase, with a non-default port) → distribution id. */
  hosts: Record<string, string>
  /** Fixed for one run and step (GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, job and step), random outside Actions. */
  runRef: string
}

/**
 * What the API allows (§3):
 * - No per-call cap is documented; in progress per distribution at most 3,000 file paths and
 *   15 wildcard paths. A call is one distribution (one host per call) and one kind (files or
 *   wildcards, so the caps are counted apart); the client splits a directory batch into
 *   invalidations of 15 and waits for room before each.
 * - No prefetch API. Status: one GetInvalidation per invalidation (one task per status call),
 *   polled every 20 s like the AWS SDK's InvalidationCompleted waiter [S2].
 * - No published call rate: 2 calls at a time; `Throttling` is retried.
 */
export const cloudfrontLimits: ProviderLimits = {
  itemsPerCall: { purge: CLOUDFRONT_CAPS.files, prefetch: 1 },
  oneHostPerCall: true,
  mixedKindsPerCall: false,
  directories: true,
  statusIdsPerCall: { purge: 1, prefetch: 1 },
  defaultPollSeconds: { purge: 20, prefetch: 20 },
  defaultConcurrency: 2
}

/**
 * RFC 3986 pchar but `~`, and `/`, `?` and `%XX` stay; anything else (space, non-ASCII, the RFC 1738
 * unsafe `"<>[]^|{}\~` and backquote) is percent-encoded: the developer guide [S5] asks for RFC 1738,
 * where `~` is unsafe, and CloudFront refuses a raw `~` (InvalidArgument; aws/aws-sdk#525).
 */
const KEEP = /[A-Za-z0-9\-._!$&'()*+,;=:@/?]/

function encodePath(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (KEEP.test(c) || (c === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3)))) {
      out += c
      continue
    }
    const cp = text.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    if (ch.length === 2) i++
    out += Array.from(Buffer.from(ch, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  }
  return out
}

/**
 * The invalidation path of an item as CloudFront matches it (§3 "Path rules"): the URL's path
 * and query (fragment dropped), keeping its own `%XX`, other unsafe and non-ASCII characters
 * percent-encoded; a directory as `/dir/*`. A `*` inside a path is literal for CloudFront and
 * kept; a URL ending in `*` would become a wildcard, so it is refused (an Error), as is a path
 * over 4,000 characters.
 */
export function invalidationPath(item: BatchItem): string {
  // The authority ends at the first `/`, `?` or `#` (RFC 3986 §3.2); a query right after the host is the root's.
  const after = item.url.indexOf('//') + 2
  const end = item.url.slice(after).search(/[/?#]/)
  let rest = end < 0 ? '/' : item.url.slice(after + end)
  if (!rest.startsWith('/')) rest = `/${rest}`
  const hash = rest.indexOf('#')
  if (hash >= 0) rest = rest.slice(0, hash)
  let path: string
  if (item.kind === 'dir') {
    const q = rest.indexOf('?')
    const dir = q >= 0 ? rest.slice(0, q) : rest
    path = encodePath(dir.endsWith('/') ? dir : `${dir}/`) + '*'
  } else {
    path = encodePath(rest)
    if (path.endsWith('*')) throw new Error(`ends with *, which CloudFront takes as a wildcard; purge its directory instead`)
  }
  if (path.length > CLOUDFRONT_MAX_PATH) throw new Error(`its path has ${path.length} characters, more than CloudFront's ${CLOUDFRONT_MAX_PATH}`)
  return path
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** The CreateInvalidation body (§3 "Endpoint and transport"). */
export function invalidationBody(paths: readonly string[], callerReference: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="${CLOUDFRONT_XMLNS}"><Paths><Quantity>${paths.length}</Quantity><Items>` +
    paths.map((p) => `<Path>${xmlEscape(p)}</Path>`).join('') +
    `</Items></Paths><CallerReference>${xmlEscape(callerReference)}</CallerReference></InvalidationBatch>`
  )
}

/**
 * The CallerReference of one invalidation: the run's part and a SHA-256 of its distribution and
 * sorted paths (§3 "Idempotency"). Whether AWS scopes a reference per distribution or per account
 * is not documented: the distribution in the hash makes that question moot.
 */
export function callerReference(runRef: string, distribution: string, paths: readonly string[]): string {
  return `${runRef}-${createHash('sha256')
    .update(`${distribution}\n${[...paths].sort().join('\n')}`, 'utf8')
    .digest('hex')
    .slice(0, 40)}`
}

/** `InProgress` pending, `Completed` success; there is no failed state (§0). */
function mapStatus(word: string): ItemStatusState | null {
  return word === 'Completed' ? 'success' : word === 'InProgress' ? 'pending' : null
}

/** A refusal with CloudFront's error code. */
class CodeError extends ProviderError {
  constructor(
    message: string,
    readonly code: string,
    retryable = false,
    ambiguous = false
  ) {
    super(message, retryable, ambiguous)
  }
}

interface Ledger {
  distribution: string
  files: number
  wildcards: number
  done: boolean
}

export class CloudFrontClient implements CdnProvider {
  readonly name = 'cloudfront'
  readonly limits = cloudfrontLimits
  /** This run's invalidations, by id: what each holds of the caps. */
  private readonly ledger = new Map<string, Ledger>()
  /** Invalidation id → the item URLs it holds. */
  private readonly itemsOf = new Map<string, Set<string>>()
  /** One submit at a time per distribution, so cap room is counted once. */
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly unknownWords = new Set<string>()

  constructor(
    private readonly ctx: ProviderContext,
    private readonly settings: CloudFrontSettings
  ) {
    if (settings.sessionToken !== '') ctx.mask(settings.sessionToken)
  }

  private get base(): URL {
    return new URL(this.ctx.endpoint.replace(/\/+$/, '') + '/')
  }

  /** The distribution of a host, or null. */
  distributionOf(host: string): string | null {
    const h = host.toLowerCase()
    return Object.hasOwn(this.settings.hosts, h) ? this.settings.hosts[h] : this.settings.distribution || null
  }

  /** The seam's pre-flight: every host to send must have a distribution; nothing is sent. */
  async preflight(needs: PlanNeeds): Promise<void> {
    const missing = (needs.hosts ?? []).filter((h) => this.distributionOf(h) === null)
    if (missing.length > 0) {
      throw new InputError(
        'distribution-id',
        `no distribution for ${missing.map((h) => shown(h, 200)).join(', ')}; add a line ${shown(missing[0], 200)}=<distribution id> (one host=id per line)`
      )
    }
  }

  /** Removes anything secret an answer could echo. */
  private scrub(text: string): string {
    let out = text.replace(/\b[0-9a-fA-F]{64}\b/g, '***')
    for (const secret of [this.settings.secretKey, this.settings.sessionToken]) if (secret.length >= 4) out = out.split(secret).join('***')
    return shown(out.trim().replace(/\s+/g, ' '), 300)
  }

  /** The message a user can act on, per §3 "Errors". */
  private errorFor(what: string, status: number, code: string, message: string, where: string, attempts: number): CodeError {
    const said = `${code}${message ? `: ${this.scrub(message)}` : ''} (HTTP ${status})`
    const keys = `check access-key and secret-key (or ${CLOUDFRONT_ENV.accessKey} and ${CLOUDFRONT_ENV.secretKey})`
    if (/^Signature expired/i.test(message) || code === 'RequestExpired')
      return new CodeError(`${what}: AWS says the request time is more than 5 minutes off its clock (${said}); check the runner's clock`, code)
    switch (code) {
      case 'Throttling':
        return new CodeError(`${what}: CloudFront throttled it after ${count(attempts, 'attempt')} (${said}); lower the concurrency input`, code, true)
      case 'SignatureDoesNotMatch':
        return new CodeError(`${what}: AWS rejected the signature (${said}); ${keys}: the secret key must belong to the access key`, code)
      case 'InvalidClientTokenId':
      case 'UnrecognizedClientException':
        return new CodeError(
          `${what}: AWS does not know these credentials (${said}); ${keys}, and for temporary credentials session-token (or ${CLOUDFRONT_ENV.sessionToken})`,
          code
        )
      case 'ExpiredToken':
      case 'ExpiredTokenException':
        return new CodeError(
          `${what}: the session token has expired (${said}); get fresh credentials in the job (aws-actions/configure-aws-credentials) or raise role-duration-seconds`,
          code
        )
      case 'AccessDenied':
        return new CodeError(
          `${what}: IAM denied the call (${said}); allow cloudfront:CreateInvalidation, cloudfront:GetInvalidation and cloudfront:ListInvalidations on ${where}`,
          code
        )
      case 'MissingAuthenticationToken':
      case 'IncompleteSignature':
        return new CodeError(`${what}: AWS could not read the signature (${said}); check the endpoint input (a proxy may alter headers)`, code)
      case 'NoSuchDistribution':
        return new CodeError(`${what}: ${where} does not exist or these credentials cannot reach it (${said}); check distribution-id and the AWS account`, code)
      case 'InvalidationBatchAlreadyExists':
        return new CodeError(
          `${what}: CloudFront already holds another batch under this CallerReference (${said}); run the workflow again (a new attempt makes new references)`,
          code
        )
      case 'InvalidArgument':
        return new CodeError(`${what}: CloudFront refused the request (${said}); check the URLs (paths start with /, at most 4,000 characters)`, code)
      case 'BatchTooLarge':
        return new CodeError(`${what}: more paths than CloudFront takes in one invalidation (${said}); lower the batch-size input`, code)
      case 'TooManyInvalidationsInProgress':
        return new CodeError(
          `${what}: ${where} has too many invalidations in progress (${said}); CloudFront allows 3,000 file paths and 15 wildcard paths at once: wait or use dir-threshold`,
          code,
          true
        )
    }
    return new CodeError(`${what} failed: ${said}`, code, status >= 500 || status === 429)
  }

  /**
   * Signs (SigV4) and sends one request; the root element of a 2xx answer. `Throttling` is
   * tried again after 1, 2, 4 s. Every call is safe to repeat (reads, and creates with a fixed
   * CallerReference), so the transport may retry it; a create whose answer is lost is ambiguous.
   */
  async call(method: 'GET' | 'POST', path: string, query: [string, string][], body: string, what: string, where: string): Promise<XmlElement> {
    const base = this.base
    const url = new URL(base.pathname.replace(/\/$/, '') + path, base)
    for (const [k, v] of query) url.searchParams.append(k, v)
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { host: base.host, 'x-amz-date': amzDate(this.ctx.now()) }
      if (method === 'POST') headers['content-type'] = 'application/xml'
      if (this.settings.sessionToken !== '') headers['x-amz-security-token'] = this.settings.sessionToken
      const signed = sigV4Sign({
        method,
        path: url.pathname,
        query,
        headers,
        body,
        accessKey: this.settings.accessKey,
        secretKey: this.settings.secretKey,
        region: REGION,
        service: SERVICE,
        amzDate: headers['x-amz-date']
      })
      this.ctx.mask(signed.signature)
      this.ctx.mask(signed.authorization)
      const sent: Record<string, string> = { 'X-Amz-Date': headers['x-amz-date'], Authorization: signed.authorization }
      if (method === 'POST') sent['Content-Type'] = headers['content-type']
      if (headers['x-amz-security-token']) sent['X-Amz-Security-Token'] = headers['x-amz-security-token']
      let res: HttpResponse
      try {
        res = await this.ctx.request({ method, url: url.href, headers: sent, body: method === 'POST' ? body : undefined, idempotent: true })
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        // A create may have been acted on: sending it again returns the same invalidation.
        throw new ProviderError(`${what}: ${err.message}`, true, method === 'POST' && err.ambiguous)
      }
      let root: XmlElement | null = null
      try {
        root = res.text.trim() === '' ? null : parseXml(res.text)
      } catch (err) {
        if (!(err instanceof XmlError)) throw err
      }
      if (res.status >= 200 && res.status < 300) {
        if (root !== null) return root
        throw new ProviderError(`${what}: the answer is not XML (HTTP ${res.status}, ${res.text.length} bytes)`, true, method === 'POST')
      }
      const error = root?.name === 'ErrorResponse' ? child(root, 'Error') : undefined
      const code = shown(textAt(error, 'Code'), 80)
      if (code === '') {
        const maybe = method === 'POST' && res.status >= 500 && res.status !== 503
        throw new ProviderError(`${what}: unexpected answer (HTTP ${res.status}, ${res.text.length} bytes)`, res.status >= 500 || res.status === 429, maybe)
      }
      const message = textAt(error, 'Message')
      if (code === 'Throttling' && attempt < CLOUDFRONT_MAX_ATTEMPTS) {
        await pauseBeforeRetry(this.ctx, `cloudfront: ${what} throttled`, backoffMs(attempt), attempt, CLOUDFRONT_MAX_ATTEMPTS)
        continue
      }
      throw this.errorFor(what, res.status, code, message, where, attempt)
    }
  }

  private where(distribution: string, host: string): string {
    return `distribution ${distribution} (host ${shown(host, 200)})`
  }

  /** One submit at a time per distribution. */
  private serial<T>(distribution: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(distribution) ?? Promise.resolve()
    const next = before.then(work, work)
    this.queues.set(
      distribution,
      next.catch(() => undefined)
    )
    return next
  }

  private inProgress(distribution: string): { files: number; wildcards: number } {
    let files = 0
    let wildcards = 0
    for (const e of this.ledger.values()) {
      if (e.distribution !== distribution || e.done) continue
      files += e.files
      wildcards += e.wildcards
    }
    return { files, wildcards }
  }

  /** Asks GetInvalidation for this run's invalidations still in progress on a distribution. */
  private async refresh(distribution: string, host: string): Promise<void> {
    for (const [id, e] of this.ledger) {
      if (e.distribution !== distribution || e.done) continue
      const what = `cloudfront status of invalidation ${id}`
      const root = await this.call('GET', `/${CLOUDFRONT_API}/distribution/${distribution}/invalidation/${id}`, [], '', what, this.where(distribution, host))
      if (textAt(root, 'Status') === 'Completed') e.done = true
    }
  }

  /**
   * ListInvalidations (a few pages, newest first): how many are in progress and how many of
   * those are this run's, for the log. Never throws: a refused or failed list says so.
   */
  private async listInProgress(distribution: string, host: string): Promise<string> {
    let total = 0
    let mine = 0
    let marker = ''
    try {
      for (let page = 0; page < LIST_PAGES; page++) {
        const query: [string, string][] = [['MaxItems', '100']]
        if (marker !== '') query.push(['Marker', marker])
        const what = `cloudfront list of invalidations`
        const root = await this.call('GET', `/${CLOUDFRONT_API}/distribution/${distribution}/invalidation`, query, '', what, this.where(distribution, host))
        for (const summary of child(root, 'Items')?.children ?? []) {
          if (textAt(summary, 'Status') !== 'InProgress') continue
          total++
          if (this.ledger.has(textAt(summary, 'Id'))) mine++
        }
        marker = textAt(root, 'NextMarker')
        if (textAt(root, 'IsTruncated') !== 'true' || marker === '') break
      }
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err
      return `ListInvalidations failed: ${err.message}`
    }
    return `${count(total, 'invalidation')} in progress among the newest listed, ${mine} of them this run's`
  }

  /** Waits until this run's own invalidations leave room for `need` under the caps (§3 [S7]). */
  private async waitForRoom(distribution: string, host: string, need: { files: number; wildcards: number }): Promise<void> {
    for (let wait = 0; wait < MAX_WAITS; wait++) {
      const used = this.inProgress(distribution)
      if (used.files + need.files <= CLOUDFRONT_CAPS.files && used.wildcards + need.wildcards <= CLOUDFRONT_CAPS.wildcards) return
      if (wait === 0) {
        this.ctx.log(
          `cloudfront: ${this.where(distribution, host)} has ${count(used.files, 'file path')} and ${count(used.wildcards, 'wildcard path')} of this run in progress; waiting for them to complete before sending ${count(need.files + need.wildcards, 'more path')} (at most ${CLOUDFRONT_CAPS.files} and ${CLOUDFRONT_CAPS.wildcards} at once)`
        )
      }
      await this.ctx.sleep(CAP_WAIT_MS)
      await this.refresh(distribution, host)
    }
    throw new ProviderError(`cloudfront: gave up waiting for room on ${this.where(distribution, host)}`, true)
  }

  /** One CreateInvalidation, after waiting for room; TooManyInvalidationsInProgress waits and sends again. */
  private async createOne(distribution: string, host: string, paths: string[], urls: string[], what: string): Promise<string> {
    const need = { files: paths.filter((p) => !p.endsWith('*')).length, wildcards: paths.filter((p) => p.endsWith('*')).length }
    const where = this.where(distribution, host)
    const body = invalidationBody(paths, callerReference(this.settings.runRef, distribution, paths))
    for (let wait = 0; ; wait++) {
      await this.waitForRoom(distribution, host, need)
      let root: XmlElement
      try {
        root = await this.call('POST', `/${CLOUDFRONT_API}/distribution/${distribution}/invalidation`, [], body, what, where)
      } catch (err) {
        if (!(err instanceof CodeError) || err.code !== 'TooManyInvalidationsInProgress' || wait >= MAX_WAITS) throw err
        if (wait === 0) {
          const seen = await this.listInProgress(distribution, host)
          this.ctx.log(`cloudfront: ${where} has too many invalidations in progress (${seen}); waiting ${TOO_MANY_WAIT_MS / 1000} s between tries`)
        }
        await this.ctx.sleep(TOO_MANY_WAIT_MS)
        continue
      }
      if (root.name !== 'Invalidation') throw new ProviderError(`${what}: the answer is not an Invalidation`, true, true)
      const id = checkTaskId(textAt(root, 'Id'), what)
      // Like checkTaskId's malformed ids: not sent again.
      if (id === '' || /[,\s]/.test(id)) throw new ProviderError(`${what}: the answer has no usable invalidation Id`)
      this.ledger.set(id, { distribution, ...need, done: textAt(root, 'Status') === 'Completed' })
      this.itemsOf.set(id, new Set(urls))
      return id
    }
  }

  /**
   * One batch (one host, one kind) as one task: one invalidation, or for more than 15
   * directories several (15 wildcards each), the task id their ids joined by `,`. A lost
   * answer is sent again by the engine with the same CallerReference: the same invalidation.
   */
  async submit(batch: Batch): Promise<Task> {
    const host = batch.host || hostOf(batch.items[0]?.url ?? 'http://x')
    const kind = batch.items[0]?.kind ?? 'url'
    const what = `cloudfront purge of ${kind === 'dir' ? count(batch.items.length, 'directory', 'directories') : count(batch.items.length, 'URL')}`
    if (batch.items.length === 0) throw new ProviderError(`${what}: nothing to send`)
    if (batch.op !== 'purge') throw new ProviderError(`${what}: CloudFront has no prefetch API`)
    const distribution = this.distributionOf(host)
    if (distribution === null) throw new ProviderError(`${what}: no distribution-id for host ${shown(host, 200)}`)
    if (batch.items.some((i) => hostOf(i.url) !== host)) throw new ProviderError(`${what}: one call serves one host`)
    const paths: string[] = []
    for (const item of batch.items) {
      try {
        paths.push(invalidationPath(item))
      } catch (err) {
        throw new ProviderError(`${what}: ${shown(item.url, 300)} cannot be invalidated: ${(err as Error).message}`)
      }
    }
    // Chunks that each fit the caps: files up to 3,000, wildcards up to 15.
    const chunks: number[][] = []
    for (const wild of [false, true]) {
      const size = wild ? CLOUDFRONT_CAPS.wildcards : CLOUDFRONT_CAPS.files
      const indices = paths.map((p, i) => [p, i] as const).filter(([p]) => p.endsWith('*') === wild)
      for (let i = 0; i < indices.length; i += size) chunks.push(indices.slice(i, i + size).map(([, k]) => k))
    }
    return this.serial(distribution, async () => {
      const ids: string[] = []
      for (const chunk of chunks) {
        // Sorted: one reference always carries the same body, whatever the items' order (AWS compares "each Path" [S1]).
        const chunkPaths = [...new Set(chunk.map((i) => paths[i]))].sort()
        try {
          ids.push(
            await this.createOne(
              distribution,
              host,
              chunkPaths,
              chunk.map((i) => batch.items[i].url),
              what
            )
          )
        } catch (err) {
          if (!(err instanceof ProviderError) || ids.length === 0) throw err
          // Earlier invalidations of this batch stand; sending the batch again returns them (same CallerReference).
          throw new ProviderError(
            `${err.message} (after ${count(ids.length, 'invalidation')} of this batch were created: ${ids.join(', ')})`,
            err.retryable,
            true
          )
        }
      }
      return { id: ids.join(','), op: batch.op, items: batch.items, submittedAt: this.ctx.now() }
    })
  }

  /** GetInvalidation for every invalidation of `tasks`; an item takes the status of the invalidation holding it. */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    const out: ItemStatus[] = []
    for (const task of tasks) {
      const host = hostOf(task.items[0]?.url ?? 'http://x')
      const distribution = this.distributionOf(host)
      const what = `cloudfront status of task ${shown(task.id, 100)}`
      if (distribution === null) throw new ProviderError(`${what}: no distribution-id for host ${shown(host, 200)}`)
      const words = new Map<string, string>()
      for (const id of task.id.split(',')) {
        const root = await this.call('GET', `/${CLOUDFRONT_API}/distribution/${distribution}/invalidation/${id}`, [], '', what, this.where(distribution, host))
        const word = textAt(root, 'Status')
        words.set(id, word)
        const entry = this.ledger.get(id)
        if (entry && word === 'Completed') entry.done = true
      }
      for (const item of task.items) {
        const holders = [...words.keys()].filter((id) => this.itemsOf.get(id)?.has(item.url))
        const ids = holders.length > 0 ? holders : [...words.keys()]
        const states = ids.map((id) => [id, words.get(id) ?? ''] as const)
        const pendingOne = states.find(([, w]) => mapStatus(w) !== 'success')
        const word = pendingOne ? pendingOne[1] : 'Completed'
        const state = stateOf(word, mapStatus, this.unknownWords, this.ctx.log, 'cloudfront: unknown invalidation status')
        out.push({ taskId: task.id, url: item.url, state, detail: word === '' ? 'no Status in GetInvalidation' : shown(word, 40) })
      }
    }
    return out
  }
}
