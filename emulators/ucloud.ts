/**
 * A strict emulator of UCloud's UCDN API (the New* refresh/prefetch actions and their
 * Describe* status calls) as /work/shared/docs/providers.md describes it: every answer is
 * HTTP 200 with a RetCode, the signature is checked exactly, per-call limits, the prefetch
 * interval and the daily per-domain quotas are enforced, and URLs move
 * wait → process → success/failure over time.
 */
import { createHash, randomInt } from 'node:crypto'
import { startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

export interface UcloudQuotas {
  /** File refreshes per domain per day. */
  file: number
  /** Directory refreshes per domain per day. */
  dir: number
  /** Prefetched URLs per domain per day. */
  prefetch: number
}

/** How the ucloud emulator behaves; every field has a default. */
export interface UcloudEmulatorOptions {
  /** publicKey → privateKey accepted by the signature check. */
  keys?: Record<string, string>
  /** Project ids the accounts have; a ProjectId outside it gets RetCode 292. Empty = any. */
  projects?: string[]
  /** A URL is final this long after its task was submitted (a third of it in `wait`, then `process`). */
  completeAfterMs?: number
  /** URLs that end `failure` (the status is per URL). */
  failUrls?: Iterable<string>
  /** URLs that never leave `process`. */
  stallUrls?: Iterable<string>
  /** Least time between two accepted prefetch calls of one account (documented: 10 s); 0 = none. */
  prefetchIntervalMs?: number
  /** Daily per-domain quotas (documented defaults: 700 files, 20 dirs, 500 prefetches). */
  quotas?: Partial<UcloudQuotas>
  /** Most tasks one Describe answer lists, whatever its Limit asks (to exercise paging). */
  maxPageSize?: number
  /** `lower` (documented: success, wait…) or `upper` (to check case-insensitive reading). */
  statusCase?: 'lower' | 'upper'
  /** The emulator's clock (ms since epoch); tests pass a fake one. */
  now?: () => number
  latencyMs?: number
  port?: number
}

export type UcloudUrlOutcome = 'success' | 'failure' | 'stall'

export interface UcloudTask {
  id: string
  kind: 'refresh' | 'prefetch'
  /** `file` or `dir` for a refresh; null for a prefetch. */
  type: 'file' | 'dir' | null
  /** The account (PublicKey) that submitted it. */
  account: string
  /** Submitted with `IsDcdn=true` (whole-site acceleration). */
  dcdn: boolean
  urls: string[]
  createdAt: number
  outcomes: Map<string, UcloudUrlOutcome>
}

export interface UcloudEmulator extends RunningEmulator {
  tasks: Map<string, UcloudTask>
  /** Requests received per Action, rejected and fault-served ones included (no Action: ''). */
  actionCounts(): Record<string, number>
  /** The parameters of every request received, in order, as the signature check reads them. */
  params(): Record<string, string>[]
}

export const UCLOUD_REFRESH_PER_CALL = 100
export const UCLOUD_PREFETCH_PER_CALL = 1000
export const UCLOUD_DEFAULT_QUOTAS: UcloudQuotas = { file: 700, dir: 20, prefetch: 500 }

/** Malformed or out-of-range parameters. UCloud's code for this is not in providers.md (inferred). */
export const UCLOUD_PARAMS_RETCODE = 230
/** Daily quota exhausted. No public RetCode or Message exists: this one is our choice (inferred). */
export const UCLOUD_QUOTA_RETCODE = 44012

const DAY_MS = 86_400_000
/** UCloud's day starts at midnight China time (UTC+8), so quotas reset then (inferred). */
const CHINA_OFFSET_MS = 8 * 3_600_000
const ACTIONS = ['RefreshNewUcdnDomainCache', 'PrefetchNewUcdnDomainCache', 'DescribeNewUcdnRefreshCacheTask', 'DescribeNewUcdnPrefetchCacheTask'] as const
const STATUS_WORDS = ['success', 'wait', 'process', 'failure', 'unknow']

type Params = Record<string, string>

/** The signature check, written apart from the client's so a shared mistake cannot hide. */
function expectedSignature(params: Params, privateKey: string): string {
  const keys = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .map((k) => ({ k, bytes: Buffer.from(k) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
  const hash = createHash('sha1')
  for (const { k } of keys) hash.update(k + params[k], 'utf8')
  hash.update(privateKey, 'utf8')
  return hash.digest('hex')
}

/**
 * The request's parameters: a JSON object of flat values (numbers and booleans as the
 * signature writes them), or, tolerantly, a form-encoded body or a GET query.
 * Returns a string naming the bad key when a value is not flat.
 */
function readParams(req: RecordedRequest): Params | string {
  if (req.method === 'GET') return Object.fromEntries(req.query)
  const text = req.body.trim()
  if (text.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return {}
    }
    const out: Params = {}
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof value === 'string') out[key] = value
      else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value)
      else if (typeof value === 'boolean') out[key] = value ? 'true' : 'false'
      else return key
    }
    return out
  }
  return Object.fromEntries(new URLSearchParams(text))
}

function randomTaskId(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
  return Array.from({ length: 8 }, () => letters[randomInt(letters.length)]).join('')
}

const isNatural = (s: string | undefined): boolean => s !== undefined && /^\d+$/.test(s)

export async function startUcloudEmulator(options: UcloudEmulatorOptions = {}): Promise<UcloudEmulator> {
  const keys = options.keys ?? { 'test-public-key': 'test-private-key' }
  const projects = new Set(options.projects ?? [])
  const completeAfterMs = options.completeAfterMs ?? 200
  const failUrls = new Set(options.failUrls ?? [])
  const stallUrls = new Set(options.stallUrls ?? [])
  const prefetchIntervalMs = options.prefetchIntervalMs ?? 10_000
  const quotas: UcloudQuotas = { ...UCLOUD_DEFAULT_QUOTAS, ...options.quotas }
  const maxPageSize = options.maxPageSize ?? Infinity
  const now = options.now ?? Date.now
  const word = (w: string): string => (options.statusCase === 'upper' ? w.toUpperCase() : w)

  const tasks = new Map<string, UcloudTask>()
  /** `day host quota-kind` → items used. */
  const quotaUsed = new Map<string, number>()
  /** account → time of its last accepted prefetch. */
  const lastPrefetch = new Map<string, number>()

  const answer = (action: string, retCode: number, fields: Record<string, unknown> = {}): EmulatorResponse => ({
    status: 200,
    body: { Action: `${action}Response`, RetCode: retCode, ...fields }
  })
  const fail = (action: string, retCode: number, message: string): EmulatorResponse => answer(action, retCode, { Message: message })
  const badParam = (action: string, key: string, why: string): EmulatorResponse => fail(action, UCLOUD_PARAMS_RETCODE, `Params [${key}] not available: ${why}`)

  /** The UrlList.0…N-1 of a submit, or an error answer. */
  function urlList(action: string, params: Params, max: number): string[] | EmulatorResponse {
    const indices = Object.keys(params)
      .map((k) => /^UrlList\.(\d+)$/.exec(k))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b)
    if (indices.length === 0) return fail(action, UCLOUD_PARAMS_RETCODE, 'Missing params [UrlList.0]')
    if (indices.some((n, i) => n !== i)) return badParam(action, 'UrlList', 'indices must run 0, 1, 2… without gaps')
    if (indices.length > max) return badParam(action, 'UrlList', `at most ${max} URLs per call, got ${indices.length}`)
    const urls = indices.map((i) => params[`UrlList.${i}`])
    for (const [i, url] of urls.entries()) {
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        return badParam(action, `UrlList.${i}`, 'must start with http:// or https:// and a domain')
      }
      if (!/^https?:$/.test(parsed.protocol) || !/^https?:\/\/[^/]+\//.test(url))
        return badParam(action, `UrlList.${i}`, 'must start with http:// or https:// and a domain')
    }
    return urls
  }

  /** Takes `urls` from the day's quota of each of their domains, or names the quota exhausted. */
  function takeQuota(action: string, urls: string[], kind: keyof UcloudQuotas): EmulatorResponse | null {
    const day = Math.floor((now() + CHINA_OFFSET_MS) / DAY_MS)
    const perHost = new Map<string, number>()
    for (const url of urls) {
      const host = new URL(url).host
      perHost.set(host, (perHost.get(host) ?? 0) + 1)
    }
    const what = kind === 'file' ? 'refresh of files' : kind === 'dir' ? 'refresh of directories' : 'prefetch'
    for (const [host, count] of perHost) {
      const used = quotaUsed.get(`${day} ${host} ${kind}`) ?? 0
      if (used + count > quotas[kind]) {
        return fail(
          action,
          UCLOUD_QUOTA_RETCODE,
          `Daily quota exceeded: ${what} on ${host} is limited to ${quotas[kind]} a day (${used} used today, ${count} asked)`
        )
      }
    }
    for (const [host, count] of perHost) quotaUsed.set(`${day} ${host} ${kind}`, (quotaUsed.get(`${day} ${host} ${kind}`) ?? 0) + count)
    return null
  }

  function addTask(account: string, kind: UcloudTask['kind'], type: UcloudTask['type'], urls: string[], dcdn: boolean): string {
    let id = randomTaskId()
    while (tasks.has(id)) id = randomTaskId()
    const outcomes = new Map<string, UcloudUrlOutcome>()
    for (const url of urls) outcomes.set(url, stallUrls.has(url) ? 'stall' : failUrls.has(url) ? 'failure' : 'success')
    tasks.set(id, { id, kind, type, account, dcdn, urls, createdAt: now(), outcomes })
    return id
  }

  function refresh(action: string, account: string, params: Params): EmulatorResponse {
    const type = params.Type
    if (type === undefined) return fail(action, UCLOUD_PARAMS_RETCODE, 'Missing params [Type]')
    if (type !== 'file' && type !== 'dir') return badParam(action, 'Type', `must be file or dir, got '${type}'`)
    const urls = urlList(action, params, UCLOUD_REFRESH_PER_CALL)
    if (!Array.isArray(urls)) return urls
    if (type === 'dir') {
      const i = urls.findIndex((u) => !u.endsWith('/'))
      if (i >= 0) return badParam(action, `UrlList.${i}`, 'a directory must end with /')
    }
    const exhausted = takeQuota(action, urls, type)
    if (exhausted) return exhausted
    return answer(action, 0, { TaskId: addTask(account, 'refresh', type, urls, params.IsDcdn === 'true') })
  }

  function prefetch(action: string, account: string, params: Params): EmulatorResponse {
    const urls = urlList(action, params, UCLOUD_PREFETCH_PER_CALL)
    if (!Array.isArray(urls)) return urls
    const last = lastPrefetch.get(account)
    if (prefetchIntervalMs > 0 && last !== undefined && now() - last < prefetchIntervalMs) {
      // The RetCode is documented (153); the Message wording is ours (inferred).
      return fail(action, 153, `Request too frequently: at most one ${action} call per ${prefetchIntervalMs / 1000} s`)
    }
    const exhausted = takeQuota(action, urls, 'prefetch')
    if (exhausted) return exhausted
    lastPrefetch.set(account, now())
    return answer(action, 0, { TaskId: addTask(account, 'prefetch', null, urls, params.IsDcdn === 'true') })
  }

  /** One URL's status at this moment. */
  function urlState(task: UcloudTask, url: string): { status: string; progress: number; finishedAt: number } {
    const elapsed = now() - task.createdAt
    const outcome = task.outcomes.get(url) ?? 'success'
    if (outcome !== 'stall' && elapsed >= completeAfterMs) {
      return { status: outcome, progress: outcome === 'success' ? 100 : 0, finishedAt: task.createdAt + completeAfterMs }
    }
    if (outcome !== 'stall' && elapsed < completeAfterMs / 3) return { status: 'wait', progress: 0, finishedAt: 0 }
    const progress = Math.max(1, Math.min(outcome === 'stall' ? 50 : 99, Math.floor((100 * elapsed) / Math.max(1, completeAfterMs))))
    return { status: 'process', progress, finishedAt: 0 }
  }

  function taskState(task: UcloudTask): string {
    const words = task.urls.map((u) => urlState(task, u).status)
    if (words.every((w) => w === 'wait')) return 'wait'
    if (words.some((w) => w === 'wait' || w === 'process')) return 'process'
    return words.includes('failure') ? 'failure' : 'success'
  }

  function describe(action: string, account: string, params: Params, kind: UcloudTask['kind']): EmulatorResponse {
    for (const key of ['Offset', 'Limit', 'BeginTime', 'EndTime']) {
      if (params[key] !== undefined && !isNatural(params[key])) return badParam(action, key, 'must be a natural number')
    }
    if (params.EndTime !== undefined && params.BeginTime === undefined) return badParam(action, 'BeginTime', 'is required when EndTime is given')
    if (params.Status !== undefined && !STATUS_WORDS.includes(params.Status)) return badParam(action, 'Status', `must be one of ${STATUS_WORDS.join(', ')}`)
    // Defaults per the vendor page: EndTime now, BeginTime one day before it.
    const end = params.EndTime !== undefined ? Number(params.EndTime) : Math.floor(now() / 1000)
    const begin = params.BeginTime !== undefined ? Number(params.BeginTime) : end - 86_400
    const ids = Object.keys(params)
      .filter((k) => /^TaskId\.\d+$/.test(k))
      .map((k) => params[k])
    const wanted = ids.length > 0 ? new Set(ids) : null
    const matching = [...tasks.values()]
      // Whole-site acceleration tasks are listed only to calls with the same IsDcdn (inferred).
      .filter((t) => t.account === account && t.kind === kind && t.dcdn === (params.IsDcdn === 'true') && (wanted === null || wanted.has(t.id)))
      .filter((t) => {
        const created = Math.floor(t.createdAt / 1000)
        return created >= begin && created <= end
      })
      .filter((t) => params.Status === undefined || taskState(t) === params.Status)
      .sort((a, b) => b.createdAt - a.createdAt)
    const offset = Number(params.Offset ?? 0)
    const limit = Math.min(params.Limit !== undefined ? Number(params.Limit) : Infinity, maxPageSize)
    const page = matching.slice(offset, offset + limit)
    return answer(action, 0, {
      TotalCount: matching.length,
      TaskList: page.map((t) => ({
        TaskId: t.id,
        CreateTime: Math.floor(t.createdAt / 1000),
        Status: word(taskState(t)),
        UrlLists: t.urls.map((url) => {
          const s = urlState(t, url)
          return {
            Url: url,
            CreateTime: Math.floor(t.createdAt / 1000),
            FinishTime: Math.floor(s.finishedAt / 1000),
            Status: word(s.status),
            Progress: s.progress
          }
        })
      }))
    })
  }

  function handle(req: RecordedRequest): EmulatorResponse {
    if (req.path !== '/') return { status: 404, body: 'Not Found' }
    const read = readParams(req)
    if (typeof read === 'string') return badParam('', read, 'must be a string, number or boolean (flatten lists as Key.0, Key.1…)')
    const params = read
    const action = params.Action ?? ''
    if (action === '') return fail('', 160, 'Missing Action')
    if (params.Signature === undefined || params.Signature === '') return fail(action, 170, 'Missing signature')
    const account = params.PublicKey ?? ''
    const privateKey = Object.hasOwn(keys, account) ? keys[account] : undefined
    if (privateKey === undefined) return fail(action, 172, 'User not exists')
    if (params.Signature !== expectedSignature(params, privateKey)) return fail(action, 171, 'Signature VerifyAC Error')
    if (!(ACTIONS as readonly string[]).includes(action)) return fail(action, 161, `Action [${action}] not found`)
    if (params.ProjectId !== undefined && projects.size > 0 && !projects.has(params.ProjectId)) return fail(action, 292, 'Project not exists')
    // IsDcdn: boolean, default false (the Describe vendor page, seeds/004; providers.md §3's common params).
    if (params.IsDcdn !== undefined && params.IsDcdn !== 'true' && params.IsDcdn !== 'false') return badParam(action, 'IsDcdn', 'must be true or false')
    switch (action) {
      case 'RefreshNewUcdnDomainCache':
        return refresh(action, account, params)
      case 'PrefetchNewUcdnDomainCache':
        return prefetch(action, account, params)
      case 'DescribeNewUcdnRefreshCacheTask':
        return describe(action, account, params, 'refresh')
      default:
        return describe(action, account, params, 'prefetch')
    }
  }

  const server = await startServer(handle, { latencyMs: options.latencyMs, port: options.port })
  const paramsOf = (req: RecordedRequest): Params => {
    const read = readParams(req)
    return typeof read === 'string' ? {} : read
  }
  return Object.assign(server, {
    tasks,
    actionCounts: () => {
      const counts: Record<string, number> = {}
      for (const req of server.requests) {
        const action = paramsOf(req).Action ?? ''
        counts[action] = (counts[action] ?? 0) + 1
      }
      return counts
    },
    params: () => server.requests.map(paramsOf)
  })
}
