/**
 * The workflow commands src/runner/commands.ts writes must be the bytes @actions/core writes
 * for the same call: the runner parses them (masks, groups, annotations).
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '@actions/core'
import fc from 'fast-check'
import { escapeData, escapeProperty, formatCommand, getInput, log, neutralise } from '../../src/runner/commands.js'
import { clearSecrets } from '../../src/redact.js'

/** What `fn` writes to stdout, without letting it reach the test's own output. */
function stdoutOf(fn: () => void): string {
  const chunks: string[] = []
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  })
  try {
    fn()
  } finally {
    spy.mockRestore()
  }
  return chunks.join('')
}

afterEach(() => {
  process.exitCode = undefined
  clearSecrets()
})

// Text with the characters the protocol escapes, and anything else.
const text = fc.oneof(fc.string(), fc.stringMatching(/^[%\r\n:,=a-z ]*$/), fc.string({ unit: 'grapheme' }))

describe('workflow commands', () => {
  it('escape %, CR, LF in messages and also : and , in properties', () => {
    expect(escapeData('50% a\r\nb:c,d')).toBe('50%25 a%0D%0Ab:c,d')
    expect(escapeProperty('50% a\r\nb:c,d')).toBe('50%25 a%0D%0Ab%3Ac%2Cd')
    expect(formatCommand('error', { title: 'a:b', file: undefined }, 'x\ny')).toBe('::error title=a%3Ab::x%0Ay')
    expect(formatCommand('endgroup', {}, '')).toBe('::endgroup::')
  })

  it('write what @actions/core writes for the same calls (text no runner would read as a command)', () => {
    fc.assert(
      fc.property(
        text.filter((t) => neutralise(t) === t),
        fc.option(
          text.filter((t) => t !== '' && neutralise(t) === t),
          { nil: undefined }
        ),
        (message, title) => {
          const props = title === undefined ? undefined : { title }
          const pairs: [() => void, () => void][] = [
            [() => log.info(message), () => core.info(message)],
            [() => log.debug(message), () => core.debug(message)],
            [() => log.notice(message, props), () => core.notice(message, props)],
            [() => log.warning(message, props), () => core.warning(message, props)],
            [() => log.error(message, props), () => core.error(message, props)],
            [() => log.startGroup(message), () => core.startGroup(message)],
            [() => log.endGroup(), () => core.endGroup()],
            // last: it records `message` as a secret, which later calls would show as ***
            [() => log.setSecret(message), () => core.setSecret(message)]
          ]
          for (const [ours, theirs] of pairs) expect(stdoutOf(ours)).toBe(stdoutOf(theirs))
          clearSecrets()
        }
      ),
      { numRuns: 300 }
    )
  })

  it('setFailed sets exit code 1 and writes the error, as @actions/core does', () => {
    const ours = stdoutOf(() => log.setFailed('bad: a,b\n'))
    expect(process.exitCode).toBe(1)
    process.exitCode = undefined
    expect(ours).toBe(stdoutOf(() => core.setFailed('bad: a,b\n')))
    expect(process.exitCode).toBe(1)
  })

  it('group ends the group when the work throws', async () => {
    const lines: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    })
    try {
      await expect(log.group('G', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    } finally {
      spy.mockRestore()
    }
    expect(lines.join('')).toBe('::group::G\n::endgroup::\n')
  })

  it('getInput reads INPUT_<NAME> as @actions/core does', () => {
    const names = ['min-success-rate', 'github token', 'Provider']
    for (const name of names) {
      const key = `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
      for (const value of ['  x y  \n', '', '\tz']) {
        process.env[key] = value
        expect(getInput(name)).toBe(core.getInput(name))
      }
      delete process.env[key]
      expect(getInput(name)).toBe(core.getInput(name))
    }
  })
})

/**
 * What the runner reads as a workflow command, after actions/runner's ActionCommand.cs:
 * TryParseV2 (a line that starts with `::` after TrimStart, a registered name up to the next
 * `::`) and, when that fails, TryParse (`##[` anywhere, a registered name up to `]`). Names
 * are compared as the runner registers them; TrimStart is modelled with JS white space.
 */
const REGISTERED = new Set([
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
  'stop-commands'
])
export function runnerCommand(line: string): string | null {
  const trimmed = line.replace(/^\s+/, '')
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2)
    if (end >= 0) {
      const name = trimmed.slice(2, end).split(' ')[0]
      if (REGISTERED.has(name)) return name
    }
  }
  const at = line.indexOf('##[')
  if (at >= 0) {
    const close = line.indexOf(']', at)
    if (close >= 0) {
      const name = line.slice(at + 3, close).split(' ')[0]
      if (REGISTERED.has(name)) return name
    }
  }
  return null
}

/** Every line `fn` writes, split where the runner splits (CR, LF, CRLF). */
const linesOf = (fn: () => void): string[] =>
  stdoutOf(fn)
    .replace(/\n$/, '')
    .split(/\r\n|\r|\n/)

describe('no text passed to the log becomes a command', () => {
  const injections = [
    'x\n::error::PWN',
    '::add-mask::abc',
    '  ::stop-commands::tok',
    '\t::set-output name=a::1',
    'x\r::warning::PWN',
    'x\r\n::group::PWN',
    'before ##[error]PWN',
    '##[stop-commands]tok',
    'a\n  ##[add-mask]secret',
    '\u200b::error::zero-width space first',
    '#\u200b#[error]zero-width inside',
    '\u00a0\u3000::error::unicode spaces'
  ]

  it.each(injections)('log.info(%j) writes no command line and shows the text escaped', (text) => {
    const lines = linesOf(() => log.info(text))
    for (const line of lines) expect(runnerCommand(line)).toBeNull()
    // visible and reversible: only backslashes were added
    expect(lines.join('\n').replace(/\\/g, '')).toBe(text.replace(/\r\n|\r/g, '\n'))
  })

  it.each(injections)('warning/error/notice/debug/group(%j) write exactly one line, read as that command', (text) => {
    const calls: [string, () => void][] = [
      ['warning', () => log.warning(text, { title: text })],
      ['error', () => log.error(text)],
      ['notice', () => log.notice(text)],
      ['debug', () => log.debug(text)],
      ['group', () => log.startGroup(text)],
      ['error', () => log.setFailed(text)]
    ]
    for (const [name, call] of calls) {
      const lines = linesOf(call).filter((l) => l !== '')
      expect(lines).toHaveLength(1)
      expect(runnerCommand(lines[0])).toBe(name)
      expect(lines[0]).not.toContain('##[')
    }
  })

  it('neutralises every line a property-generated text produces', () => {
    const hostile = fc.stringMatching(/^[:#[\]\r\n \tabc\u200b]*$/)
    fc.assert(
      fc.property(hostile, (text) => {
        for (const line of linesOf(() => log.info(text))) expect(runnerCommand(line)).toBeNull()
      }),
      { numRuns: 500 }
    )
  })

  it('redacts a recorded secret, in its encodings, from plain lines and annotations', () => {
    const secret = 'tok-Zq81-secret'
    const out = stdoutOf(() => {
      log.setSecret(secret)
      log.info(`a ${secret} b ${Buffer.from(secret).toString('base64')} c ${encodeURIComponent(secret)}`)
      log.error(`echo: ${Buffer.from(secret).toString('hex')}`)
    })
    expect(out).toBe(`::add-mask::${secret}\na *** b *** c ***\n::error::echo: ***\n`)
  })
})
