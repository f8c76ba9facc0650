/**
 * Every secret the run registers for log masking (inputs and derived credentials, through
 * `log.setSecret`) is also recorded here, with its common encodings, so the report, the job
 * summary, the outputs and the failure text can be scrubbed the way the runner scrubs the log:
 * those files are not masked by the runner.
 */

/** Shorter values are not redacted: they would blank out ordinary words. */
export const MIN_SECRET_CHARS = 4
export const REDACTED = '***'

/** Forms to find, by a hash of their first MIN_SECRET_CHARS characters (a small integer); longest first. */
const byKey = new Map<number, string[]>()
/** One bit per hash value modulo 2^16 that some form starts with: most positions are ruled out here. */
const starts = new Uint8Array(65536 / 8)

const keyAt = (text: string, i: number): number =>
  (Math.imul(Math.imul(Math.imul(text.charCodeAt(i), 31) + text.charCodeAt(i + 1), 31) + text.charCodeAt(i + 2), 31) + text.charCodeAt(i + 3)) & 0x3fffffff

/**
 * The base64 characters that depend on `bytes` alone when they sit at byte offset `shift`
 * (0–2) of a longer base64 text, as the runner's masker also looks for them.
 */
function base64Core(bytes: Buffer, shift: number): string {
  const b64 = Buffer.concat([Buffer.alloc(shift), bytes])
    .toString('base64')
    .replace(/=+$/, '')
  const first = Math.ceil((shift * 8) / 6)
  const last = Math.floor(((shift + bytes.length) * 8) / 6) // exclusive
  return b64.slice(first, last)
}

/** The secret as it may appear in text: as is, JSON-escaped (`/` escaped or not), URL-encoded, base64 (any alignment), hex. */
export function encodingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
    // the whole value encoded on its own, padding included
    bytes.toString('base64'),
    bytes.toString('base64url')
  ]
  for (const shift of [0, 1, 2]) {
    const core = base64Core(bytes, shift)
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  // Each form inside a JSON string with `/` written `\/`, as PHP's json_encode writes it.
  for (const form of [...forms]) if (form.includes('/')) forms.push(form.replace(/\//g, '\\/'))
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_CHARS)
}

/** Records a secret (and its encodings) for `redact`. */
export function addSecret(secret: string): void {
  if (secret.length < MIN_SECRET_CHARS) return
  for (const form of encodingsOf(secret)) {
    const key = keyAt(form, 0)
    starts[(key & 0xffff) >> 3] |= 1 << (key & 7)
    const list = byKey.get(key) ?? []
    if (list.includes(form)) continue
    list.push(form)
    list.sort((a, b) => b.length - a.length)
    byKey.set(key, list)
  }
}

/** Forgets every recorded secret (tests). */
export function clearSecrets(): void {
  byKey.clear()
  starts.fill(0)
}

/** `text` with every recorded secret, in any recorded form, replaced by `***`. */
export function redact(text: string): string {
  if (byKey.size === 0 || text.length < MIN_SECRET_CHARS) return text
  let out = ''
  let copied = 0
  for (let i = 0; i + MIN_SECRET_CHARS <= text.length;) {
    const key = keyAt(text, i)
    const list = (starts[(key & 0xffff) >> 3] & (1 << (key & 7))) === 0 ? undefined : byKey.get(key)
    const hit = list?.find((form) => text.startsWith(form, i))
    if (hit === undefined) {
      i++
      continue
    }
    out += text.slice(copied, i) + REDACTED
    i += hit.length
    copied = i
  }
  return copied === 0 ? text : out + text.slice(copied)
}
