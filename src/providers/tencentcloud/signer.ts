import { createHash, createHmac } from 'node:crypto'

/**
 * Tencent Cloud API signature v3, TC3-HMAC-SHA256 (providers-next.md §2 "Signature
 * TC3-HMAC-SHA256"; the vendor's "Signature v3" page and tencentcloud-sdk-nodejs-common
 * `sign3`). Pure functions over strings, node:crypto only; pinned by the §2 vectors.
 */

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256'

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest()
}

/** The UTC date (YYYY-MM-DD) of a unix timestamp in seconds: the credential scope's date. */
export function tc3Date(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10)
}

export interface Tc3CanonicalInput {
  /** The Content-Type header exactly as sent. */
  contentType: string
  host: string
  /** Set to sign `x-tc-action` too (lowercased), as the current demos do. */
  action?: string
  /** The request body exactly as sent. */
  body: string
}

/** The canonical request of a POST to `/` (empty query) and the SignedHeaders list. */
export function tc3CanonicalRequest(input: Tc3CanonicalInput): { canonicalRequest: string; signedHeaders: string } {
  const headers: [string, string][] = [
    ['content-type', input.contentType],
    ['host', input.host]
  ]
  if (input.action !== undefined) headers.push(['x-tc-action', input.action.toLowerCase()])
  headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const canonicalHeaders = headers.map(([k, v]) => `${k}:${v}\n`).join('')
  const signedHeaders = headers.map(([k]) => k).join(';')
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256Hex(input.body)].join('\n')
  return { canonicalRequest, signedHeaders }
}

/** `<date>/<service>/tc3_request` */
export function tc3Scope(date: string, service: string): string {
  return `${date}/${service}/tc3_request`
}

export function tc3StringToSign(timestamp: number, service: string, canonicalRequest: string): string {
  return [TC3_ALGORITHM, String(timestamp), tc3Scope(tc3Date(timestamp), service), sha256Hex(canonicalRequest)].join('\n')
}

/** kDate = HMAC("TC3" + SecretKey, date); kService = HMAC(kDate, service); kSigning = HMAC(kService, "tc3_request"). */
export function tc3SigningKey(secretKey: string, date: string, service: string): Buffer {
  const kDate = hmac('TC3' + secretKey, date)
  const kService = hmac(kDate, service)
  return hmac(kService, 'tc3_request')
}

export function tc3Signature(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex')
}

export function tc3Authorization(secretId: string, date: string, service: string, signedHeaders: string, signature: string): string {
  return `${TC3_ALGORITHM} Credential=${secretId}/${tc3Scope(date, service)}, SignedHeaders=${signedHeaders}, Signature=${signature}`
}

export interface Tc3SignInput extends Tc3CanonicalInput {
  secretId: string
  secretKey: string
  service: string
  /** Unix seconds, as sent in X-TC-Timestamp. */
  timestamp: number
}

export interface Tc3Signed {
  canonicalRequest: string
  signedHeaders: string
  stringToSign: string
  signature: string
  authorization: string
}

/** Every step of the signature for one request. */
export function tc3Sign(input: Tc3SignInput): Tc3Signed {
  const { canonicalRequest, signedHeaders } = tc3CanonicalRequest(input)
  const date = tc3Date(input.timestamp)
  const stringToSign = tc3StringToSign(input.timestamp, input.service, canonicalRequest)
  const signature = tc3Signature(tc3SigningKey(input.secretKey, date, input.service), stringToSign)
  return {
    canonicalRequest,
    signedHeaders,
    stringToSign,
    signature,
    authorization: tc3Authorization(input.secretId, date, input.service, signedHeaders, signature)
  }
}
