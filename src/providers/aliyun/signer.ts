/**
 * Alibaba Cloud request signatures, pure functions (providers-next.md §1): the classic RPC
 * HMAC-SHA1 scheme the client uses, and ACS3-HMAC-SHA256 (the current one), both pinned by
 * the known-answer vectors A-1…A-5. Node's crypto only; no SDK.
 */
import { createHash, createHmac } from 'node:crypto'
import { percentEncode } from '../provider.js'

export { percentEncode }

/** Encoded `name=value` pairs sorted by encoded name (byte order; all ASCII), joined by `&`. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/** RPC StringToSign: `METHOD&%2F&` + percentEncode(canonical query of every param but Signature). */
export function rpcStringToSign(method: string, params: Record<string, string>): string {
  const rest = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'Signature'))
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(rest))}`
}

/** RPC Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)). */
export function rpcSignature(method: string, params: Record<string, string>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(rpcStringToSign(method, params), 'utf8').digest('base64')
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

/** What an ACS3 signature covers. `headers` are the ones to sign (host, content-type, x-acs-*). */
export interface Acs3Request {
  method: string
  /** `/` for RPC-style APIs. */
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: string
}

/** Lowercase names sorted, `;`-joined. */
export function acs3SignedHeaders(headers: Record<string, string>): string {
  return Object.keys(headers)
    .map((k) => k.toLowerCase())
    .sort()
    .join(';')
}

/** CanonicalRequest: method, URI, query, `name:value\n` headers, signed header list, hex SHA-256 of the body. */
export function acs3CanonicalRequest(req: Acs3Request): string {
  const lower = new Map(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v.trim()]))
  const names = [...lower.keys()].sort()
  const headerText = names.map((n) => `${n}:${lower.get(n)}\n`).join('')
  return [req.method.toUpperCase(), req.path, canonicalQuery(req.query), headerText, names.join(';'), sha256Hex(req.body)].join('\n')
}

export const acs3StringToSign = (req: Acs3Request): string => `ACS3-HMAC-SHA256\n${sha256Hex(acs3CanonicalRequest(req))}`

export const acs3Signature = (req: Acs3Request, secret: string): string => createHmac('sha256', secret).update(acs3StringToSign(req), 'utf8').digest('hex')

/** `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<list>,Signature=<hex>` (commas, no spaces). */
export function acs3Authorization(req: Acs3Request, accessKeyId: string, secret: string): string {
  return `ACS3-HMAC-SHA256 Credential=${accessKeyId},SignedHeaders=${acs3SignedHeaders(req.headers)},Signature=${acs3Signature(req, secret)}`
}
