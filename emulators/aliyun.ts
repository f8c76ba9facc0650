/**
 * A strict stand-in for Alibaba Cloud CDN's API 2018-05-10 (providers-next.md §1, "§1" below):
 * RPC HMAC-SHA1 and ACS3-HMAC-SHA256 signatures checked exactly, time skew and nonce reuse,
 * per-call limits, daily quotas, calls per second, errors as `{RequestId, HostId, Code,
 * Message}` with an HTTP 4xx/5xx, and tasks moving Pending → Refreshing → Complete/Failed.
 * Its canonicalisation is written apart from src/providers/aliyun/signer.ts on purpose.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
/** Alibaba's day (quota reset) is China's, UTC+8 (inferred; §1 does not say). */
const CHINA_OFFSET = 8 * 60 * MINUTE
/** §1 "Signature, RPC": timestamp within 15 minutes. */
const MAX_SKEW_MS = 15 * MINUTE
/** §1 Operations: only the last 3 days can be queried. */
const QUERY_WINDOW_MS = 3 * DAY
const VERSION = '2018-05-10'
const HOST_ID = 'cdn.aliyuncs.com'

/** §1 Limits, current column: per call. */
export const ALIYUN_PER_CALL = { File: 1000, Directory: 100, Regex: 1, IgnoreParams: 1000, preload: 100 } as const

export interface AliyunQuotas {
  url: number
  dir: number
  regex: number
  ignoreParams: number
  preload: number
}
/** §1 Limits, current column: 10,000 URLs + 100 dirs, 20 regex, 100 ignore-params, 1,000 prefetches a day. */
export const ALIYUN_DEFAULT_QUOTAS: AliyunQuotas = { url: 10_000, dir: 100, regex: 20, ignoreParams: 100, preload: 1000 }

/** §1 Limits: calls per second (current pages; DescribeRefreshQuota from the 2021 doc). */
export const ALIYUN_DEFAULT_RATES: Record<string, number> = {
  RefreshObjectCaches: 50,
  PushObjectCache: 50,
  DescribeRefreshTaskById: 30,
  DescribeRefreshTasks: 5,
  DescribeRefreshQuota: 20
}

export interface AliyunEmulatorOptions {
  /** AccessKeyId → AccessKeySecret. */
  keys?: Record<string, string>
  /** AccessKeyId → the STS SecurityToken it requires (STS credentials). */
  securityTokens?: Record<string, string>
  /** Domains the account serves; a path on any other is `InvalidDomain.NotFound`. Default: any. */
  domains?: string[]
  /** A path is final this long after its task was made (first third `Pending`, then `Refreshing`). Default 200. */
  completeAfterMs?: number
  /** Paths that end `Failed`. */
  failUrls?: Iterable<string>
  /** Paths that never leave `Refreshing`. */
  stallUrls?: Iterable<string>
  quotas?: Partial<AliyunQuotas>
  /** Calls per second per action. */
  rates?: Record<string, number>
  /** URLs per minute per domain (§1: 10,000 current CN page, 1,000 older EN pages; open point). */
  urlsPerMinutePerDomain?: number
  /** Prefetch queue (§1: 100,000 URLs, then `PreloadQueueFull`). */
  preloadQueue?: number
  /**
   * How a rate limit is answered: `Throttling` with 503 (the CDN table [A18]; default) or
   * `Throttling.User` with 400 (generic tables [A6]).
   */
  throttle?: 'Throttling' | 'Throttling.User'
  /** DescribeRefreshQuota's values as numbers instead of strings (§1: typed as strings, shown as numbers). */
  quotaAsNumbers?: boolean
  now?: () => number
  latencyMs?: number
  port?: number
}

export type AliyunOutcome = 'success' | 'failure' | 'stall'

/** One path of one task, as the Describe calls list it. */
export interface AliyunTaskEntry {
  taskId: string
  account: string
  path: string
  /** As answers write it (§1 DescribeRefreshTasks ObjectType). */
  type: 'file' | 'directory' | 'regex' | 'ignoreParams' | 'preload'
  domain: string
  createdAt: number
  outcome: AliyunOutcome
  /**
   * `Force` as sent (non-File types; §1 Operations: default false = only objects whose origin
   * Last-Modified changed, true = everything in scope). Undefined for files and prefetches.
   */
  force?: boolean
}

export interface AliyunEmulator extends RunningEmulator {
  entries: AliyunTaskEntry[]
  /** Requests per Action (refused ones included). */
  actionCounts(): Record<string, number>
  /** The signed parameters (query and form body together) of every request, in order. */
  params(): Record<string, string>[]
}

type Params = Record<string, string>

/** §1 step 2: RFC 3986, UTF-8, uppercase hex; space → %20, `*` → %2A, `~` kept. Own code, not the client's. */
function rfc3986(text: string): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

function sortedPairs(params: Params): string {
  const pairs = Object.keys(params).map((k) => [rfc3986(k), rfc3986(params[k])])
  pairs.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))
  return pairs.map(([k, v]) => k + '=' + v).join('&')
}

/** §1 "Signature, RPC" steps 1–5, the emulator's own verifier. */
export function expectedRpcSignature(method: string, params: Params, secret: string): string {
  // fromEntries, not assignment: a parameter named `__proto__` stays a parameter.
  const signed: Params = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'Signature'))
  const text = method.toUpperCase() + '&' + rfc3986('/') + '&' + rfc3986(sortedPairs(signed))
  return createHmac('sha1', secret + '&')
    .update(Buffer.from(text, 'utf8'))
    .digest('base64')
}

/** §1 "Signature, V3": the signature over the headers the client declares in SignedHeaders. */
export function expectedAcs3Signature(
  req: { method: string; path: string; query: Params; headers: Record<string, string | string[] | undefined>; body: string },
  signedHeaders: string[],
  secret: string
): string {
  const hex = (s: string) => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex')
  let headerBlock = ''
  for (const name of signedHeaders) {
    const raw = req.headers[name]
    headerBlock += name + ':' + String(Array.isArray(raw) ? raw.join(',') : (raw ?? '')).trim() + '\n'
  }
  const canonical = [req.method.toUpperCase(), req.path, sortedPairs(req.query), headerBlock, signedHeaders.join(';'), hex(req.body)].join('\n')
  return createHmac('sha256', secret)
    .update('ACS3-HMAC-SHA256\n' + hex(canonical))
    .digest('hex')
}

const sameText = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
/** §1 common parameters: UTC `yyyy-MM-ddTHH:mm:ssZ` (Timestamp; DescribeRefreshTasks StartTime/EndTime [A14]): seconds, no fraction. */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const parseUtc = (s: string): number => (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(s) ? Date.parse(s) : NaN)

/** Query and form body together (§1 [A10]: body params are signed with the query's). */
function readParams(req: RecordedRequest): Params {
  const out: Params = Object.fromEntries(req.query)
  const type = String(req.headers['content-type'] ?? '')
  if (req.method === 'POST' && req.body !== '' && type.startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(req.body)) out[k] = v
  }
  return out
}

/** Host of an ObjectPath, with or without scheme (§1: examples both ways); null when malformed. */
function domainOf(path: string): string | null {
  const m = /^(?:https?:\/\/)?([A-Za-z0-9.-]+(?::\d+)?)(\/.*)?$/.exec(path)
  return m ? m[1].toLowerCase().replace(/:\d+$/, '') : null
}

export async function startAliyunEmulator(options: AliyunEmulatorOptions = {}): Promise<AliyunEmulator> {
  const keys = options.keys ?? { testid: 'testsecret' }
  const tokens = options.securityTokens ?? {}
  const domains = options.domains ? new Set(options.domains.map((d) => d.toLowerCase())) : null
  const completeAfterMs = options.completeAfterMs ?? 200
  const failUrls = new Set(options.failUrls ?? [])
  const stallUrls = new Set(options.stallUrls ?? [])
  const quotas: AliyunQuotas = { ...ALIYUN_DEFAULT_QUOTAS, ...options.quotas }
  const rates = { ...ALIYUN_DEFAULT_RATES, ...options.rates }
  const perMinute = options.urlsPerMinutePerDomain ?? 10_000
  const preloadQueue = options.preloadQueue ?? 100_000
  const now = options.now ?? Date.now

  const entries: AliyunTaskEntry[] = []
  const nonces = new Map<string, number>()
  const used = new Map<string, number>()
  const calls = new Map<string, number>()
  /** `account domain second` → [task id, URLs in it] (§1: same-second URL tasks of a domain merge, split every 2,000). */
  const merged = new Map<string, [string, number]>()

  const fail = (status: number, code: string, message: string): EmulatorResponse => ({
    status,
    body: { RequestId: randomUUID().toUpperCase(), HostId: HOST_ID, Code: code, Message: message }
  })
  const ok = (fields: Record<string, unknown>): EmulatorResponse => ({ status: 200, body: { RequestId: randomUUID().toUpperCase(), ...fields } })
  const day = () => Math.floor((now() + CHINA_OFFSET) / DAY)
  const usedToday = (account: string, kind: keyof AliyunQuotas) => used.get(`${day()} ${account} ${kind}`) ?? 0

  /** Authentication: the RPC or ACS3 scheme, skew, nonce, STS token. Returns the account or an error. */
  function authenticate(req: RecordedRequest, params: Params): { account: string; action: string } | EmulatorResponse {
    const auth = String(req.headers.authorization ?? '')
    let account: string
    let action: string
    let nonce: string
    let stamp: string
    let token: string | undefined
    if (auth.startsWith('ACS3-HMAC-SHA256 ')) {
      // §1 "Signature, V3" step 4: `Credential=…,SignedHeaders=…,Signature=…`, commas, no spaces.
      const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth)
      if (!m) return fail(400, 'IncompleteSignature', 'The request signature does not conform to Aliyun standards.')
      const signed = m[2].split(';')
      // §0 conventions: check the required minimum is signed, then verify over what is declared.
      const required = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']
      const missing = required.find((h) => !signed.includes(h))
      if (missing) return fail(400, 'IncompleteSignature', `The request signature does not sign the header ${missing}.`)
      if (signed.join(';') !== [...signed].sort().join(';')) return fail(400, 'IncompleteSignature', 'SignedHeaders must be sorted.')
      const secret = Object.hasOwn(keys, m[1]) ? keys[m[1]] : undefined
      if (secret === undefined) return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
      // §1 "Signature, V3": x-acs-content-sha256 is the hex SHA-256 of the body.
      const bodyHash = createHash('sha256').update(req.body).digest('hex')
      if (req.headers['x-acs-content-sha256'] !== bodyHash) return fail(400, 'SignatureDoesNotMatch', 'x-acs-content-sha256 is not the SHA-256 of the body.')
      const expected = expectedAcs3Signature({ ...req, query: Object.fromEntries(req.query) }, signed, secret)
      if (!sameText(expected, m[3])) return fail(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.')
      account = m[1]
      action = String(req.headers['x-acs-action'])
      // §1 common parameters: Version=2018-05-10; the code for another is inferred.
      if (req.headers['x-acs-version'] !== VERSION) return fail(400, 'InvalidVersion', `Specified parameter Version is not valid.`)
      nonce = String(req.headers['x-acs-signature-nonce'])
      stamp = String(req.headers['x-acs-date'])
      const t = req.headers['x-acs-security-token']
      token = typeof t === 'string' ? t : undefined
    } else {
      // §1 common parameters (RPC).
      for (const name of ['AccessKeyId', 'Action', 'Version', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp', 'Signature']) {
        if ((params[name] ?? '') === '')
          return fail(
            400,
            name === 'Signature' ? 'IncompleteSignature' : 'MissingParameter',
            `The input parameter "${name}" that is mandatory for processing this request is not supplied.`
          )
      }
      if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0')
        return fail(400, 'IncompleteSignature', 'SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.')
      const secret = Object.hasOwn(keys, params.AccessKeyId) ? keys[params.AccessKeyId] : undefined
      // §1 Errors: InvalidAccessKeyId.NotFound (404/400: tables differ; §6 open point).
      if (secret === undefined) return fail(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
      // §1 Errors: SignatureDoesNotMatch (400 per [A6]).
      if (!sameText(expectedRpcSignature(req.method, params, secret), params.Signature))
        return fail(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.')
      // §1 common parameters: Version=2018-05-10; the code for another is inferred.
      if (params.Version !== VERSION) return fail(400, 'InvalidVersion', 'Specified parameter Version is not valid.')
      account = params.AccessKeyId
      action = params.Action
      nonce = params.SignatureNonce
      stamp = params.Timestamp
      token = params.SecurityToken
    }
    // §1 server checks: timestamp within 15 minutes, nonce not reused [A6].
    const at = parseUtc(stamp)
    if (Number.isNaN(at)) return fail(400, 'InvalidTimeStamp.Format', 'Specified time stamp or date value is not well formatted.')
    if (Math.abs(now() - at) > MAX_SKEW_MS) return fail(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.')
    for (const [n, t] of nonces) if (now() - t > MAX_SKEW_MS * 2) nonces.delete(n)
    if (nonces.has(`${account} ${nonce}`)) return fail(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.')
    nonces.set(`${account} ${nonce}`, now())
    // STS: §1 common parameters (SecurityToken with STS credentials); the code is inferred.
    if (Object.hasOwn(tokens, account) && token !== tokens[account]) return fail(400, 'InvalidSecurityToken.Mismatch', 'Specified SecurityToken is not valid.')
    return { account, action }
  }

  /** §1 Limits: calls per second per action; answered as the `throttle` option says. */
  function throttled(account: string, action: string): EmulatorResponse | null {
    const key = `${account} ${action} ${Math.floor(now() / 1000)}`
    const n = (calls.get(key) ?? 0) + 1
    calls.set(key, n)
    if (n <= (rates[action] ?? Infinity)) return null
    return options.throttle === 'Throttling.User'
      ? fail(400, 'Throttling.User', 'Request was denied due to user flow control.')
      : fail(503, 'Throttling', 'Request was denied due to request throttling.')
  }

  function paths(params: Params): string[] | EmulatorResponse {
    // §1 Operations: ObjectPath is required; §1 Errors: MissingParameter.
    if ((params.ObjectPath ?? '') === '')
      return fail(400, 'MissingParameter', 'The input parameter "ObjectPath" that is mandatory for processing this request is not supplied.')
    // §1 Operations: entries joined by `\n` or `\r\n`.
    return params.ObjectPath.split(/\r?\n/).filter((p) => p !== '')
  }

  /** Checks domains (§1: ≤ 10 per call; known to the account). Returns the domains in order or an error. */
  function domainsOf(list: string[]): string[] | EmulatorResponse {
    const seen: string[] = []
    for (const p of list) {
      const d = domainOf(p)
      // §1 Errors, invalid parameter [A18][A21]: malformed path, wildcard domain, unknown domain (404).
      if (d === null) return fail(400, 'InvalidObjectPath.Malformed', `Specified ObjectPath is malformed: ${p}`)
      if (d.startsWith('*.')) return fail(400, 'InvalidExtensiveDomain.ValueNotSupported', 'Wildcard domains are not supported.')
      if (domains && !domains.has(d)) return fail(404, 'InvalidDomain.NotFound', `The domain ${d} does not exist.`)
      if (!seen.includes(d)) seen.push(d)
    }
    // §1: "All URLs of one call: ≤ 10 domains" [A8]; the code for it is not documented (inferred).
    if (seen.length > 10) return fail(400, 'InvalidObjectPath.Malformed', `One call may hold paths of at most 10 domains, got ${seen.length}.`)
    return seen
  }

  function takeQuota(account: string, kind: keyof AliyunQuotas, n: number, label: string): EmulatorResponse | null {
    const have = usedToday(account, kind)
    // §1 Errors: QuotaExceeded.Refresh (400), also for PushObjectCache [A18][A21].
    if (have + n > quotas[kind])
      return fail(
        400,
        'QuotaExceeded.Refresh',
        `Your ${label} quota for today is exhausted: ${quotas[kind]} a day, ${quotas[kind] - have} remaining, ${n} requested.`
      )
    used.set(`${day()} ${account} ${kind}`, have + n)
    return null
  }

  function newTaskId(): string {
    return String(10_000_000_000 + Math.floor(Math.random() * 89_999_999_999))
  }

  function record(account: string, type: AliyunTaskEntry['type'], list: string[], mergeable: boolean, force?: boolean): string {
    const ids: string[] = []
    const byDomain = new Map<string, string[]>()
    for (const p of list) {
      const d = domainOf(p)!
      byDomain.set(d, [...(byDomain.get(d) ?? []), p])
    }
    for (const [d, group] of byDomain) {
      let id = newTaskId()
      if (mergeable) {
        // §1 "Task ids are merged" [A11]: same domain, same second, up to 2,000 URLs per id.
        const key = `${account} ${d} ${Math.floor(now() / 1000)}`
        const prior = merged.get(key)
        if (prior && prior[1] + group.length <= 2000) id = prior[0]
        merged.set(key, [id, (prior && prior[0] === id ? prior[1] : 0) + group.length])
      }
      if (!ids.includes(id)) ids.push(id)
      for (const p of group) {
        const outcome: AliyunOutcome = stallUrls.has(p) ? 'stall' : failUrls.has(p) ? 'failure' : 'success'
        entries.push({ taskId: id, account, path: p, type, domain: d, createdAt: now(), outcome, ...(force === undefined ? {} : { force }) })
      }
    }
    // §1: several domains → several ids joined by `,`.
    return ids.join(',')
  }

  function refresh(account: string, params: Params): EmulatorResponse {
    const type = params.ObjectType ?? 'File'
    // §1 Operations: ObjectType File (default) | Directory | Regex | IgnoreParams, Force a bool [A1][A11];
    // §1 Errors: InvalidObjectType.ValueNotSupported; the code for a bad Force is inferred.
    if (!['File', 'Directory', 'Regex', 'IgnoreParams'].includes(type))
      return fail(400, 'InvalidObjectType.ValueNotSupported', `Specified ObjectType ${type} is not supported.`)
    if (params.Force !== undefined && params.Force !== 'true' && params.Force !== 'false') return fail(400, 'InvalidParameter', 'Force must be true or false.')
    const list = paths(params)
    if (!Array.isArray(list)) return list
    const max = ALIYUN_PER_CALL[type as keyof typeof ALIYUN_PER_CALL]
    // §1 Errors: SingleRequest.OverLimit; §1 Limits: 1,000 URLs or 100 dirs or 1 regex per call.
    if (list.length > max) return fail(400, 'SingleRequest.OverLimit', `At most ${max} paths of ObjectType ${type} per request, got ${list.length}.`)
    // §1 Operations: a directory must end with `/` [A18].
    if (type === 'Directory') {
      const bad = list.find((p) => !p.endsWith('/'))
      if (bad) return fail(400, 'InvalidObjectPath.Malformed', `A directory must end with /: ${bad}`)
    }
    const ds = domainsOf(list)
    if (!Array.isArray(ds)) return ds
    if (type === 'File' || type === 'IgnoreParams') {
      // §1 Limits: URLs per minute per domain; the code is QuotaPerMinuteExceeded.Refresh [A18].
      const minute = Math.floor(now() / MINUTE)
      for (const d of ds) {
        const n = list.filter((p) => domainOf(p) === d).length
        const key = `${minute} ${account} ${d} perMinute`
        if ((used.get(key) ?? 0) + n > perMinute) return fail(400, 'QuotaPerMinuteExceeded.Refresh', `At most ${perMinute} URLs of ${d} per minute.`)
      }
      for (const d of ds) {
        const key = `${minute} ${account} ${d} perMinute`
        used.set(key, (used.get(key) ?? 0) + list.filter((p) => domainOf(p) === d).length)
      }
    }
    const kind: keyof AliyunQuotas = type === 'File' ? 'url' : type === 'Directory' ? 'dir' : type === 'Regex' ? 'regex' : 'ignoreParams'
    const label = { url: 'URL refresh', dir: 'directory refresh', regex: 'regex refresh', ignoreParams: 'ignore-params refresh', preload: 'prefetch' }[kind]
    const over = takeQuota(account, kind, list.length, label)
    if (over) return over
    const answerType = ({ File: 'file', Directory: 'directory', Regex: 'regex', IgnoreParams: 'ignoreParams' } as const)[type as 'File']
    // §1 Operations: Force defaults to false and matters for non-File types only.
    const force = type === 'File' ? undefined : params.Force === 'true'
    return ok({ RefreshTaskId: record(account, answerType, list, type === 'File', force) })
  }

  function push(account: string, params: Params): EmulatorResponse {
    const list = paths(params)
    if (!Array.isArray(list)) return list
    // §1 Limits: 100 per call; §1 Errors: InvalidObjectPath.Size.Malformed (prefetch); each ≤ 1,024 chars [A12].
    if (list.length > ALIYUN_PER_CALL.preload)
      return fail(400, 'InvalidObjectPath.Size.Malformed', `At most ${ALIYUN_PER_CALL.preload} URLs per request, got ${list.length}.`)
    const long = list.find((p) => p.length > 1024)
    if (long) return fail(400, 'InvalidObjectPath.Size.Malformed', 'Each ObjectPath may be at most 1,024 characters.')
    // §1 Operations: Area domestic | overseas [A12]; the code for another is inferred.
    if (params.Area !== undefined && params.Area !== 'domestic' && params.Area !== 'overseas')
      return fail(400, 'InvalidParameter', 'Area must be domestic or overseas.')
    const ds = domainsOf(list)
    if (!Array.isArray(ds)) return ds
    // §1 Limits: prefetch queue, then PreloadQueueFull (403) [A12][A21].
    const queued = entries.filter(
      (e) => e.account === account && e.type === 'preload' && stateOf(e).status !== 'Complete' && stateOf(e).status !== 'Failed'
    ).length
    if (queued + list.length > preloadQueue) return fail(403, 'PreloadQueueFull', 'The prefetch queue is full.')
    const over = takeQuota(account, 'preload', list.length, 'prefetch')
    if (over) return over
    return ok({ PushTaskId: record(account, 'preload', list, false) })
  }

  /** §1 task states over time. */
  function stateOf(e: AliyunTaskEntry): { status: string; process: string; description?: string } {
    const elapsed = now() - e.createdAt
    if (e.outcome !== 'stall' && elapsed >= completeAfterMs) {
      if (e.outcome === 'success') return { status: 'Complete', process: '100%' }
      // §1 Task fields: Description on failure, spelled as the SDK's DescribeRefreshTaskByIdResponseBody and the current
      // CN page [A15] spell it ('Internal Error', 'Origin Timeout', 'Origin Return StatusCode 5XX'; §1 drops the spaces).
      return { status: 'Failed', process: '0%', description: e.type === 'preload' ? 'Origin Timeout' : 'Internal Error' }
    }
    if (e.outcome !== 'stall' && elapsed < completeAfterMs / 3) return { status: 'Pending', process: '0%' }
    const pct = Math.max(1, Math.min(99, Math.floor((100 * elapsed) / Math.max(1, completeAfterMs))))
    return { status: 'Refreshing', process: `${e.outcome === 'stall' ? Math.min(pct, 50) : pct}%` }
  }

  function shape(e: AliyunTaskEntry): Record<string, unknown> {
    const s = stateOf(e)
    return {
      TaskId: e.taskId,
      ObjectPath: e.path,
      ObjectType: e.type,
      Status: s.status,
      Process: s.process,
      CreationTime: isoSeconds(e.createdAt),
      ...(s.description ? { Description: s.description } : {})
    }
  }

  const visible = (account: string) => entries.filter((e) => e.account === account && now() - e.createdAt <= QUERY_WINDOW_MS)

  function describeTasks(account: string, params: Params): EmulatorResponse {
    const type = params.ObjectType
    // §1 Operations: ObjectType file | directory | regex | preload [A13][A14].
    if (type !== undefined && !['file', 'directory', 'regex', 'preload'].includes(type))
      return fail(400, 'InvalidObjectType.ValueNotSupported', `Specified ObjectType ${type} is not supported.`)
    // §1: `DomainName` or `Status` need `ObjectType` [A13]; the code is inferred.
    if ((params.DomainName !== undefined || params.Status !== undefined) && type === undefined)
      return fail(400, 'MissingParameter', 'ObjectType is required with DomainName or Status.')
    const page = params.PageNumber !== undefined ? Number(params.PageNumber) : 1
    const size = params.PageSize !== undefined ? Number(params.PageSize) : 20
    // §1: PageNumber 1–100000, PageSize max 100.
    if (!Number.isInteger(page) || page < 1 || page > 100_000) return fail(400, 'InvalidParameter', 'PageNumber must be 1–100000.')
    if (!Number.isInteger(size) || size < 1 || size > 100) return fail(400, 'InvalidParameter', 'PageSize must be 1–100.')
    // §1 Operations: StartTime/EndTime in UTC, no filter → the last 3 days [A13][A14]; InvalidTime.Malformed is inferred.
    let start = now() - 3 * DAY
    let end = now()
    if (params.StartTime !== undefined || params.EndTime !== undefined) {
      start = parseUtc(params.StartTime ?? '')
      end = parseUtc(params.EndTime ?? '')
      if (Number.isNaN(start) || Number.isNaN(end) || end < start)
        return fail(400, 'InvalidTime.Malformed', 'StartTime and EndTime must be UTC yyyy-MM-ddTHH:mm:ssZ, StartTime first.')
    }
    // Newest first; reversed before the (stable) sort so entries of one millisecond keep newest-first too.
    const list = visible(account)
      .reverse()
      .filter((e) => type === undefined || (type === 'file' ? e.type === 'file' || e.type === 'ignoreParams' : e.type === type))
      .filter((e) => params.TaskId === undefined || e.taskId === params.TaskId)
      // §1: ObjectPath is an exact match.
      .filter((e) => params.ObjectPath === undefined || e.path === params.ObjectPath)
      .filter((e) => params.DomainName === undefined || e.domain === params.DomainName.toLowerCase())
      .filter((e) => params.Status === undefined || stateOf(e).status === params.Status)
      .filter((e) => Math.floor(e.createdAt / 1000) * 1000 >= start && Math.floor(e.createdAt / 1000) * 1000 <= end)
      .sort((a, b) => b.createdAt - a.createdAt)
    const slice = list.slice((page - 1) * size, page * size)
    return ok({ PageNumber: page, PageSize: size, TotalCount: list.length, Tasks: { CDNTask: slice.map(shape) } })
  }

  function describeById(account: string, params: Params): EmulatorResponse {
    if ((params.TaskId ?? '') === '')
      return fail(400, 'MissingParameter', 'The input parameter "TaskId" that is mandatory for processing this request is not supplied.')
    const ids = params.TaskId.split(',').map((s) => s.trim())
    // §1: up to 10 ids, comma-separated [A15]; the code is inferred.
    if (ids.length > 10) return fail(400, 'InvalidTaskId.Malformed', `At most 10 task ids per request, got ${ids.length}.`)
    const list = visible(account).filter((e) => ids.includes(e.taskId))
    return ok({ TotalCount: list.length, Tasks: list.map(shape) })
  }

  function describeQuota(account: string): EmulatorResponse {
    const v = (n: number) => (options.quotaAsNumbers ? n : String(n))
    const pair = (kind: keyof AliyunQuotas) => [v(quotas[kind]), v(Math.max(0, quotas[kind] - usedToday(account, kind)))]
    const [UrlQuota, UrlRemain] = pair('url')
    const [DirQuota, DirRemain] = pair('dir')
    const [RegexQuota, RegexRemain] = pair('regex')
    const [IgnoreParamsQuota, IgnoreParamsRemain] = pair('ignoreParams')
    const [PreloadQuota, PreloadRemain] = pair('preload')
    // §1 DescribeRefreshQuota fields [A16][A17]; edge prefetch and block are not emulated.
    return ok({
      UrlQuota,
      UrlRemain,
      DirQuota,
      DirRemain,
      RegexQuota,
      RegexRemain,
      IgnoreParamsQuota,
      IgnoreParamsRemain,
      PreloadQuota,
      PreloadRemain,
      PreloadEdgeQuota: v(0),
      PreloadEdgeRemain: v(0),
      BlockQuota: v(0),
      BlockRemain: v(0)
    })
  }

  function handle(req: RecordedRequest): EmulatorResponse {
    // §1: one RPC endpoint at `/`, the call named by Action; InvalidAction.NotFound for others is inferred.
    if (req.path !== '/') return fail(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.')
    const params = readParams(req)
    const who = authenticate(req, params)
    if ('status' in who) return who
    const limited = throttled(who.account, who.action)
    if (limited) return limited
    switch (who.action) {
      case 'RefreshObjectCaches':
        return refresh(who.account, params)
      case 'PushObjectCache':
        return push(who.account, params)
      case 'DescribeRefreshTasks':
        return describeTasks(who.account, params)
      case 'DescribeRefreshTaskById':
        return describeById(who.account, params)
      case 'DescribeRefreshQuota':
        return describeQuota(who.account)
      default:
        return fail(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.')
    }
  }

  const server = await startServer(handle, { latencyMs: options.latencyMs, port: options.port })
  const actionOf = (req: RecordedRequest) => String(req.headers['x-acs-action'] ?? readParams(req).Action ?? '')
  return Object.assign(server, {
    entries,
    actionCounts: () => {
      const out: Record<string, number> = {}
      for (const req of server.requests) out[actionOf(req)] = (out[actionOf(req)] ?? 0) + 1
      return out
    },
    params: () => server.requests.map(readParams)
  })
}
