import { createHash, createHmac } from 'node:crypto'
import { percentEncode } from '../provider.js'

/**
 * AWS Signature Version 4 (providers-next.md §3 "Signature V4"; [S3]), hand-written: the
 * vendor's @smithy/signature-v4 costs ~144 KB in dist/ against these few lines. Pure functions
 * over strings, node:crypto only; pinned by the §3 vectors S-1…S-5.
 */

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256'

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest()

/** The canonical URI: each segment of the path as sent encoded once more, RFC 3986 (SigV4's UriEncode; services other than S3). */
export function canonicalUri(path: string): string {
  return path === '' ? '/' : path.split('/').map(percentEncode).join('/')
}

/** Sorted `key=value` pairs, both encoded, joined by `&`. */
export function canonicalQuery(query: readonly (readonly [string, string])[]): string {
  return query
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

export interface SigV4Input {
  method: string
  /** The path as sent (already percent-encoded where needed). */
  path: string
  /** Query parameters, not encoded. */
  query?: readonly (readonly [string, string])[]
  /** Every header to sign (any case); `host` and `x-amz-date` among them. */
  headers: Record<string, string>
  /** The body exactly as sent. */
  body: string
  accessKey: string
  secretKey: string
  region: string
  service: string
  /** `YYYYMMDDTHHMMSSZ`, as sent in X-Amz-Date. */
  amzDate: string
}

export interface SigV4Signed {
  canonicalRequest: string
  signedHeaders: string
  stringToSign: string
  signingKey: Buffer
  signature: string
  authorization: string
}

/** `YYYYMMDDTHHMMSSZ` of a time in ms. */
export function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
}

/** kSigning = HMAC chain "AWS4"+secret → date → region → service → aws4_request (§3 step 3). */
export function signingKey(secretKey: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secretKey, date), region), service), 'aws4_request')
}

/** Every step of the signature for one request (§3 steps 1–4). */
export function sigV4Sign(input: SigV4Input): SigV4Signed {
  const headers = Object.entries(input.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const signedHeaders = headers.map(([k]) => k).join(';')
  const canonicalRequest = [
    input.method,
    canonicalUri(input.path),
    canonicalQuery(input.query ?? []),
    headers.map(([k, v]) => `${k}:${v}\n`).join(''),
    signedHeaders,
    sha256Hex(input.body)
  ].join('\n')
  const date = input.amzDate.slice(0, 8)
  const scope = `${date}/${input.region}/${input.service}/aws4_request`
  const stringToSign = [SIGV4_ALGORITHM, input.amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  const key = signingKey(input.secretKey, date, input.region, input.service)
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex')
  return {
    canonicalRequest,
    signedHeaders,
    stringToSign,
    signingKey: key,
    signature,
    authorization: `${SIGV4_ALGORITHM} Credential=${input.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
  }
}
