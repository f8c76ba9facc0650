/**
 * A strict stand-in for AWS CloudFront invalidations, API 2020-05-31 (providers-next.md §3):
 * SigV4 verified exactly over the headers the request declares signed, 5-minute skew, XML
 * bodies parsed with fast-xml-parser (not the client's reader) and answered as CloudFront does,
 * Quantity consistency, path rules, CallerReference idempotency, in-progress caps per
 * distribution, invalidations completing over time, ListInvalidations paging, distributions
 * owned per access key. Fault injection comes from server.ts.
 * Its signature code is written apart from the client's signer on purpose. Error codes are §3's;
 * the Message wording is ours except where §3 quotes it.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

export const CLOUDFRONT_VERSION = '2020-05-31'
export const CLOUDFRONT_XMLNS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/'
/** §3 "Path rules and limits" [S7][S8]: in progress per distribution. */
export const CLOUDFRONT_CAPS = { files: 3000, wildcards: 15 }
/** §3 [S5]: longest path. */
export const CLOUDFRONT_MAX_PATH = 4000

export interface CloudFrontEmulatorOptions {
  /** Access key id → secret key. */
  keys?: Record<string, string>
  /** Access key id → the session token it needs in X-Amz-Security-Token (temporary credentials, §3 step 4). */
  tokens?: Record<string, string>
  /** Session tokens taken as expired (ExpiredToken). */
  expiredTokens?: Iterable<string>
  /** Distribution id → the access key id that owns it; others get NoSuchDistribution. */
  distributions?: Record<string, string>
  /** An invalidation is Completed this long after it was created. Default 200. */
  completeAfterMs?: number
  /** Paths whose invalidation never completes. */
  stallPaths?: Iterable<string>
  /** In-progress caps per distribution (defaults as documented). */
  caps?: Partial<typeof CLOUDFRONT_CAPS>
  /** Paths one CreateInvalidation may carry before BatchTooLarge (413); none documented (§3), default none. */
  maxPathsPerCall?: number
  /** Requests per second per access key before `Throttling`; no published rate (§3 [S11]), default 0 = none. */
  requestsPerSecond?: number
  /** Largest |X-Amz-Date − now| accepted, seconds (§3 step 4: about 5 minutes). */
  maxSkewSeconds?: number
  now?: () => number
  latencyMs?: number
  port?: number
}

export interface CloudFrontInvalidation {
  id: string
  distribution: string
  account: string
  callerReference: string
  paths: string[]
  createdAt: number
  stall: boolean
}

export interface CloudFrontEmulator extends RunningEmulator {
  invalidations: Map<string, CloudFrontInvalidation>
  /** Error codes answered so far, by code. */
  errorCounts(): Record<string, number>
  /** CreateInvalidation calls answered 201, a replay of an earlier CallerReference included. */
  creates(): number
  statusOf(inv: CloudFrontInvalidation): 'InProgress' | 'Completed'
}

const hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex')
const mac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest()
const xmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
/** RFC 3986 unreserved kept, everything else %XX (SigV4 UriEncode, §3 step 1). */
const enc = (s: string): string =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('')

export interface SigV4Check {
  ok: boolean
  status?: number
  code?: string
  message?: string
  accessKey?: string
}

export interface SigV4Request {
  method: string
  /** The raw path as received. */
  path: string
  query: URLSearchParams
  /** Lowercase names. */
  headers: Record<string, string | undefined>
  body: string
}

/**
 * Verifies an AWS4-HMAC-SHA256 Authorization over the headers it declares signed, after
 * checking `host` and `x-amz-date` (and the token header, when sent) are among them
 * (providers-next.md conventions; §3 "Signature V4" steps 1–4 [S3]).
 */
export function verifySigV4(
  req: SigV4Request,
  secretOf: (accessKey: string) => string | undefined,
  scope: { region: string; service: string; now: number; maxSkewSeconds: number }
): SigV4Check {
  const auth = req.headers.authorization
  // The generic AWS auth codes of §3 "Errors" [S13].
  if (auth === undefined || auth === '') return { ok: false, status: 403, code: 'MissingAuthenticationToken', message: 'Missing Authentication Token' }
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth
    )
  if (!m) return { ok: false, status: 400, code: 'IncompleteSignature', message: 'Authorization header requires Credential, SignedHeaders and Signature.' }
  const [, accessKey, date, region, service, signedList, signature] = m
  // §3 "Signature V4" steps 1 and 4: at least host and x-amz-date signed, the list sorted [S3][S4].
  const signed = signedList.split(';')
  for (const need of ['host', 'x-amz-date', ...(req.headers['x-amz-security-token'] !== undefined ? ['x-amz-security-token'] : [])]) {
    if (!signed.includes(need)) return { ok: false, status: 400, code: 'IncompleteSignature', message: `SignedHeaders must include ${need}.`, accessKey }
  }
  if ([...signed].sort().join(';') !== signedList || new Set(signed).size !== signed.length)
    return { ok: false, status: 400, code: 'IncompleteSignature', message: 'SignedHeaders must be sorted and unique.', accessKey }
  const secret = secretOf(accessKey)
  if (secret === undefined)
    return { ok: false, status: 403, code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', accessKey }
  const amzDate = req.headers['x-amz-date'] ?? ''
  const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)
  if (!dm) return { ok: false, status: 400, code: 'IncompleteSignature', message: 'X-Amz-Date must be YYYYMMDDTHHMMSSZ.', accessKey }
  const at = Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6])
  // §3 step 4 [S4]: "Signature expired" beyond about 5 minutes.
  if (Math.abs(at - scope.now) > scope.maxSkewSeconds * 1000) {
    const earlier = at < scope.now
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: `Signature expired: ${amzDate} is now ${earlier ? 'earlier' : 'later'} than the server time (${earlier ? '-' : '+'} 5 min.)`,
      accessKey
    }
  }
  if (date !== amzDate.slice(0, 8) || region !== scope.region || service !== scope.service)
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: `Credential should be scoped to a valid region and service ${scope.service}.`,
      accessKey
    }
  let canonicalHeaders = ''
  for (const name of signed) {
    const value = req.headers[name]
    if (value === undefined) return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: `Signed header ${name} is absent.`, accessKey }
    canonicalHeaders += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`
  }
  const uri = req.path.split('/').map(enc).join('/') || '/'
  // Sorted by encoded name, then value (§3 step 1 "sorted, encoded query" [S3]), not as joined text.
  const query = [...req.query.entries()]
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const canonical = `${req.method}\n${uri}\n${query}\n${canonicalHeaders}\n${signedList}\n${hex(req.body)}`
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${date}/${region}/${service}/aws4_request\n${hex(canonical)}`
  const key = mac(mac(mac(mac('AWS4' + secret, date), region), service), 'aws4_request')
  const expected = createHmac('sha256', key).update(toSign, 'utf8').digest()
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return {
      ok: false,
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
      accessKey
    }
  return { ok: true, accessKey }
}

/** §3 "Path rules": starts with `/`; non-ASCII and RFC 1738-unsafe characters percent-encoded; `%` only as `%XX`. */
export function pathProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'does not start with /'
  if (path.length > CLOUDFRONT_MAX_PATH) return `is longer than ${CLOUDFRONT_MAX_PATH} characters`
  if (/[^\x21-\x7e]/.test(path)) return 'holds a space, a control or a non-ASCII character not percent-encoded'
  // RFC 1738 §2.2 lists `~` as unsafe too; CloudFront answers a raw `~` InvalidArgument (aws/aws-sdk#525, bep/s3deploy#46).
  if (/["<>#{}|\\^~[\]`]/.test(path)) return 'holds an unsafe character not percent-encoded'
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'holds a % that is not %XX'
  return null
}

/** §3: `*` is a wildcard only as the last character [S5]. */
const isWildcard = (path: string): boolean => path.endsWith('*')

export async function startCloudFrontEmulator(options: CloudFrontEmulatorOptions = {}): Promise<CloudFrontEmulator> {
  const keys = options.keys ?? { AKIDEXAMPLE: 'test-secret-key' }
  const tokens = options.tokens ?? {}
  const expired = new Set(options.expiredTokens ?? [])
  const distributions = options.distributions ?? { EDFDVBD6EXAMPLE: Object.keys(keys)[0] }
  const completeAfterMs = options.completeAfterMs ?? 200
  const stallPaths = new Set(options.stallPaths ?? [])
  const caps = { ...CLOUDFRONT_CAPS, ...options.caps }
  const rps = options.requestsPerSecond ?? 0
  const maxSkew = options.maxSkewSeconds ?? 300
  const now = options.now ?? Date.now

  const invalidations = new Map<string, CloudFrontInvalidation>()
  const byRef = new Map<string, CloudFrontInvalidation>()
  const errors: Record<string, number> = {}
  const perSecond = new Map<string, number>()
  let created = 0
  let seq = 0

  const xml = (status: number, body: string, headers: Record<string, string> = {}): EmulatorResponse => ({
    status,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
    headers: { 'Content-Type': 'text/xml', 'x-amz-request-id': randomUUID(), ...headers }
  })
  // §3 "Errors" [S12]: the ErrorResponse shape.
  const error = (status: number, code: string, message: string): EmulatorResponse => {
    errors[code] = (errors[code] ?? 0) + 1
    return xml(
      status,
      `<ErrorResponse xmlns="${CLOUDFRONT_XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlText(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
    )
  }
  const statusOf = (inv: CloudFrontInvalidation): 'InProgress' | 'Completed' =>
    !inv.stall && now() - inv.createdAt >= completeAfterMs ? 'Completed' : 'InProgress'
  const iso = (ms: number): string => new Date(ms).toISOString()
  const invalidationXml = (inv: CloudFrontInvalidation): string =>
    `<Invalidation xmlns="${CLOUDFRONT_XMLNS}"><Id>${inv.id}</Id><Status>${statusOf(inv)}</Status><CreateTime>${iso(inv.createdAt)}</CreateTime>` +
    `<InvalidationBatch><Paths><Quantity>${inv.paths.length}</Quantity><Items>${inv.paths.map((p) => `<Path>${xmlText(p)}</Path>`).join('')}</Items></Paths>` +
    `<CallerReference>${xmlText(inv.callerReference)}</CallerReference></InvalidationBatch></Invalidation>`

  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    trimValues: false,
    isArray: (_name, jpath) => jpath === 'InvalidationBatch.Paths.Items.Path'
  })

  function create(account: string, distribution: string, body: string, host: string): EmulatorResponse {
    // §3 "Errors": MissingBody, InconsistentQuantities, InvalidArgument [S12][S13].
    if (body.trim() === '') return error(400, 'MissingBody', 'This operation requires a body.')
    if (XMLValidator.validate(body) !== true) return error(400, 'InvalidArgument', 'The XML you provided was not well-formed.')
    const doc = parser.parse(body) as Record<string, unknown>
    const batch = doc.InvalidationBatch as Record<string, unknown> | undefined
    if (typeof batch !== 'object' || batch === null) return error(400, 'InvalidArgument', 'The root element must be InvalidationBatch.')
    // §3 "Endpoint and transport" [S1]: the 2020-05-31 namespace.
    if (batch['@_xmlns'] !== CLOUDFRONT_XMLNS) return error(400, 'InvalidArgument', `InvalidationBatch must be in namespace ${CLOUDFRONT_XMLNS}.`)
    // §3 "Endpoint and transport" [S1]: CallerReference and Paths/Quantity with Items/Path;
    // §3 "Errors" [S12][S13]: InvalidArgument, InconsistentQuantities (Quantity ≠ item count), BatchTooLarge (413).
    const ref = batch.CallerReference
    if (typeof ref !== 'string' || ref === '') return error(400, 'InvalidArgument', 'CallerReference is required.')
    const paths = batch.Paths as Record<string, unknown> | undefined
    const quantity = typeof paths === 'object' && paths !== null ? paths.Quantity : undefined
    if (typeof quantity !== 'string' || !/^\d+$/.test(quantity)) return error(400, 'InvalidArgument', 'Paths/Quantity must be a whole number.')
    const items = (paths as Record<string, unknown>).Items
    const list = typeof items === 'object' && items !== null ? (items as Record<string, unknown>).Path : undefined
    const given = Array.isArray(list) ? list : []
    if (given.some((p) => typeof p !== 'string')) return error(400, 'InvalidArgument', 'Each Path must be text.')
    if (Number(quantity) !== given.length)
      return error(400, 'InconsistentQuantities', `The value of Quantity and the size of Items don't match (${quantity} ≠ ${given.length}).`)
    if (given.length === 0) return error(400, 'InvalidArgument', 'Your request contains one or more invalid invalidation paths.')
    const pathList = given as string[]
    if (options.maxPathsPerCall !== undefined && pathList.length > options.maxPathsPerCall)
      return error(413, 'BatchTooLarge', `At most ${options.maxPathsPerCall} paths per invalidation batch.`)
    // §3 [S12]: the quoted InvalidArgument message for a bad path.
    if (pathList.some((p) => pathProblem(p) !== null)) return error(400, 'InvalidArgument', 'Your request contains one or more invalid invalidation paths.')
    // §3 "Idempotency" [S1]: same reference and paths → the earlier invalidation; other paths → InvalidationBatchAlreadyExists.
    // Whether the order of the paths counts is not documented ("the content of each Path element is
    // identical"): the strict reading, same paths in the same order.
    const key = `${distribution} ${ref}`
    const earlier = byRef.get(key)
    if (earlier) {
      // The HTTP status of this code is uncertain (§6); 409 is our reading.
      if (earlier.paths.join('\n') !== pathList.join('\n'))
        return error(409, 'InvalidationBatchAlreadyExists', 'The CallerReference you provided was already used with a different invalidation batch.')
      created++
      return xml(201, invalidationXml(earlier), { Location: `http://${host}/${CLOUDFRONT_VERSION}/distribution/${distribution}/invalidation/${earlier.id}` })
    }
    // §3 "Path rules and limits" [S7][S8]: in progress per distribution, files and wildcards apart.
    let files = 0
    let wildcards = 0
    for (const inv of invalidations.values()) {
      if (inv.distribution !== distribution || statusOf(inv) !== 'InProgress') continue
      for (const p of inv.paths) {
        if (isWildcard(p)) wildcards++
        else files++
      }
    }
    const newWild = pathList.filter(isWildcard).length
    if (files + pathList.length - newWild > caps.files || wildcards + newWild > caps.wildcards)
      return error(
        400,
        'TooManyInvalidationsInProgress',
        `Processing your request would cause the maximum number of in-progress invalidations to be exceeded (${caps.files} file paths, ${caps.wildcards} wildcard paths).`
      )
    const id = `I${(++seq).toString(36).toUpperCase().padStart(4, '0')}${randomUUID().replace(/-/g, '').slice(0, 9).toUpperCase()}`
    const inv: CloudFrontInvalidation = {
      id,
      distribution,
      account,
      callerReference: ref,
      paths: pathList,
      createdAt: now(),
      stall: pathList.some((p) => stallPaths.has(p))
    }
    invalidations.set(id, inv)
    byRef.set(key, inv)
    created++
    // §3 [S1][S2]: HTTP 201, a Location header and the Invalidation.
    return xml(201, invalidationXml(inv), { Location: `http://${host}/${CLOUDFRONT_VERSION}/distribution/${distribution}/invalidation/${id}` })
  }

  function list(distribution: string, query: URLSearchParams): EmulatorResponse {
    // §3 "Status, paging" [S2]: Marker / MaxItems, newest first.
    const maxRaw = query.get('MaxItems') ?? '100'
    if (!/^\d+$/.test(maxRaw) || Number(maxRaw) < 1) return error(400, 'InvalidArgument', 'MaxItems must be a positive whole number.')
    // The page cap is not in §3; 100 (the SDK's default MaxItems) is our reading.
    const max = Math.min(Number(maxRaw), 100)
    const marker = query.get('Marker') ?? ''
    const all = [...invalidations.values()].filter((i) => i.distribution === distribution).sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1))
    const start = marker === '' ? 0 : all.findIndex((i) => i.id === marker) + 1
    const page = all.slice(start, start + max)
    const truncated = start + max < all.length
    const next = truncated ? `<NextMarker>${page[page.length - 1].id}</NextMarker>` : ''
    return xml(
      200,
      `<InvalidationList xmlns="${CLOUDFRONT_XMLNS}"><Marker>${xmlText(marker)}</Marker>${next}<MaxItems>${max}</MaxItems><IsTruncated>${truncated}</IsTruncated><Quantity>${page.length}</Quantity>` +
        (page.length === 0
          ? ''
          : `<Items>${page.map((i) => `<InvalidationSummary><Id>${i.id}</Id><CreateTime>${iso(i.createdAt)}</CreateTime><Status>${statusOf(i)}</Status></InvalidationSummary>`).join('')}</Items>`) +
        `</InvalidationList>`
    )
  }

  function handle(req: RecordedRequest): EmulatorResponse {
    const headers: Record<string, string | undefined> = {}
    for (const [name, v] of Object.entries(req.headers)) headers[name] = Array.isArray(v) ? v.join(',') : v
    const check = verifySigV4(
      { method: req.method, path: req.path, query: req.query, headers, body: req.body },
      (ak) => (Object.hasOwn(keys, ak) ? keys[ak] : undefined),
      {
        region: 'us-east-1',
        service: 'cloudfront',
        now: now(),
        maxSkewSeconds: maxSkew
      }
    )
    if (!check.ok) return error(check.status!, check.code!, check.message!)
    const account = check.accessKey!
    // §3 step 4: temporary credentials carry X-Amz-Security-Token.
    const token = headers['x-amz-security-token']
    // ExpiredToken is AWS's generic code (§3 "Errors" [S13], unverified for CloudFront).
    if (token !== undefined && expired.has(token)) return error(400, 'ExpiredToken', 'The security token included in the request is expired')
    if (Object.hasOwn(tokens, account) ? token !== tokens[account] : token !== undefined)
      return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')
    if (rps > 0) {
      const slot = `${account} ${Math.floor(now() / 1000)}`
      const n = (perSecond.get(slot) ?? 0) + 1
      perSecond.set(slot, n)
      // §3 [S11]: Throttling (400) "Rate exceeded".
      if (n > rps) return error(400, 'Throttling', 'Rate exceeded')
    }
    const m = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation(?:\/([^/]+))?$/.exec(req.path)
    if (!m) return error(404, 'InvalidArgument', `No such operation: ${req.method} ${req.path}`)
    const [, distribution, invId] = m
    // Distributions are owned per account; another's is as good as absent (§3 "Errors" NoSuchDistribution).
    if (!Object.hasOwn(distributions, distribution) || distributions[distribution] !== account)
      return error(404, 'NoSuchDistribution', 'The specified distribution does not exist.')
    if (req.method === 'POST' && invId === undefined) {
      // §3 "Endpoint and transport" [S1]: an XML body (the code for another type is our reading).
      if (!/^application\/xml\b|^text\/xml\b/.test(headers['content-type'] ?? '')) return error(400, 'InvalidArgument', 'Content-Type must be application/xml.')
      return create(account, distribution, req.body, headers.host ?? '')
    }
    if (req.method === 'GET' && invId === undefined) return list(distribution, req.query)
    if (req.method === 'GET') {
      const inv = invalidations.get(invId)
      // §3 "Errors" [S13]: NoSuchInvalidation (404).
      if (!inv || inv.distribution !== distribution) return error(404, 'NoSuchInvalidation', 'The specified invalidation does not exist.')
      return xml(200, invalidationXml(inv))
    }
    return error(405, 'InvalidArgument', `Method ${req.method} is not served here.`)
  }

  const server = await startServer(handle, { latencyMs: options.latencyMs, port: options.port })
  return Object.assign(server, {
    invalidations,
    errorCounts: () => ({ ...errors }),
    creates: () => created,
    statusOf
  })
}
