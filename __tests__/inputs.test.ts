import { describe, expect, it } from '@jest/globals'
import { InputError } from '../src/errors.js'
import { parseFileList, plainHttpWarning, providerReader, readSettings } from '../src/inputs.js'
import type { ProviderDefinition } from '../src/providers/provider.js'
import { ztgame } from '../src/providers/ztgame.js'

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
      dryRun: false,
      verify: false
    })
    expect(settings.provider.name).toBe('ztgame')
  })

  it('masks secrets as soon as they are read', () => {
    const { masked } = read({ ...base, password: 'pw', 'github-token': 'ghs_x' })
    expect(masked).toEqual(expect.arrayContaining(['tok-secret', 'pw', 'ghs_x']))
    expect(masked).not.toContain('ztgame')
  })

  it.each(['token', 'password', 'api-key', 'secret-key', 'private-key', 'github-token'])('masks the %s input', (input) => {
    const value = `${input}-value-0123`
    const { masked } = read({ ...base, [input]: value })
    expect(masked).toContain(value)
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
    [{ verify: 'yes' }, 'verify', /'yes' is not a boolean; use true or false/],
    [{ verify: 'true', wait: 'false' }, 'verify', /wait is false, so they are not awaited; set wait to true, or verify to false/],
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

  it('verify: true or false in any case the other booleans take', () => {
    expect(read({ ...base, verify: 'true' }).settings.verify).toBe(true)
    expect(read({ ...base, verify: 'TRUE', 'dry-run': 'true' }).settings.verify).toBe(true)
    expect(read({ ...base, verify: 'False', wait: 'false' }).settings.verify).toBe(false)
  })

  it('batch-size: empty is the provider limit; a lower whole number is kept; above the limit is an InputError naming it', () => {
    expect(read(base).settings.batchSize).toBeNull()
    expect(read({ ...base, 'batch-size': '5' }).settings.batchSize).toBe(5)
    const uc = { provider: 'ucloud', 'public-key': 'pk', 'private-key': 'sk', urls: 'https://a.example/x' }
    expect(read({ ...uc, 'batch-size': '30' }).settings.batchSize).toBe(30)
    // purge-prefetch: up to the larger limit (prefetch 1,000); purge then uses its own 100.
    expect(read({ ...uc, mode: 'purge-prefetch', 'batch-size': '500' }).settings.batchSize).toBe(500)
    for (const [inputs, message] of [
      [{ ...base, 'batch-size': '11' }, /'11' is above ztgame's per-call limit \(purge 10\)/],
      [{ ...uc, 'batch-size': '101' }, /above ucloud's per-call limit \(purge 100\)/],
      [{ ...uc, mode: 'purge-prefetch', 'batch-size': '1001' }, /\(purge 100, prefetch 1000\)/],
      [{ ...base, 'batch-size': '0' }, /not a whole number of items/],
      [{ ...base, 'batch-size': '2.5' }, /not a whole number of items/],
      [{ ...base, 'batch-size': 'ten' }, /not a whole number of items/]
    ] as const) {
      const err = errorOf(inputs)
      expect(err.input).toBe('batch-size')
      expect(err.message).toMatch(message)
    }
  })

  it('dcdn: false by default; true for ucloud; true for a provider without it is an InputError naming the provider', () => {
    expect(read(base).settings.dcdn).toBe(false)
    const uc = { provider: 'ucloud', 'public-key': 'pk', 'private-key': 'sk', urls: 'https://a.example/x' }
    expect(read({ ...uc, dcdn: 'true' }).settings.dcdn).toBe(true)
    for (const provider of ['ztgame', 'cdnetworks']) {
      const err = errorOf({ ...base, provider, username: 'u', 'api-key': 'k', dcdn: 'true' })
      expect(err.input).toBe('dcdn')
      expect(err.message).toMatch(new RegExp(`${provider} has no whole-site acceleration`))
    }
    expect(read({ ...base, dcdn: 'false' }).settings.dcdn).toBe(false)
    expect(errorOf({ ...uc, dcdn: 'yes' }).input).toBe('dcdn')
  })

  it('does not require credentials for a dry run', () => {
    expect(read({ ...base, token: '', 'dry-run': 'true' }).settings.dryRun).toBe(true)
  })

  describe('numbers are plain decimals', () => {
    const numeric = ['min-success-rate', 'timeout', 'poll-interval', 'concurrency', 'dir-threshold']
    it.each(['0x10', '0b11', '0o7', '1e-9', '1E3', 'Infinity', '-Infinity', 'NaN', '+5', '  ', '\t', '1 0', '5%', '1,5', '1_000', '٣', '.', '-', ''])(
      '%j is an input error for every numeric input',
      (raw) => {
        for (const input of numeric) {
          // '' and blanks are "not set" once the runner trims them; here the raw value is passed as is
          if (raw === '') continue
          const err = errorOf({ ...base, provider: 'cdnetworks', token: '', username: 'u', 'api-key': 'k', [input]: raw })
          expect(err.input).toBe(input)
          expect(err.message).toMatch(/plain decimal/)
        }
      }
    )

    it.each([
      ['min-success-rate', '.5', 0.5, 'minSuccessRate'],
      ['min-success-rate', '99.', 99, 'minSuccessRate'],
      ['min-success-rate', '007', 7, 'minSuccessRate'],
      ['poll-interval', '0.25', 0.25, 'pollSeconds'],
      ['timeout', '60', 60, 'timeoutSeconds'],
      ['timeout', '60.0', 60, 'timeoutSeconds']
    ])('%s %j → %d', (input, raw, value, field) => {
      expect((read({ ...base, [input]: raw }).settings as any)[field]).toBe(value)
    })
  })

  it.each(['https://x.example\n::error::PWN', 'https://x.example/\t', 'https://x.\u200bexample'])(
    'an endpoint with a control character %j is refused, shown escaped',
    (endpoint) => {
      const err = errorOf({ ...base, endpoint })
      expect(err.input).toBe('endpoint')
      expect(err.message).not.toMatch(/[\n\t\u200b]/)
      expect(err.message).toMatch(/control characters/)
    }
  )
})

describe('plainHttpWarning', () => {
  it.each([
    ['http://cdnapi.ztgame.com.cn', true],
    ['http://10.0.0.5:8080/api', true],
    ['HTTP://Example.com', true],
    ['https://cdnapi.example.com', false],
    ['http://127.0.0.1:8080', false],
    ['http://127.1.2.3', false],
    ['http://localhost:3000', false],
    ['http://api.localhost', false],
    ['http://[::1]:9000', false]
  ])('%s → warns: %s', (endpoint, warns) => {
    const warning = plainHttpWarning(endpoint)
    expect(warning !== null).toBe(warns)
    if (warning) expect(warning).toMatch(/plain HTTP.*unencrypted.*https:\/\//)
  })
})

describe('parseFileList (the files input)', () => {
  it.each([
    // several lines: each line is one path, spaces and commas included
    ['a.txt\n\n  b.txt  \n', ['a.txt', 'b.txt']],
    ['public/My Report.pdf\npublic/a,b.png', ['public/My Report.pdf', 'public/a,b.png']],
    ['a.html b.html\nc.html', ['a.html b.html', 'c.html']],
    ['"quoted.txt"\nb.txt', ['"quoted.txt"', 'b.txt']],
    ['a.txt\r\nb c.txt\r\n', ['a.txt', 'b c.txt']],
    // one line (the Run-workflow form): spaces, tabs and commas separate
    ['public/a.html', ['public/a.html']],
    ['public/a.html public/b.css', ['public/a.html', 'public/b.css']],
    ['public/a.html,public/b.css', ['public/a.html', 'public/b.css']],
    ['public/a.html, public/b.css ,public/c.js\tpublic/d.js', ['public/a.html', 'public/b.css', 'public/c.js', 'public/d.js']],
    [',a.html,,b.html,', ['a.html', 'b.html']],
    ['  a.html  \n  \n', ['a.html']],
    // double quotes keep a path holding a space or comma whole, on one line only
    ['"public/My Report.pdf" public/a.html', ['public/My Report.pdf', 'public/a.html']],
    ['"public/a,b.png","c d.txt"', ['public/a,b.png', 'c d.txt']],
    ['a"b.txt c.txt', ['a"b.txt', 'c.txt']],
    ['"" a.txt', ['a.txt']],
    ['', []]
  ])('%j → %j', (raw, paths) => {
    expect(parseFileList(raw)).toEqual(paths)
  })

  it.each(['"My Report.pdf', '"My Report".pdf', 'a.txt "b.txt'])('refuses the unclosed quote in %j, naming the input', (raw) => {
    try {
      parseFileList(raw)
    } catch (e) {
      expect(e).toBeInstanceOf(InputError)
      expect((e as InputError).input).toBe('files')
      expect((e as Error).message).toMatch(/has no closing quote before a space, comma or the end; write "My Report.pdf", or one path per line/)
      return
    }
    throw new Error('no error')
  })

  it('is what readSettings gives for files', () => {
    expect(read({ ...base, rules: '- x', files: 'a.html, "b c.html"' }).settings.files).toEqual(['a.html', 'b c.html'])
  })
})

describe('provider inputs (each provider declares its own)', () => {
  const fake: ProviderDefinition = {
    ...ztgame,
    name: 'fake',
    inputs: [
      { name: 'access-key', secret: false, env: ['FAKE_ID', 'FAKE_ID_OLD'] },
      { name: 'secret-key', secret: true, env: ['FAKE_SECRET'] },
      { name: 'token', secret: true, env: ['FAKE_SESSION_TOKEN'] }
    ]
  }
  function reader(given: Record<string, string>, env: Record<string, string>) {
    const masked: string[] = []
    const read = providerReader(fake, new Map(Object.entries(given)), env, (s) => masked.push(s))
    return { read, masked }
  }

  it('reads the input; when every input with variables is empty, the first non-empty declared variable, trimmed', () => {
    const env = { FAKE_ID: 'from-env', FAKE_ID_OLD: 'old', FAKE_SECRET: ' s3cret \n' }
    const fromEnv = reader({ 'access-key': '', 'secret-key': '' }, env).read
    expect([fromEnv('access-key'), fromEnv('secret-key')]).toEqual(['from-env', 's3cret'])
    expect(reader({}, { FAKE_ID: '  ', FAKE_ID_OLD: 'old' }).read('access-key')).toBe('old')
    expect(reader({}, {}).read('token')).toBe('')
  })

  it('never mixes: once one such input is given, no variable is read (no key from one place and its secret or token from another)', () => {
    const env = { FAKE_ID: 'from-env', FAKE_SECRET: 'env-secret', FAKE_SESSION_TOKEN: 'env-token' }
    const { read, masked } = reader({ 'access-key': 'from-input' }, env)
    expect([read('access-key'), read('secret-key'), read('token')]).toEqual(['from-input', '', ''])
    expect(masked).toEqual([])
  })

  it('masks a value from the environment when the input is secret (a session token too), and only then', () => {
    const { read, masked } = reader({}, { FAKE_ID: 'AKID-visible', FAKE_SECRET: 'sk-from-env', FAKE_SESSION_TOKEN: 'sts-token-from-env' })
    read('access-key')
    read('secret-key')
    read('token')
    expect(masked).toEqual(['sk-from-env', 'sts-token-from-env'])
  })

  it('refuses a name the provider did not declare (a bug in the provider)', () => {
    expect(() => reader({ 'api-key': 'k' }, {}).read('api-key')).toThrow(/fake reads input 'api-key' without declaring it/)
  })

  it('does not read the environment of a provider that declares no variable', () => {
    const env = { ZTGAME_TOKEN: 'env-token', TOKEN: 'env-token' }
    const err = (() => {
      try {
        readSettings(
          (n) => ({ ...base, token: '' })[n] ?? '',
          () => {},
          env
        )
      } catch (e) {
        return e as InputError
      }
      throw new Error('no error')
    })()
    expect(err.input).toBe('token')
  })

  it('hands the provider its own settings; none in a dry run', () => {
    expect(read({ ...base, username: 'u' }).settings.providerSettings).toEqual({ token: 'tok-secret', username: 'u', password: '' })
    expect(read({ ...base, 'dry-run': 'true' }).settings.providerSettings).toBeNull()
    const uc = { provider: 'ucloud', 'public-key': 'pk', 'private-key': 'sk', 'project-id': 'org-1', urls: 'https://a.example/x' }
    expect(read(uc).settings.providerSettings).toEqual({ publicKey: 'pk', privateKey: 'sk', projectId: 'org-1' })
  })

  it('warns about an input given that the provider does not read, naming the input and who reads it; never its value', () => {
    const { settings, masked } = read({ ...base, 'api-key': 'cdn-key-1234', 'private-key': 'uc-private-5678', username: 'u' })
    expect(settings.warnings).toEqual([
      "Input 'api-key' is ignored: provider ztgame does not read it (cdnetworks does).",
      "Input 'private-key' is ignored: provider ztgame does not read it (ucloud does)."
    ])
    expect(masked).toEqual(expect.arrayContaining(['cdn-key-1234', 'uc-private-5678']))
    expect(read(base).settings.warnings).toEqual([])
    const cdn = read({ ...base, provider: 'cdnetworks', token: '', username: 'u', 'api-key': 'k', password: 'pw' }).settings.warnings
    expect(cdn).toEqual(["Input 'password' is ignored: provider cdnetworks does not read it (ztgame does)."])
  })
})
