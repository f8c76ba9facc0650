import { afterEach, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { escapeControls, hasControls, jsonDecoded, shown, shownBody, SHOWN_CHARS } from '../src/external.js'
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
    ['JSON-escaped with `\\/` (PHP json_encode)', JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/')],
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

  it('finds its base64 form with `/` written `\\/` (inside a PHP json_encode string)', () => {
    const slashy = 'ab????cd-secret'
    const form = Buffer.from(slashy).toString('base64').replace(/\//g, '\\/')
    expect(form).toContain('\\/')
    addSecret(slashy)
    expect(redact(`before ${form} after`)).toBe('before *** after')
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

describe('shownBody: an error body as a message may quote it', () => {
  const secret = 'tok/Zq81-secret'
  const unicode = [...secret].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')

  it.each([
    ['as is', `{"detail":"token ${secret} refused"}`],
    ['with `\\/`', `{"detail":"token ${secret.replace(/\//g, '\\/')} refused"}`],
    ['as \\u00xx escapes', `{"detail":"token ${unicode} refused"}`],
    ['in a key', `{"${unicode}":"token refused"}`],
    ['base64', `{"detail":"token ${Buffer.from(secret).toString('base64')} refused"}`],
    ['URL-encoded', `{"detail":"token ${encodeURIComponent(secret)} refused"}`],
    ['in a JSON string body', `"token ${unicode} refused"`]
  ])('a JSON body echoing the secret %s: escapes undone, then redacted', (_, body) => {
    addSecret(secret)
    const out = shownBody(body)
    expect(out).toContain('***')
    expect(out).not.toMatch(/Zq81|\\u00/)
  })

  it('a long body that is not JSON (a proxy page) is cut with its length stated, not dropped', () => {
    const page = `<html>\n<title>403 Forbidden</title>\n<body>Request blocked by the WAF: rule 942100</body>${' '.repeat(50)}${'<p>x</p>'.repeat(500)}</html>`
    const out = shownBody(page)
    expect(out).toMatch(/^<html> <title>403 Forbidden<\/title> <body>Request blocked by the WAF: rule 942100<\/body> <p>x<\/p>/)
    expect(out).toMatch(/…\(\d+ characters\)$/)
    expect(out.length).toBeLessThan(SHOWN_CHARS + 30)
  })

  it('folds white space only after redaction, so a secret holding white space is found whole', () => {
    addSecret('pass  word\t1')
    expect(shownBody('bad password pass  word\t1 given')).toBe('bad password *** given')
  })

  it('a provider scrub runs on the decoded text; an empty body says so', () => {
    expect(shownBody('{"m":"k\\u0065y"}', (t) => t.replace('key', '***'))).toBe('{"m":"***"}')
    expect(shownBody('  \n')).toBe('an empty body (3 bytes)')
  })

  it('leaves a body that is not JSON as it is', () => {
    expect(jsonDecoded('{not json \\u0074')).toBe('{not json \\u0074')
    expect(jsonDecoded('plain')).toBe('plain')
    expect(jsonDecoded('[1, "\\/"]')).toBe('[1,"/"]')
  })
})
