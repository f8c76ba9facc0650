import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/errors.js'
import { readSettings } from '../src/inputs.js'

const base = { provider: 'ztgame', token: 'tok-secret', urls: 'https://a.example/x' }
function read(inputs: Record<string, string>) {
  const masked: string[] = []
  const settings = readSettings(
    (name) => inputs[name] ?? '',
    (s) => masked.push(s)
  )
  return { settings, masked }
}
function errorOf(inputs: Record<string, string>): InputError {
  try {
    read(inputs)
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error('no error')
}

describe('readSettings', () => {
  it('applies the documented defaults', () => {
    const { settings } = read(base)
    expect(settings).toMatchObject({
      endpoint: 'http://cdnapi.ztgame.com.cn',
      mode: 'purge',
      minSuccessRate: 100,
      wait: true,
      timeoutSeconds: 600,
      pollSeconds: null,
      dryRun: false
    })
    expect(settings.provider.name).toBe('ztgame')
  })

  it('masks secrets as soon as they are read', () => {
    const { masked } = read({ ...base, password: 'pw', 'github-token': 'ghs_x' })
    expect(masked).toEqual(expect.arrayContaining(['tok-secret', 'pw', 'ghs_x']))
    expect(masked).not.toContain('ztgame')
  })

  it('masks the secrets even when another input is invalid', () => {
    const masked: string[] = []
    expect(() =>
      readSettings(
        (n) => ({ ...base, mode: 'nope' })[n] ?? '',
        (s) => masked.push(s)
      )
    ).toThrow(InputError)
    expect(masked).toContain('tok-secret')
  })

  it('parses numbers, booleans, lists and strips a trailing slash from the endpoint', () => {
    const { settings } = read({
      ...base,
      endpoint: 'http://127.0.0.1:8080/',
      'min-success-rate': '90.5',
      wait: 'false',
      timeout: '30',
      'poll-interval': '2',
      'dry-run': 'TRUE',
      rules: '- x',
      files: 'a.txt\n\n  b.txt  \n'
    })
    expect(settings).toMatchObject({
      endpoint: 'http://127.0.0.1:8080',
      minSuccessRate: 90.5,
      wait: false,
      timeoutSeconds: 30,
      pollSeconds: 2,
      dryRun: true,
      files: ['a.txt', 'b.txt']
    })
  })

  it.each([
    [{ provider: 'akamai' }, 'provider', /'akamai' is not supported; use one of: ztgame, cdnetworks, ucloud/],
    [{ provider: '' }, 'provider', /is required; use one of/],
    [{ mode: 'refresh' }, 'mode', /use one of: purge, prefetch, purge-prefetch/],
    [{ 'min-success-rate': '101' }, 'min-success-rate', /0–100/],
    [{ 'min-success-rate': '-1' }, 'min-success-rate', /0–100/],
    [{ 'min-success-rate': 'ninety' }, 'min-success-rate', /not a percentage/],
    [{ timeout: '0' }, 'timeout', /whole number of seconds/],
    [{ timeout: '1.5' }, 'timeout', /whole number/],
    [{ timeout: '99999' }, 'timeout', /1–21600/],
    [{ 'poll-interval': '0' }, 'poll-interval', /number of seconds/],
    [{ wait: 'yes' }, 'wait', /true or false/],
    [{ 'dry-run': '1' }, 'dry-run', /true or false/],
    [{ endpoint: 'ftp://x' }, 'endpoint', /http\(s\) base URL/],
    [{ endpoint: 'https://user:pw@x' }, 'endpoint', /no credentials/],
    [{ base: '--upload-pack=x' }, 'base', /not a commit/],
    [{ token: '' }, 'token', /needs a token/],
    [{ urls: '', rules: '' }, 'rules', /give rules .* or urls/],
    [{ urls: '', files: 'a.txt' }, 'rules', /no rules map them/],
    [{ concurrency: '0' }, 'concurrency', /1–64/]
  ])('%j → error on %s', (over, input, message) => {
    const err = errorOf({ ...base, ...over })
    expect(err.input).toBe(input)
    expect(err.message).toMatch(new RegExp(`^Input '${input}': `))
    expect(err.message).toMatch(message)
  })

  it('does not require credentials for a dry run', () => {
    expect(read({ ...base, token: '', 'dry-run': 'true' }).settings.dryRun).toBe(true)
  })
})
