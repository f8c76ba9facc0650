/** The `rules` input: what it accepts, which paths each rule matches, and every error it gives. */
import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import { parseRules, RuleMatcher, ruleMatches, type CompiledRule } from '../../src/plan/rules.js'

const TEMPLATE = "'https://cdn.example.com/{path}'"

/** One rule with the given `files` YAML and a plain `{path}` template. */
function ruleFor(files: string): CompiledRule {
  const rules = parseRules(`- files: ${files}\n  urls: ${TEMPLATE}\n`)
  expect(rules).toHaveLength(1)
  return rules[0]
}

/** The InputError `parseRules(text)` throws (fails the test when it throws nothing). */
function parseError(text: string): InputError {
  try {
    parseRules(text)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error(`expected parseRules to reject:\n${text}`)
}

describe('parseRules: accepted rules', () => {
  it.each([
    ['empty text', ''],
    ['blank lines', '  \n\n'],
    ['only comments', '# no rules yet\n'],
    ['comments and blank lines, CRLF', '# a\r\n\r\n   # b\r\n'],
    ['an empty document', '---\n']
  ])('returns no rules for %s', (_, text) => {
    expect(parseRules(text)).toEqual([])
  })

  it('reads YAML 1.2 core scalars: a date-like glob stays a string', () => {
    const rules = parseRules(`- files: 2024-01-01/**\n  urls: 'https://cdn.example.com/{path}'\n`)
    expect(rules[0].files).toEqual(['2024-01-01/**'])
  })

  it('reads a single glob and a single template as one-item lists, numbering rules from 1', () => {
    const rules = parseRules(`- files: 'public/**'\n  urls: 'https://cdn.example.com/{path}'\n- files: docs/**\n  urls: https://docs.example.com/{path}\n`)
    expect(rules.map((rule) => rule.index)).toEqual([1, 2])
    expect(rules[0].files).toEqual(['public/**'])
    expect(rules[0].templates.map((template) => template.text)).toEqual(['https://cdn.example.com/{path}'])
    expect(rules[0].strip).toBe('')
    expect(rules[0].indexFile).toBeNull()
    expect(rules[1].files).toEqual(['docs/**'])
  })

  it('reads lists of globs and templates, strip and index', () => {
    const [rule] = parseRules(
      [
        '- files:',
        "    - 'public/**'",
        "    - '!public/drafts/**'",
        "  strip: 'public/'",
        '  urls:',
        "    - 'https://a.example.com/{path}'",
        "    - 'https://b.example.net:8443/static/{dir}/{name}'",
        '  index: index.html'
      ].join('\n')
    )
    expect(rule.files).toEqual(['public/**', '!public/drafts/**'])
    expect(rule.include.map((glob) => glob.pattern)).toEqual(['public/**'])
    expect(rule.exclude.map((glob) => glob.pattern)).toEqual(['public/drafts/**'])
    expect(rule.strip).toBe('public/')
    expect(rule.indexFile).toBe('index.html')
    expect(rule.templates.map((t) => [t.origin, t.basePath])).toEqual([
      ['https://a.example.com', '/'],
      ['https://b.example.net:8443', '/static/']
    ])
  })

  it('adds the missing trailing "/" to strip', () => {
    const [rule] = parseRules(`- files: 'site/public/**'\n  strip: site/public\n  urls: ${TEMPLATE}\n`)
    expect(rule.strip).toBe('site/public/')
  })

  it('normalises the scheme and host of a template once', () => {
    const [rule] = parseRules(`- files: '**'\n  urls: 'HTTPS://CDN.Example.COM:443/Assets/{path}'\n`)
    expect(rule.templates[0].origin).toBe('https://cdn.example.com')
    expect(rule.templates[0].literals[0]).toBe('https://cdn.example.com/Assets/')
    expect(rule.templates[0].basePath).toBe('/Assets/')
  })

  it.each([
    ["'public/**'", ['public/']],
    ["'site/public/**/*.html'", ['site/public/']],
    ["'{public,static}/**'", ['public/', 'static/']],
    ["'a/{b,c/d}/*.js'", ['a/b/', 'a/c/d/']],
    ["'docs/README.md'", ['docs/']],
    ["['public/**', 'docs/**']", ['public/', 'docs/']],
    ["'**/*.md'", []],
    ["'*.md'", []],
    ["['public/**', '**/*.md']", []],
    ["'*/public/**'", []]
  ])('precomputes the literal directory prefixes of files: %s', (files, prefixes) => {
    expect(ruleFor(files).prefixes).toEqual(prefixes)
  })
})

describe('matching paths', () => {
  it.each<[string, string, boolean]>([
    // a directory glob, including dotfiles at any depth
    ["'public/**'", 'public/a.js', true],
    ["'public/**'", 'public/deep/er/a.js', true],
    ["'public/**'", 'public/.env', true],
    ["'public/**'", 'public/.well-known/security.txt', true],
    ["'public/**'", 'publicity/a.js', false],
    ["'public/**'", 'src/public/a.js', false],
    ["'public/**'", 'public', false],
    // exclusions with !
    ["['public/**', '!public/drafts/**']", 'public/drafts/a.html', false],
    ["['public/**', '!public/drafts/**']", 'public/drafts-old/a.html', true],
    ["['public/**', '!**/*.map']", 'public/app.js.map', false],
    ["['public/**', '!**/*.map']", 'public/app.js', true],
    // brace globs
    ["'{public,static}/**/*.{html,css}'", 'static/a/b.css', true],
    ["'{public,static}/**/*.{html,css}'", 'public/index.html', true],
    ["'{public,static}/**/*.{html,css}'", 'public/app.js', false],
    ["'{public,static}/**/*.{html,css}'", 'assets/index.html', false],
    // suffix globs anywhere
    ["'**/*.md'", 'README.md', true],
    ["'**/*.md'", 'docs/a/b.md', true],
    ["'**/*.md'", 'docs/.hidden.md', true],
    ["'**/*.md'", 'docs/a.mdx', false],
    ["'*.md'", 'README.md', true],
    ["'*.md'", 'docs/a.md', false],
    ["'docs/*.md'", 'docs/a.md', true],
    ["'docs/*.md'", 'docs/sub/a.md', false],
    ["'docs/README.md'", 'docs/README.md', true],
    ["'docs/README.md'", 'docs/README.mdx', false],
    // characters that are special somewhere else: # is not a comment, ! inside is literal
    ["'#hash/**'", '#hash/a.txt', true],
    ["'public/a b#?.txt'", 'public/a b#?.txt', true],
    ["'\\!bang/**'", '!bang/a.txt', true],
    ["'lit\\[1\\]/**'", 'lit[1]/a.txt', true],
    ["'lit\\[1\\]/**'", 'lit1/a.txt', false],
    ["'café/**'", 'café/é.txt', true],
    ["'c++/**/*.h'", 'c++/x/a+b.h', true]
  ])('files %s matches %s: %s', (files, path, expected) => {
    const rule = ruleFor(files)
    expect(ruleMatches(rule, path)).toBe(expected)
    expect(new RuleMatcher([rule]).match(path, [])).toBe(expected ? 1 : 0)
  })

  it('RuleMatcher returns every matching rule, in rule order, reusing the output array', () => {
    const rules = parseRules(
      [
        `- files: '**/*.md'\n  urls: ${TEMPLATE}`,
        `- files: 'docs/**'\n  urls: ${TEMPLATE}`,
        `- files: 'public/**'\n  urls: ${TEMPLATE}`,
        `- files: ['docs/api/**', '!docs/api/internal/**']\n  urls: ${TEMPLATE}`
      ].join('\n')
    )
    const matcher = new RuleMatcher(rules)
    const out: CompiledRule[] = []
    const cases: [string, number[]][] = [
      ['docs/api/x.md', [1, 2, 4]],
      ['docs/api/internal/x.md', [1, 2]],
      ['public/a.js', [3]],
      ['README.md', [1]],
      ['src/main.ts', []]
    ]
    for (const [path, expected] of cases) {
      expect(matcher.match(path, out)).toBe(expected.length)
      expect(out.map((rule) => rule.index)).toEqual(expected)
    }
  })
})

describe('parseRules: errors name the input and the rule', () => {
  const ok = `- files: 'public/**'\n  urls: ${TEMPLATE}\n`

  it.each<[string, string, number, RegExp]>([
    ['bad YAML, with its position', `- files: 'public/**'\n  urls: [a\n- files: x\n`, 1, /is not valid YAML at line 3, column 1/],
    ['bad YAML in the second rule', `${ok}- files: [x\n  urls: ${TEMPLATE}\n`, 2, /is not valid YAML at line \d+, column \d+/],
    ['a duplicate key', `- files: a\n  files: b\n  urls: ${TEMPLATE}\n`, 1, /is not valid YAML at line 2, column 3: duplicated mapping key/],
    ["an unclosed quote on a rule's first line", `${ok}- files: 'x\n`, 2, /is not valid YAML at line 4, column 1/],
    ['bad indentation in the third rule', `${ok}${ok}- files: a\n  urls: b\n   c: d\n`, 3, /is not valid YAML at line 7, column 5: bad indentation/],
    ['bad YAML in an indented list', `  - files: a\n    urls: b\n  - files: [\n`, 2, /is not valid YAML at line 4, column 1/],
    ['an empty rule', `${ok}-\n`, 2, /is empty; each rule needs "files" and "urls"/],
    ['a rule that is a string', `- public/**\n`, 1, /must be a mapping with "files" and "urls", got a string/],
    ['missing files', `${ok}- urls: ${TEMPLATE}\n`, 2, /missing "files": add the glob\(s\)/],
    ['missing urls', `- files: 'public/**'\n`, 1, /missing "urls": add the URL template\(s\)/],
    ['an unknown key', `- files: a\n  urls: ${TEMPLATE}\n  host: x\n`, 1, /unknown key "host"; allowed keys are files, urls, strip, index/],
    ['a misspelt key', `- files: a\n  url: ${TEMPLATE}\n`, 1, /unknown key "url" \(did you mean "urls"\?\)/],
    ['files as a number', `- files: 2024\n  urls: ${TEMPLATE}\n`, 1, /"files" must be a glob or a list of them, got a number \(2024\); quote it/],
    [
      'files as a flow mapping',
      `- files: {a: 1}\n  urls: ${TEMPLATE}\n`,
      1,
      /"files" must be a glob .*got a mapping; a value starting with "\{" must be quoted/
    ],
    ['files as an empty list', `- files: []\n  urls: ${TEMPLATE}\n`, 1, /"files" is an empty list/],
    ['files as an empty string', `- files: ''\n  urls: ${TEMPLATE}\n`, 1, /"files" is empty/],
    ['a files item that is not a string', `- files: [a, 1]\n  urls: ${TEMPLATE}\n`, 1, /"files" item 2 must be a glob, got a number/],
    ['only exclusions', `- files: ['!public/drafts/**']\n  urls: ${TEMPLATE}\n`, 1, /"files" has only exclusions .* so it matches nothing/],
    ['a lone "!"', `- files: ['public/**', '!']\n  urls: ${TEMPLATE}\n`, 1, /"files" has a "!" with no pattern after it/],
    ['an absolute glob', `- files: '/public/**'\n  urls: ${TEMPLATE}\n`, 1, /"files" pattern "\/public\/\*\*" is not relative to the repository root/],
    ['a ./ glob', `- files: './public/**'\n  urls: ${TEMPLATE}\n`, 1, /is not relative to the repository root/],
    ['urls as a number', `- files: a\n  urls: 5\n`, 1, /"urls" must be a URL template or a list of them, got a number/],
    [
      'an unknown placeholder',
      `- files: a\n  urls: 'https://x.example.com/{foo}'\n`,
      1,
      /urls template "https:\/\/x.example.com\/\{foo\}" has an unknown placeholder \{foo\}; use \{path\}/
    ],
    ['no placeholder', `- files: a\n  urls: 'https://x.example.com/all.css'\n`, 1, /has no placeholder, so every file would map to this one URL/],
    ['a non-http template', `- files: a\n  urls: 'ftp://x.example.com/{path}'\n`, 1, /must start with http:\/\/ or https:\/\//],
    ['a template without scheme', `- files: a\n  urls: 'cdn.example.com/{path}'\n`, 1, /must start with http:\/\/ or https:\/\//],
    ['a placeholder in the host', `- files: a\n  urls: 'https://{name}.example.com/x'\n`, 1, /has a placeholder in its scheme, host or port/],
    ['a placeholder right after the host', `- files: a\n  urls: 'https://cdn.example.com{path}'\n`, 1, /has a placeholder in its scheme, host or port/],
    ['a placeholder in the port', `- files: a\n  urls: 'https://cdn.example.com:{ext}/x'\n`, 1, /has a placeholder in its scheme, host or port/],
    ['no host', `- files: a\n  urls: 'https:///{path}'\n`, 1, /has no host/],
    ['an empty path segment', `- files: a\n  urls: 'https://cdn.example.com//{path}'\n`, 1, /has an empty path segment \("\/\/"\)/],
    [
      'a space in the template',
      `- files: a\n  urls: 'https://cdn.example.com/my files/{path}'\n`,
      1,
      /contains a space or control character; percent-encode it/
    ],
    ['an invalid host', `- files: a\n  urls: 'https://[::1/{path}'\n`, 1, /has no valid host in "https:\/\/\[::1"/],
    ['a bad port', `- files: a\n  urls: 'https://cdn.example.com:99999/{path}'\n`, 1, /has no valid host/],
    ['a fragment', `- files: a\n  urls: 'https://cdn.example.com/#{path}'\n`, 1, /has a "#" fragment, which browsers never send to a CDN/],
    ['credentials', `- files: a\n  urls: 'https://user:pw@cdn.example.com/{path}'\n`, 1, /must not contain credentials/],
    ['an unclosed brace', `- files: a\n  urls: 'https://cdn.example.com/{path'\n`, 1, /has a "\{" without "\}"/],
    ['a stray closing brace', `- files: a\n  urls: 'https://cdn.example.com/a}/{path}'\n`, 1, /has a "\}" without "\{"/],
    ['a dot segment in the template', `- files: a\n  urls: 'https://cdn.example.com/a/../{path}'\n`, 1, /is not usable: .*"\." or "\.\." path segment/],
    ['a second bad template', `- files: a\n  urls: ['https://a.example.com/{path}', 'https://b.example.com/{nme}']\n`, 1, /unknown placeholder \{nme\}/],
    ['strip that is not a string', `- files: a\n  strip: 1\n  urls: ${TEMPLATE}\n`, 1, /"strip" must be a directory prefix such as 'public\/', got a number/],
    [
      'strip with ..',
      `- files: a\n  strip: '../public/'\n  urls: ${TEMPLATE}\n`,
      1,
      /"strip" "..\/public\/" must be a directory relative to the repository root/
    ],
    ['an absolute strip', `- files: a\n  strip: '/public/'\n  urls: ${TEMPLATE}\n`, 1, /"strip" "\/public\/" must be a directory relative/],
    ['index with a directory', `- files: a\n  index: 'a/index.html'\n  urls: ${TEMPLATE}\n`, 1, /"index" must be a file name such as 'index.html'/]
  ])('%s', (_, text, rule, detail) => {
    const error = parseError(text)
    expect(error.input).toBe('rules')
    expect(error.message.startsWith(`Input 'rules': rule ${rule}: `)).toBe(true)
    expect(error.message).toMatch(detail)
  })

  it.each([
    ['a mapping', 'files: a\nurls: b\n', /got a mapping/],
    ['a string', 'public/**\n', /got a string/]
  ])('rejects a top level that is %s, showing a correct example', (_, text, got) => {
    const error = parseError(text)
    expect(error.input).toBe('rules')
    expect(error.message).toMatch(/^Input 'rules': must be a YAML list of rules, each starting with "- "/)
    expect(error.message).toMatch(got)
    expect(error.message).toContain("- files: 'public/**'")
  })
})

describe('parseRules: a small input cannot amplify', () => {
  /** A billion-laughs style input: one anchored rule of 3,000 patterns, repeated by 999 aliases (3 million patterns). */
  function aliasBomb(): string {
    const patterns = Array.from({ length: 3000 }, (_, i) => `p${i}/**`).join(',')
    const lines = [`- &r`, `  files: [${patterns}]`, `  urls: ${TEMPLATE}`]
    for (let i = 0; i < 999; i++) lines.push('- *r')
    return lines.join('\n') + '\n'
  }

  it('aliases that would expand 33 KB into millions of patterns end at once with an error on rules', () => {
    const text = aliasBomb()
    expect(text.length).toBeLessThan(40 * 1024)
    const err = parseError(text)
    expect(err.input).toBe('rules')
    expect(err.message).toMatch(/more than 100,000 YAML values \(aliases such as \*name count once per use\)/)
  }, 30_000)

  it('nested aliases (each level ten of the one below) are counted as they expand', () => {
    const lines = ['- files: &l0 [a/**, b/**, c/**, d/**, e/**, f/**, g/**, h/**, i/**, j/**]', `  urls: ${TEMPLATE}`]
    // a list of lists is not a valid `files`, but the count stops before any rule is compiled
    lines.push('- files: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]', `  urls: ${TEMPLATE}`)
    for (let level = 2; level < 7; level++) {
      const prev = `*l${level - 1}`
      lines.push(`- files: &l${level} [${Array(10).fill(prev).join(', ')}]`, `  urls: ${TEMPLATE}`)
    }
    expect(parseError(lines.join('\n')).message).toMatch(/more than 100,000 YAML values/)
  })

  it('a few aliases of a small anchor are fine', () => {
    const rules = parseRules(`- files: &assets ['img/**', 'css/**']\n  urls: ${TEMPLATE}\n- files: *assets\n  urls: 'https://cdn2.example.com/{path}'\n`)
    expect(rules.map((r) => r.files)).toEqual([
      ['img/**', 'css/**'],
      ['img/**', 'css/**']
    ])
  })

  it('brace expansion counts every pattern it makes', () => {
    const braces = Array.from({ length: 14 }, (_, i) => `{a${i},b${i}}`).join('') // 16,384 patterns
    const err = parseError(`- files: '${braces}/**'\n  urls: ${TEMPLATE}\n`)
    expect(err.message).toMatch(/^Input 'rules': rule 1: "files" pattern .* takes the rules past 10,000 glob patterns after brace expansion/)
    // 2^13 = 8,192 patterns is within the budget
    expect(parseRules(`- files: '${braces.replace('{a13,b13}', '')}/**'\n  urls: ${TEMPLATE}\n`)).toHaveLength(1)
  })

  it('more than 1,000 rules, or 1,000 URL templates, are refused', () => {
    const rule = `- files: 'a/**'\n  urls: ${TEMPLATE}\n`
    expect(parseError(rule.repeat(1001)).message).toMatch(/has 1,001 rules, more than 1,000/)
    const urls = Array.from({ length: 1001 }, (_, i) => `'https://c${i}.example.com/{path}'`).join(', ')
    expect(parseError(`- files: 'a/**'\n  urls: [${urls}]\n`).message).toMatch(/rule 1: "urls" takes the rules past 1,000 URL templates/)
  })
})
