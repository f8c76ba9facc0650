import { afterEach, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { escapeControls, hasControls, shown, SHOWN_CHARS } from '../src/external.js'
import { addSecret, clearSecrets, encodingsOf, redact } from '../src/redact.js'

afterEach(() => clearSecrets())

describe('shown: external text made fit to show', () => {
  it.each([
    ['plain', 'SUCCESS', 'SUCCESS'],
    ['newline', 'x\n::error::PWN', 'x\\n::error::PWN'],
    ['CR and tab', 'a\r\tb', 'a\\r\\tb'],
    ['escape sequence', '\x1b[31mred', '\\x1b[31mred'],
    ['NUL and DEL', 'a\x00b\x7f', 'a\\x00b\\x7f'],
    ['C1 next line', 'a\u0085b', 'a\\x85b'],
    ['line separator', 'a\u2028b', 'a\\u{2028}b'],
    ['bidi override', 'a\u202eb', 'a\\u{202e}b'],
    ['zero-width space', 'a\u200bb', 'a\\u{200b}b'],
    ['emoji stays', 'ok 👍', 'ok 👍']
  ])('%s', (_, input, expected) => {
    expect(shown(input)).toBe(expected)
    expect(hasControls(shown(input))).toBe(false)
  })

  it('cuts a long value and states its full length', () => {
    const long = 'x'.repeat(1024 * 1024)
    expect(shown(long)).toBe(`${'x'.repeat(SHOWN_CHARS)}…(1048576 characters)`)
    expect(shown(long, 10)).toBe('xxxxxxxxxx…(1048576 characters)')
  })

  it('never splits a surrogate pair at the cut', () => {
    expect(shown('a' + '👍'.repeat(10), 2)).toBe('a…(21 characters)')
  })

  it('redacts a secret before cutting, so no part of one crossing the cut is shown', () => {
    addSecret('SECRET-abcdefgh')
    expect(shown('x'.repeat(295) + 'SECRET-abcdefgh' + 'y'.repeat(1000))).toBe(`${'x'.repeat(295)}***${'y'.repeat(2)}…(1310 characters)`)
  })

  it('is one line with no control character, for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const out = shown(text)
        expect(out).not.toMatch(/[\r\n\u2028\u2029\u0085]/)
        expect(hasControls(out)).toBe(false)
        expect(out.length).toBeLessThanOrEqual(SHOWN_CHARS * 10 + 30)
      })
    )
  })

  it('escapeControls is reversible: a backslash escape per character', () => {
    expect(escapeControls('\n\u200b')).toBe('\\n\\u{200b}')
  })
})

describe('redact', () => {
  const secret = 'tok-Zq81/secret+ü'

  it.each([
    ['as is', secret],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['URL-encoded', encodeURIComponent(secret)],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url', Buffer.from(secret).toString('base64url')],
    ['hex', Buffer.from(secret).toString('hex')],
    ['HEX', Buffer.from(secret).toString('hex').toUpperCase()]
  ])('finds the secret %s', (_, form) => {
    addSecret(secret)
    expect(redact(`before ${form} after`)).not.toContain(form)
    expect(redact(`before ${form} after`)).toMatch(/^before \*\*\*.* after$/)
  })

  it('finds it inside a longer base64 text at any alignment (a Basic credential)', () => {
    addSecret(secret)
    for (const user of ['a', 'ab', 'abc']) {
      const basic = Buffer.from(`${user}:${secret}`).toString('base64')
      expect(redact(basic)).toContain('***')
      const shown = redact(basic).replace('***', '')
      expect(shown.length).toBeLessThan(12) // the user part and padding only
    }
  })

  it('leaves text without secrets untouched, and short values alone', () => {
    addSecret('abc')
    expect(redact('abc abcd')).toBe('abc abcd')
    expect(encodingsOf('abcd')).toContain('abcd')
  })

  it('prefers the longest form at a position', () => {
    addSecret('secret1')
    addSecret('secret1-longer')
    expect(redact('x secret1-longer y secret1 z')).toBe('x *** y *** z')
  })
})
