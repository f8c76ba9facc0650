/**
 * The workflow commands src/runner/commands.ts writes must be the bytes @actions/core writes
 * for the same call: the runner parses them (masks, groups, annotations).
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '@actions/core'
import fc from 'fast-check'
import { escapeData, escapeProperty, formatCommand, getInput, log } from '../../src/runner/commands.js'

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

  it('write what @actions/core writes for the same calls', () => {
    fc.assert(
      fc.property(
        text,
        fc.option(
          text.filter((t) => t !== ''),
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
            [() => log.setSecret(message), () => core.setSecret(message)],
            [() => log.startGroup(message), () => core.startGroup(message)],
            [() => log.endGroup(), () => core.endGroup()]
          ]
          for (const [ours, theirs] of pairs) expect(stdoutOf(ours)).toBe(stdoutOf(theirs))
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
