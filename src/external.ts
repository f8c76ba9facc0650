/**
 * Text that comes from outside the action (a provider's answers, the event payload, data-carrying
 * inputs) made fit to show: secrets redacted, control characters written as visible escapes (so
 * it stays on one line), and cut to a few hundred characters with its full length stated.
 */
import { redact } from './redact.js'

/** Characters of one external value shown before it is cut. */
export const SHOWN_CHARS = 300
/** Characters kept of a whole message that quotes external values (an error, a report item's message). */
export const MESSAGE_CHARS = 2000

/**
 * C0 and C1 controls (newlines included), line and paragraph separators, and invisible format
 * characters (zero-width, bidirectional overrides), which could break or disguise a line.
 */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu
/** UNSEEN without the global flag, for a stateless test. */
const ANY_UNSEEN = new RegExp(UNSEEN.source, 'u')

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const visible = (ch: string): string => {
  const code = ch.codePointAt(0)!
  return NAMED[ch] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`)
}

/** `text` with every control or invisible format character written as `\n`, `\x1b`, `\u{200b}`. */
export const escapeControls = (text: string): string => text.replace(UNSEEN, visible)

/** Whether `text` holds a character `escapeControls` would rewrite. */
export const hasControls = (text: string): boolean => ANY_UNSEEN.test(text)

/**
 * An external value as it may be shown in the log, the report or the summary: secrets
 * redacted, controls escaped, cut after `max` characters with `…(N characters)` stating the
 * full length.
 */
export function shown(text: string, max = SHOWN_CHARS): string {
  if (text.length <= max) return escapeControls(redact(text))
  // Redact a window wide enough that a secret crossing the cut is still found whole.
  let kept = redact(text.slice(0, max * 2 + 1024)).slice(0, max)
  // never split a surrogate pair
  if (/[\ud800-\udbff]$/.test(kept)) kept = kept.slice(0, -1)
  return `${escapeControls(kept)}…(${text.length} characters)`
}

/**
 * A JSON body parsed and written again, so that escapes a server may use (`\/`, `\u0074`) are
 * undone and secrets are found in their plain form; any other body as it is.
 */
export function jsonDecoded(body: string): string {
  const text = body.trim()
  if (!/^[[{"]/.test(text)) return body
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'string' ? value : JSON.stringify(value)
  } catch {
    return body
  }
}

/**
 * An answer's body as an error message may quote it: JSON escapes undone, `scrub` (a
 * provider's own secrets) and every recorded secret removed, white space folded (after
 * redaction, so a secret holding white space is found whole), then `shown`: one line, cut
 * with its length stated.
 */
export function shownBody(body: string, scrub: (text: string) => string = (text) => text): string {
  const text = scrub(redact(jsonDecoded(body)))
    .replace(/\s+/g, ' ')
    .trim()
  return text === '' ? `an empty body (${body.length} bytes)` : shown(text)
}
