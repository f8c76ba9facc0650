/**
 * A strict stand-in for Tencent Cloud CDN API 2018-06-06 (providers-next.md §2): TC3-HMAC-SHA256
 * verified exactly over the headers the request declares as signed, X-TC-* headers and time
 * skew checked, per-call limits, daily quotas per area, 20 requests/s per action, errors as
 * HTTP 200 + `Response.Error`, one status row per URL moving process → done/fail/invalid over
 * time, and paging. Fault injection comes from server.ts.
 * Its signature code is written apart from the client's signer on purpose. Error codes are
 * §2's; the Message wording is ours (§2: match Code, the wording may change).
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

export type TencentArea = 'mainland' | 'overseas'

export interface TencentQuotas {
  urlPurge: number
  pathPurge: number
  push: number
}

/** Per call (§2 "Limits": 1,000 URLs, 500 directories (was 20), 500 prefetch URLs (was 20)). */
export const TENCENT_BATCH: TencentQuotas = { urlPurge: 1000, pathPurge: 500, push: 500 }
/** Per day and per area (§2 "Limits": 10,000 URL purges, 100 directory purges, 1,000 prefetches). */
export const TENCENT_DEFAULT_QUOTAS: TencentQuotas = { urlPurge: 10000, pathPurge: 100, push: 1000 }
export const TENCENT_VERSION = '2018-06-06'
/** Rows per Describe*Tasks page by default: not stated by Tencent (§6 open point); 1,000 here, the test options try others. */
export const TENCENT_MAX_PAGE_SIZE = 1000

/** How the emulator behaves; every field has a default. */
export interface TencentEmulatorOptions {
  /** SecretId → SecretKey accepted by the signature check. */
  keys?: Record<string, string>
  /** SecretId → session token it needs in X-TC-Token (temporary credentials, §2 "Endpoint"). */
  tokens?: Record<string, string>
  /** A URL is final this long after its task was submitted; `process` before. Default 200. */
  completeAfterMs?: number
  /** URLs that end `fail`. */
  failUrls?: Iterable<string>
  /** Prefetch URLs that end `invalid` (the origin answered 4xx/5xx, §0 status table). */
  invalidUrls?: Iterable<string>
  /** URLs that never leave `process`. */
  stallUrls?: Iterable<string>
  /** Daily quotas per area (defaults as documented). */
  quotas?: Partial<TencentQuotas>
  /** Daily quotas of one area, over `quotas` (§2 "Limits": each area counted apart; real quotas differ per account). */
  areaQuotas?: Partial<Record<TencentArea, Partial<TencentQuotas>>>
  /** Per-call limits (defaults as documented). */
  batch?: Partial<TencentQuotas>
  /** Host → area of the domain; hosts not listed are `mainland`. */
  domainAreas?: Record<string, TencentArea | 'global'>
  /** Requests per second per action and SecretId (§2 "Limits": 20). 0 = none. */
  requestsPerSecond?: number
  /** Most rows a Describe*Tasks page holds (the real maximum is not stated, §6). Default TENCENT_MAX_PAGE_SIZE. */
  maxPageSize?: number
  /** A Limit above maxPageSize: answered with maxPageSize rows (`cap`, default) or refused as InvalidParameterValue (`refuse`). */
  overLimit?: 'cap' | 'refuse'
  /**
   * How Describe*Tasks rows spell `Url`: as sent (default), or percent-decoded (`decodeURI`, e.g.
   * raw non-ASCII and spaces). §2 does not say which, so clients must match either.
   */
  urlSpelling?: 'sent' | 'decoded'
  /** Largest |X-TC-Timestamp − now| accepted, seconds (§2: more than 5 minutes fails). */
  maxSkewSeconds?: number
  /** The emulator's clock (ms since epoch); tests pass a fake one. */
  now?: () => number
  latencyMs?: number
  port?: number
}

export type TencentOutcome = 'done' | 'fail' | 'invalid' | 'stall'

export interface TencentTask {
  id: string
  kind: 'url' | 'path' | 'push'
  account: string
  urls: string[]
  flushType?: string
  area: TencentArea | 'global'
  createdAt: number
  outcomes: Map<string, TencentOutcome>
}

export interface TencentEmulator extends RunningEmulator {
  tasks: Map<string, TencentTask>
  /** Requests received per X-TC-Action header, rejected and fault-served ones included. */
  actionCounts(): Record<string, number>
  /** Error codes answered so far, by code. */
  errorCounts(): Record<string, number>
}

const DAY_MS = 86_400_000
/** Times in requests and answers are China time (UTC+8): the API's region (inferred; §2 is silent). */
const CHINA_OFFSET_MS = 8 * 3_600_000
const ACTIONS = [
  'PurgeUrlsCache',
  'PurgePathCache',
  'PushUrlsCache',
  'DescribePurgeTasks',
  'DescribePushTasks',
  'DescribePurgeQuota',
  'DescribePushQuota'
] as const

/** `YYYY-MM-DD hh:mm:ss` in China time, as §2's Describe*Tasks take and answer. */
export function chinaTime(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}

function parseChinaTime(text: unknown): number | null {
  if (typeof text !== 'string') return null
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text)
  if (!m) return null
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])
  return Number.isNaN(ms) ? null : ms - CHINA_OFFSET_MS
}

const hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex')
const mac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest()

export interface Tc3Check {
  ok: boolean
  /** The `AuthFailure.*` code when not ok. */
  code?: string
  message?: string
  secretId?: string
}

/**
 * Verifies a TC3-HMAC-SHA256 Authorization over the headers it declares signed (§ conventions:
 * check the minimum set, then verify over SignedHeaders; §2 steps 1–4). `headers` are lowercase.
 */
export function verifyTc3(
  req: { method: string; path: string; query: string; headers: Record<string, string | undefined>; body: string },
  secretKeyOf: (secretId: string) => string | undefined,
  service: string
): Tc3Check {
  const auth = req.headers.authorization ?? ''
  const m = /^TC3-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
    auth
  )
  if (!m)
    return {
      ok: false,
      code: 'AuthFailure.InvalidAuthorization',
      message: 'Authorization header is missing or malformed; expected TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=….'
    }
  const [, secretId, date, scopeService, signedList, signature] = m
  const signed = signedList.split(';')
  if (!signed.includes('content-type') || !signed.includes('host'))
    return { ok: false, code: 'AuthFailure.InvalidAuthorization', message: 'SignedHeaders must include content-type and host.', secretId }
  if ([...signed].sort().join(';') !== signedList || new Set(signed).size !== signed.length)
    return { ok: false, code: 'AuthFailure.InvalidAuthorization', message: 'SignedHeaders must be sorted and unique.', secretId }
  const secretKey = secretKeyOf(secretId)
  if (secretKey === undefined)
    return { ok: false, code: 'AuthFailure.SecretIdNotFound', message: 'The SecretId is not found, please ensure that your SecretId is correct.', secretId }
  const timestamp = Number(req.headers['x-tc-timestamp'])
  // The scope's date is the UTC date of X-TC-Timestamp (§2 step 2).
  if (scopeService !== service || date !== new Date(timestamp * 1000).toISOString().slice(0, 10))
    return {
      ok: false,
      code: 'AuthFailure.SignatureFailure',
      message: 'The provided credentials could not be validated: credential scope date or service does not match.',
      secretId
    }
  let canonicalHeaders = ''
  for (const name of signed) {
    const value = req.headers[name]
    if (value === undefined) return { ok: false, code: 'AuthFailure.SignatureFailure', message: `Signed header ${name} is absent.`, secretId }
    canonicalHeaders += `${name}:${name === 'x-tc-action' ? value.trim().toLowerCase() : value.trim()}\n`
  }
  const canonical = `${req.method}\n${req.path}\n${req.query}\n${canonicalHeaders}\n${signedList}\n${hex(Buffer.from(req.body, 'utf8'))}`
  const toSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/${service}/tc3_request\n${hex(canonical)}`
  const key = mac(mac(mac('TC3' + secretKey, date), service), 'tc3_request')
  const expected = createHmac('sha256', key).update(toSign).digest()
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return {
      ok: false,
      code: 'AuthFailure.SignatureFailure',
      message: 'The provided credentials could not be validated. Please check your signature is correct.',
      secretId
    }
  return { ok: true, secretId }
}

type Json = Record<string, unknown>

export async function startTencentEmulator(options: TencentEmulatorOptions = {}): Promise<TencentEmulator> {
  const keys = options.keys ?? { AKIDtest: 'test-secret-key' }
  const tokens = options.tokens ?? {}
  const completeAfterMs = options.completeAfterMs ?? 200
  const failUrls = new Set(options.failUrls ?? [])
  const invalidUrls = new Set(options.invalidUrls ?? [])
  const stallUrls = new Set(options.stallUrls ?? [])
  const baseQuotas: TencentQuotas = { ...TENCENT_DEFAULT_QUOTAS, ...options.quotas }
  const quotaOf = (area: TencentArea, kind: keyof TencentQuotas): number => options.areaQuotas?.[area]?.[kind] ?? baseQuotas[kind]
  const batch: TencentQuotas = { ...TENCENT_BATCH, ...options.batch }
  const domainAreas = options.domainAreas ?? {}
  const rps = options.requestsPerSecond ?? 20
  const maxPageSize = options.maxPageSize ?? TENCENT_MAX_PAGE_SIZE
  const maxSkew = options.maxSkewSeconds ?? 300
  const spell = (url: string): string => {
    if (options.urlSpelling !== 'decoded') return url
    try {
      return decodeURI(url)
    } catch {
      return url
    }
  }
  const now = options.now ?? Date.now

  const tasks = new Map<string, TencentTask>()
  const errors: Record<string, number> = {}
  /** `account day area kind` → items used. */
  const used = new Map<string, number>()
  /** `account action second` → requests. */
  const perSecond = new Map<string, number>()
  let nextId = 1_000_000_000

  // Every answer: HTTP 200, {"Response": {…, "RequestId"}} (§2 "Errors" [T6]).
  const ok = (fields: Json): EmulatorResponse => ({ status: 200, body: { Response: { ...fields, RequestId: randomUUID() } } })
  const error = (code: string, message: string): EmulatorResponse => {
    errors[code] = (errors[code] ?? 0) + 1
    return { status: 200, body: { Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() } } }
  }

  const day = (): number => Math.floor((now() + CHINA_OFFSET_MS) / DAY_MS)
  const usedOf = (account: string, area: TencentArea, kind: keyof TencentQuotas): number => used.get(`${account} ${day()} ${area} ${kind}`) ?? 0
  const hostOf = (url: string): string => {
    try {
      return new URL(url).host
    } catch {
      return ''
    }
  }

  /** The list parameter of a submit, checked (§2 "Operations": each with http:// or https://). */
  function urlList(params: Json, key: string, limit: number, batchCode: string): string[] | EmulatorResponse {
    const list = params[key]
    if (list === undefined) return error('MissingParameter', `The request is missing a required parameter \`${key}\`.`)
    if (!Array.isArray(list) || list.length === 0 || list.some((u) => typeof u !== 'string'))
      return error('InvalidParameter.CdnParamError', `${key} must be a non-empty array of strings.`)
    // §2 "Errors": per-call limit codes.
    if (list.length > limit) return error(batchCode, `At most ${limit} entries per call, got ${list.length}.`)
    // §2 "Operations": each entry with http:// or https://; §2 "Errors", invalid parameter [T5][T8]: wildcard codes.
    for (const url of list as string[]) {
      if (!/^https?:\/\/[^/]+/.test(url) || hostOf(url) === '')
        return error('InvalidParameter.CdnParamError', `Each entry of ${key} must start with http:// or https:// and a domain.`)
      if (/[*]/.test(url))
        return error(
          key === 'Urls' && batchCode.includes('Push') ? 'InvalidParameter.CdnPushWildcardNotAllowed' : 'InvalidParameter.CdnPurgeWildcardNotAllowed',
          'Wildcards are not allowed.'
        )
    }
    return list as string[]
  }

  /** The first URL whose domain is not accelerated in `area` (a global domain is in both). */
  const outside = (urls: string[], area: unknown) =>
    urls.find((u) => {
      const d = domainAreas[hostOf(u)] ?? 'mainland'
      return d !== 'global' && d !== area
    })

  /**
   * A prefetch's area must be one its domains are accelerated in (SDK PushUrlsCacheRequest.Area:
   * "URL 中域名必须在对应区域启用了加速服务", tencentcloud-sdk-go cdn/v20180606 models.go). The
   * code for it is not documented: the generic parameter error here.
   */
  function pushArea(urls: string[], area: TencentArea | 'global'): (TencentArea | 'global')[] | EmulatorResponse {
    const off = outside(urls, area)
    if (off)
      return error('InvalidParameter.CdnParamError', `${hostOf(off)} is not accelerated in ${area}; a prefetch goes to the area given (default mainland).`)
    return [area]
  }

  /** The areas a submit is charged to: `Area`, else the domain's (§2 "Operations"). */
  function areasOf(urls: string[], area: unknown, push: boolean): (TencentArea | 'global')[] | EmulatorResponse {
    const allowed = push ? ['mainland', 'overseas', 'global'] : ['mainland', 'overseas']
    if (area !== undefined && (typeof area !== 'string' || !allowed.includes(area)))
      return error('InvalidParameterValue', `Area must be one of ${allowed.join(', ')}.`)
    if (area !== undefined) {
      // Purge: Area must match the domain's area (§2 "Operations", PurgeUrlsCache).
      if (!push) {
        const off = outside(urls, area)
        if (off) return error('InvalidParameter.CdnParamError', `Area ${String(area)} does not match the area of ${hostOf(off)}.`)
      }
      return push ? pushArea(urls, area as TencentArea | 'global') : [area as TencentArea | 'global']
    }
    // Push without Area: mainland (documented default). Purge: the domain's area.
    if (push) return pushArea(urls, 'mainland')
    return [...new Set(urls.map((u) => domainAreas[hostOf(u)] ?? 'mainland'))]
  }

  /** Charges the day's quota; `global` consumes both regions (§2 "Limits", since 2024-01). */
  function charge(account: string, areas: (TencentArea | 'global')[], kind: keyof TencentQuotas, count: number, dayCode: string): EmulatorResponse | null {
    const regions = [...new Set(areas.flatMap((a): TencentArea[] => (a === 'global' ? ['mainland', 'overseas'] : [a])))]
    for (const region of regions) {
      const before = usedOf(account, region, kind)
      const total = quotaOf(region, kind)
      if (before + count > total) return error(dayCode, `Daily ${kind} quota of ${region} exceeded: ${total} a day, ${total - before} left, ${count} asked.`)
    }
    for (const region of regions) used.set(`${account} ${day()} ${region} ${kind}`, usedOf(account, region, kind) + count)
    return null
  }

  function addTask(account: string, kind: TencentTask['kind'], urls: string[], area: TencentTask['area'], flushType?: string): string {
    const id = `${(nextId++).toString(16)}-${randomUUID().slice(0, 8)}`
    const outcomes = new Map<string, TencentOutcome>()
    for (const url of urls) {
      outcomes.set(url, stallUrls.has(url) ? 'stall' : failUrls.has(url) ? 'fail' : kind === 'push' && invalidUrls.has(url) ? 'invalid' : 'done')
    }
    tasks.set(id, { id, kind, account, urls, area, flushType, createdAt: now(), outcomes })
    return id
  }

  function purge(account: string, params: Json, kind: 'url' | 'path'): EmulatorResponse {
    const key = kind === 'url' ? 'Urls' : 'Paths'
    const quota = kind === 'url' ? 'urlPurge' : 'pathPurge'
    const list = urlList(params, key, batch[quota], kind === 'url' ? 'LimitExceeded.CdnPurgeUrlExceedBatchLimit' : 'LimitExceeded.CdnPurgePathExceedBatchLimit')
    if (!Array.isArray(list)) return list
    // FlushType is required for PurgePathCache (§2 "Operations").
    if (kind === 'path') {
      if (params.FlushType === undefined) return error('MissingParameter', 'The request is missing a required parameter `FlushType`.')
      if (params.FlushType !== 'flush' && params.FlushType !== 'delete') return error('InvalidParameterValue', 'FlushType must be flush or delete.')
    }
    if (params.UrlEncode !== undefined && typeof params.UrlEncode !== 'boolean') return error('InvalidParameterValue', 'UrlEncode must be a boolean.')
    const areas = areasOf(list, params.Area, false)
    if (!Array.isArray(areas)) return areas
    const refused = charge(
      account,
      areas,
      quota,
      list.length,
      kind === 'url' ? 'LimitExceeded.CdnPurgeUrlExceedDayLimit' : 'LimitExceeded.CdnPurgePathExceedDayLimit'
    )
    if (refused) return refused
    return ok({ TaskId: addTask(account, kind, list, areas.length === 1 ? areas[0] : 'global', params.FlushType as string | undefined) })
  }

  function push(account: string, params: Json): EmulatorResponse {
    const list = urlList(params, 'Urls', batch.push, 'LimitExceeded.CdnPushExceedBatchLimit')
    if (!Array.isArray(list)) return list
    // §2 "Operations", PushUrlsCache: Layer is `middle` or omitted [T5].
    if (params.Layer !== undefined && params.Layer !== 'middle') return error('InvalidParameterValue', 'Layer must be middle or omitted.')
    const areas = areasOf(list, params.Area, true)
    if (!Array.isArray(areas)) return areas
    const refused = charge(account, areas, 'push', list.length, 'LimitExceeded.CdnPushExceedDayLimit')
    if (refused) return refused
    return ok({ TaskId: addTask(account, 'push', list, areas[0]) })
  }

  /** One URL's state now: `process` until completeAfterMs, then its outcome. */
  function state(task: TencentTask, url: string): { status: string; percent: number; updatedAt: number } {
    const outcome = task.outcomes.get(url) ?? 'done'
    const elapsed = now() - task.createdAt
    if (outcome !== 'stall' && elapsed >= completeAfterMs)
      return { status: outcome, percent: outcome === 'done' ? 100 : 0, updatedAt: task.createdAt + completeAfterMs }
    const percent = Math.max(0, Math.min(outcome === 'stall' ? 50 : 99, Math.floor((100 * elapsed) / Math.max(1, completeAfterMs))))
    return { status: 'process', percent, updatedAt: now() }
  }

  function describe(account: string, params: Json, push: boolean): EmulatorResponse {
    // TaskId or StartTime is required (§2 "Operations").
    const taskId = params.TaskId
    if (taskId !== undefined && typeof taskId !== 'string') return error('InvalidParameterValue', 'TaskId must be a string.')
    if (taskId === undefined && params.StartTime === undefined) return error('MissingParameter', 'Either TaskId or StartTime is required.')
    const start = params.StartTime === undefined ? -Infinity : parseChinaTime(params.StartTime)
    const end = params.EndTime === undefined ? Infinity : parseChinaTime(params.EndTime)
    if (start === null) return error('InvalidParameterValue', 'StartTime must be YYYY-MM-DD hh:mm:ss.')
    if (end === null) return error('InvalidParameterValue', 'EndTime must be YYYY-MM-DD hh:mm:ss.')
    for (const k of ['Offset', 'Limit']) {
      const v = params[k]
      if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'Limit' ? 1 : 0)))
        return error('InvalidParameterValue', `${k} must be a ${k === 'Limit' ? 'positive' : 'natural'} integer.`)
    }
    // §2 "Operations": PurgeType url | path, StartTime/EndTime `YYYY-MM-DD hh:mm:ss`, Offset/Limit, Status
    // (push adds `invalid`) [T5]; §2 "Errors": the common InvalidParameterValue / UnknownParameter [T5][T8].
    const purgeType = params.PurgeType
    if (!push && purgeType !== undefined && purgeType !== 'url' && purgeType !== 'path') return error('InvalidParameterValue', 'PurgeType must be url or path.')
    if (push && purgeType !== undefined) return error('UnknownParameter', 'The parameter `PurgeType` is not recognized.')
    const statuses = push ? ['done', 'process', 'fail', 'invalid'] : ['done', 'process', 'fail']
    if (params.Status !== undefined && !statuses.includes(params.Status as string))
      return error('InvalidParameterValue', `Status must be one of ${statuses.join(', ')}.`)
    const keyword = typeof params.Keyword === 'string' ? params.Keyword : undefined
    const rows: { task: TencentTask; url: string; s: ReturnType<typeof state> }[] = []
    const sorted = [...tasks.values()].filter((t) => t.account === account).sort((a, b) => b.createdAt - a.createdAt)
    for (const t of sorted) {
      if (push !== (t.kind === 'push')) continue
      if (!push && purgeType !== undefined && t.kind !== purgeType) continue
      if (taskId !== undefined && t.id !== taskId) continue
      const created = Math.floor(t.createdAt / 1000) * 1000
      if (created < start || created > end) continue
      for (const url of t.urls) {
        // Keyword: a domain or a full http(s):// URL (§2 "Operations").
        if (keyword !== undefined && (/^https?:\/\//.test(keyword) ? url !== keyword : hostOf(url) !== keyword)) continue
        const s = state(t, url)
        if (params.Status !== undefined && s.status !== params.Status) continue
        rows.push({ task: t, url, s })
      }
    }
    const offset = (params.Offset as number | undefined) ?? 0
    // Limit defaults to 20 (§2 "Operations"); its maximum is not stated (§6), so both answers to one over it are offered.
    if (options.overLimit === 'refuse' && ((params.Limit as number | undefined) ?? 20) > maxPageSize)
      return error('InvalidParameterValue', `Limit must be at most ${maxPageSize}.`)
    const limit = Math.min((params.Limit as number | undefined) ?? 20, maxPageSize)
    const page = rows.slice(offset, offset + limit)
    if (push) {
      return ok({
        TotalCount: rows.length,
        PushLogs: page.map(({ task, url, s }) => ({
          TaskId: task.id,
          Url: spell(url),
          Status: s.status,
          Percent: s.percent,
          CreateTime: chinaTime(task.createdAt),
          UpdateTime: chinaTime(s.updatedAt),
          Area: task.area
        }))
      })
    }
    return ok({
      TotalCount: rows.length,
      PurgeLogs: page.map(({ task, url, s }) => ({
        TaskId: task.id,
        Url: spell(url),
        Status: s.status,
        PurgeType: task.kind,
        FlushType: task.flushType ?? 'flush',
        CreateTime: chinaTime(task.createdAt)
      }))
    })
  }

  function quota(account: string, kinds: [string, keyof TencentQuotas][]): EmulatorResponse {
    const fields: Json = {}
    for (const [field, kind] of kinds) {
      fields[field] = (['mainland', 'overseas'] as TencentArea[]).map((area) => ({
        Batch: batch[kind],
        Total: quotaOf(area, kind),
        Available: Math.max(0, quotaOf(area, kind) - usedOf(account, area, kind)),
        Area: area
      }))
    }
    return ok(fields)
  }

  function handle(req: RecordedRequest): EmulatorResponse {
    if (req.path !== '/') return { status: 404, body: 'Not Found' }
    const h = (name: string): string | undefined => {
      const v = req.headers[name]
      return Array.isArray(v) ? v.join(',') : v
    }
    // POST with a JSON body (§2 "Endpoint and transport"); GET is the other documented style but not used here.
    if (req.method !== 'POST') return error('InvalidParameter', 'Only POST with a JSON body is served by this emulator.')
    const contentType = h('content-type') ?? ''
    if (!/^application\/json(\s*;\s*charset=utf-8)?$/i.test(contentType)) return error('InvalidParameter', 'Content-Type must be application/json.')
    const action = h('x-tc-action') ?? ''
    if (action === '') return error('MissingParameter', 'The request is missing a required parameter `X-TC-Action`.')
    // §2 "Endpoint and transport": X-TC-Action and X-TC-Timestamp (unix seconds) are required headers.
    const ts = h('x-tc-timestamp') ?? ''
    if (!/^\d+$/.test(ts)) return error('MissingParameter', 'The request is missing a required parameter `X-TC-Timestamp`.')
    // More than 5 minutes of skew fails with AuthFailure.SignatureExpire (§2 [T2][T3]).
    if (Math.abs(Number(ts) - Math.floor(now() / 1000)) > maxSkew)
      return error('AuthFailure.SignatureExpire', 'Signature expired. Timestamp and server time cannot differ by more than five minutes.')
    const headers: Record<string, string | undefined> = {}
    for (const name of Object.keys(req.headers)) headers[name] = h(name)
    const check = verifyTc3(
      { method: req.method, path: '/', query: '', headers, body: req.body },
      (id) => (Object.hasOwn(keys, id) ? keys[id] : undefined),
      'cdn'
    )
    if (!check.ok) return error(check.code!, check.message!)
    const account = check.secretId!
    // X-TC-Token: required with temporary credentials (§2 [T2]).
    if (Object.hasOwn(tokens, account) && h('x-tc-token') !== tokens[account]) return error('AuthFailure.TokenFailure', 'Token verification failed.')
    if (!(ACTIONS as readonly string[]).includes(action)) return error('InvalidAction', `The action ${action} does not exist.`)
    // X-TC-Version: 2018-06-06 (§2 "Endpoint and transport"); the code for another version is ours (inferred).
    if (h('x-tc-version') !== TENCENT_VERSION) return error('NoSuchVersion', `The API version \`${h('x-tc-version') ?? ''}\` does not exist.`)
    // X-TC-Region is optional and not needed for CDN (§2): any value is accepted.
    // 20 requests/s for each action (§2 "Limits" [T1][T5]).
    if (rps > 0) {
      const slot = `${account} ${action} ${Math.floor(now() / 1000)}`
      const n = (perSecond.get(slot) ?? 0) + 1
      perSecond.set(slot, n)
      if (n > rps) return error('RequestLimitExceeded', 'Your current request times exceed the limit, please retry later.')
    }
    let params: unknown
    try {
      params = req.body === '' ? {} : JSON.parse(req.body)
    } catch {
      return error('InvalidParameter', 'The request body is not valid JSON.')
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return error('InvalidParameter', 'The request body must be a JSON object.')
    const p = params as Json
    switch (action) {
      case 'PurgeUrlsCache':
        return purge(account, p, 'url')
      case 'PurgePathCache':
        return purge(account, p, 'path')
      case 'PushUrlsCache':
        return push(account, p)
      case 'DescribePurgeTasks':
        return describe(account, p, false)
      case 'DescribePushTasks':
        return describe(account, p, true)
      case 'DescribePurgeQuota':
        return quota(account, [
          ['UrlPurge', 'urlPurge'],
          ['PathPurge', 'pathPurge']
        ])
      default:
        return quota(account, [['UrlPush', 'push']])
    }
  }

  const server = await startServer(handle, { latencyMs: options.latencyMs, port: options.port })
  return Object.assign(server, {
    tasks,
    actionCounts: () => {
      const counts: Record<string, number> = {}
      for (const req of server.requests) {
        const a = String(req.headers['x-tc-action'] ?? '')
        counts[a] = (counts[a] ?? 0) + 1
      }
      return counts
    },
    errorCounts: () => ({ ...errors })
  })
}
