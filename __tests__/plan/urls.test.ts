/** Mapping one file to URLs: encoding, placeholders, strip, index, the guard, and the `urls` input. */
import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import { parseRules, type CompiledRule } from '../../src/plan/rules.js'
import { encodePathSegment, mapPathToUrls, parseUrlList } from '../../src/plan/urls.js'

/** One rule from its YAML body (the lines after `- `, indented by two). */
function rule(...lines: string[]): CompiledRule {
  const [first, ...rest] = lines
  const rules = parseRules([`- ${first}`, ...rest.map((line) => `  ${line}`)].join('\n'))
  expect(rules).toHaveLength(1)
  return rules[0]
}

/** A rule matching every file, with one template. */
function templateRule(template: string): CompiledRule {
  return rule("files: '**'", `urls: '${template}'`)
}

/** The InputError `run` throws. */
function inputError(run: () => unknown): InputError {
  try {
    run()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('encodePathSegment (RFC 3986 pchar)', () => {
  it.each([
    ['plain-File_1.2~', 'plain-File_1.2~'],
    ["!$&'()*+,;=:@", "!$&'()*+,;=:@"],
    ['a+b', 'a+b'],
    ["a b!$&'()*+,;=:@", "a%20b!$&'()*+,;=:@"],
    ['a b', 'a%20b'],
    ['#', '%23'],
    ['?', '%3F'],
    ['%', '%25'],
    ['100%.txt', '100%25.txt'],
    ['%20', '%2520'],
    ['/', '%2F'],
    ['é', '%C3%A9'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
    ['😀', '%F0%9F%98%80'],
    ['[]^|{}`"<>\\', '%5B%5D%5E%7C%7B%7D%60%22%3C%3E%5C'],
    ['', '']
  ])('%j -> %j', (segment, encoded) => {
    expect(encodePathSegment(segment)).toBe(encoded)
    expect(decodeURIComponent(encodePathSegment(segment))).toBe(segment)
  })
})

describe('placeholders', () => {
  it.each([
    ['https://x.example.com/{path}', 'a/b/c.min.js', 'https://x.example.com/a/b/c.min.js'],
    ['https://x.example.com/{dir}/', 'a/b/c.min.js', 'https://x.example.com/a/b/'],
    ['https://x.example.com/n/{name}', 'a/b/c.min.js', 'https://x.example.com/n/c.min.js'],
    ['https://x.example.com/s/{stem}', 'a/b/c.min.js', 'https://x.example.com/s/c.min'],
    ['https://x.example.com/e/{ext}', 'a/b/c.min.js', 'https://x.example.com/e/.js'],
    ['https://x.example.com/{dir}/{stem}.gz', 'a/b/c.min.js', 'https://x.example.com/a/b/c.min.gz'],
    ['https://x.example.com/{stem}-{ext}-', 'tools/Makefile', 'https://x.example.com/Makefile--'],
    ['https://x.example.com/{stem}-{ext}-', 'config/.env', 'https://x.example.com/.env--'],
    ['https://x.example.com/{stem}-{ext}-', 'dist/archive.tar.gz', 'https://x.example.com/archive.tar-.gz-'],
    // an empty {dir} drops the "/" after it, only there
    ['https://x.example.com/{dir}/{name}', 'a.txt', 'https://x.example.com/a.txt'],
    ['https://x.example.com/base/{dir}/{name}', 'a.txt', 'https://x.example.com/base/a.txt'],
    ['https://x.example.com/?d={dir}&n={name}', 'a.txt', 'https://x.example.com/?d=&n=a.txt'],
    // query templates
    ['https://x.example.com/p?file={path}&v=1', 'a b/c.js', 'https://x.example.com/p?file=a%20b/c.js&v=1'],
    // scheme and host are normalised, path case is kept
    ['HTTPS://CDN.Example.COM:443/Assets/{path}', 'A.js', 'https://cdn.example.com/Assets/A.js'],
    ['http://cdn.example.com:8080/{path}', 'a.js', 'http://cdn.example.com:8080/a.js'],
    ['https://bücher.example/{path}', 'a.js', 'https://xn--bcher-kva.example/a.js']
  ])('%s maps %s to %s', (template, path, url) => {
    expect(mapPathToUrls(templateRule(template), path)).toEqual([url])
  })

  it.each([
    ['space, # and ?', 'a b/#1?.txt', 'a%20b/%231%3F.txt', '%231%3F.txt', '%231%3F', '.txt'],
    ['%', '100%/50%.txt', '100%25/50%25.txt', '50%25.txt', '50%25', '.txt'],
    ['non-ASCII', 'café/été.html', 'caf%C3%A9/%C3%A9t%C3%A9.html', '%C3%A9t%C3%A9.html', '%C3%A9t%C3%A9', '.html'],
    ['+ and sub-delimiters', "c++/a+b=c;d'e.h", "c++/a+b=c;d'e.h", "a+b=c;d'e.h", "a+b=c;d'e", '.h'],
    ['a space in the extension', 'a/b c.t x', 'a/b%20c.t%20x', 'b%20c.t%20x', 'b%20c', '.t%20x']
  ])('encodes %s in every placeholder', (_, path, encodedPath, name, stem, ext) => {
    const mapped = mapPathToUrls(
      rule(
        "files: '**'",
        'urls:',
        "  - 'https://x.example.com/p/{path}'",
        "  - 'https://x.example.com/n/{name}'",
        "  - 'https://x.example.com/s/{stem}'",
        "  - 'https://x.example.com/e/{ext}'"
      ),
      path
    )
    expect(mapped).toEqual([
      `https://x.example.com/p/${encodedPath}`,
      `https://x.example.com/n/${name}`,
      `https://x.example.com/s/${stem}`,
      `https://x.example.com/e/${ext}`
    ])
    for (const url of mapped) expect(new URL(url).href).toBe(url)
  })
})

describe('strip', () => {
  it.each([
    ["'public/'", 'public/a/b.js', 'https://cdn.example.com/a/b.js'],
    ["'public'", 'public/a/b.js', 'https://cdn.example.com/a/b.js'],
    ["'site/public/'", 'site/public/index.css', 'https://cdn.example.com/index.css']
  ])('strip %s maps %s to %s', (strip, path, url) => {
    const stripped = rule("files: '**'", `strip: ${strip}`, "urls: 'https://cdn.example.com/{path}'")
    expect(mapPathToUrls(stripped, path)).toEqual([url])
  })

  it('strips before {dir}, so a file right under strip is at the root', () => {
    const stripped = rule("files: 'public/**'", "strip: 'public/'", "urls: 'https://cdn.example.com/{dir}/{name}'")
    expect(mapPathToUrls(stripped, 'public/a.txt')).toEqual(['https://cdn.example.com/a.txt'])
  })

  it('rejects a matched file that does not start with strip, naming the rule, the file and the fix', () => {
    const rules = parseRules(
      [
        "- files: 'public/**'",
        "  urls: 'https://a.example.com/{path}'",
        "- files: ['public/**', 'docs/**']",
        "  strip: 'public/'",
        "  urls: 'https://cdn.example.com/{path}'"
      ].join('\n')
    )
    const error = inputError(() => mapPathToUrls(rules[1], 'docs/a.md'))
    expect(error.input).toBe('rules')
    expect(error.message).toMatch(/^Input 'rules': rule 2: file "docs\/a.md" matched but does not start with strip "public\/"; /)
    expect(error.message).toMatch(/narrow "files" .* or fix "strip"/)
  })
})

describe('index', () => {
  const pages = rule(
    "files: 'public/**'",
    "strip: 'public/'",
    'urls:',
    "  - 'https://cdn.example.com/{path}'",
    "  - 'https://www.example.org/site/{path}'",
    "  - 'https://cdn.example.com/{path}?v=1'",
    "  - 'https://cdn.example.com/{dir}/{stem}.gz'",
    'index: index.html'
  )

  it.each([
    [
      'public/a/index.html',
      [
        'https://cdn.example.com/a/index.html',
        'https://cdn.example.com/a/',
        'https://www.example.org/site/a/index.html',
        'https://www.example.org/site/a/',
        'https://cdn.example.com/a/index.html?v=1',
        'https://cdn.example.com/a/index.gz'
      ]
    ],
    [
      'public/index.html',
      [
        'https://cdn.example.com/index.html',
        'https://cdn.example.com/',
        'https://www.example.org/site/index.html',
        'https://www.example.org/site/',
        'https://cdn.example.com/index.html?v=1',
        'https://cdn.example.com/index.gz'
      ]
    ],
    [
      'public/a/other.html',
      [
        'https://cdn.example.com/a/other.html',
        'https://www.example.org/site/a/other.html',
        'https://cdn.example.com/a/other.html?v=1',
        'https://cdn.example.com/a/other.gz'
      ]
    ],
    [
      'public/a/index.htm',
      [
        'https://cdn.example.com/a/index.htm',
        'https://www.example.org/site/a/index.htm',
        'https://cdn.example.com/a/index.htm?v=1',
        'https://cdn.example.com/a/index.gz'
      ]
    ]
  ])('%s also maps to its directory page only where the URL ends in /index.html', (path, urls) => {
    expect(mapPathToUrls(pages, path)).toEqual(urls)
  })

  it('compares the encoded name', () => {
    const spaced = rule("files: '**'", "urls: 'https://cdn.example.com/{path}'", "index: 'start page.html'")
    expect(mapPathToUrls(spaced, 'a b/start page.html')).toEqual(['https://cdn.example.com/a%20b/start%20page.html', 'https://cdn.example.com/a%20b/'])
  })

  it('adds nothing without an index key', () => {
    expect(mapPathToUrls(templateRule('https://cdn.example.com/{path}'), 'a/index.html')).toEqual(['https://cdn.example.com/a/index.html'])
  })
})

describe('multiple templates and hosts', () => {
  it('maps one file once per template, in template order', () => {
    const multi = rule(
      "files: '**'",
      'urls:',
      "  - 'https://a.example.com/{path}'",
      "  - 'http://b.example.net:8443/static/{path}'",
      "  - 'https://a.example.com/mirror/{name}'"
    )
    expect(mapPathToUrls(multi, 'x/y.css')).toEqual([
      'https://a.example.com/x/y.css',
      'http://b.example.net:8443/static/x/y.css',
      'https://a.example.com/mirror/y.css'
    ])
  })
})

describe('control characters in file names (valid git paths)', () => {
  it.each([
    ['a newline', 'public/a\nb.html', 'https://cdn.example.com/base/public/a%0Ab.html'],
    ['a tab', 'a\tb/c.html', 'https://cdn.example.com/base/a%09b/c.html'],
    ['a carriage return and escape', 'x\r\u001b[31m.css', 'https://cdn.example.com/base/x%0D%1B%5B31m.css'],
    ['DEL and a C1 control', 'd\u007fe\u0085.js', 'https://cdn.example.com/base/d%7Fe%C2%85.js']
  ])('maps %s like any other byte', (_, path, url) => {
    expect(mapPathToUrls(templateRule('https://cdn.example.com/base/{path}'), path)).toEqual([url])
  })

  it('encodes them in every placeholder', () => {
    const urls = mapPathToUrls(templateRule('https://cdn.example.com/{dir}/{stem}{ext}?n={name}'), 'd\n/s\t.h\nt')
    expect(urls).toEqual(['https://cdn.example.com/d%0A/s%09.h%0At?n=s%09.h%0At'])
  })
})

describe('the guard: unsafe paths and escaping URLs are errors naming the rule and the file', () => {
  const any = templateRule('https://cdn.example.com/base/{path}')

  it.each([
    ['a .. segment', 'public/../secret.txt', /file "public\/..\/secret.txt" cannot be mapped to a URL: it has a "\.\." segment/],
    ['a leading ..', '../secret.txt', /it has a "\.\." segment/],
    ['a . segment', 'public/./a.txt', /it has a "\." segment/],
    ['an empty segment', 'public//a.txt', /it has an empty segment/],
    ['a trailing slash', 'public/', /it has an empty segment/],
    ['a leading slash', '/etc/passwd', /it starts with "\/"/],
    ['a backslash', 'public\\a.txt', /file "public\\\\a.txt" cannot be mapped to a URL: it contains a backslash/],
    ['a NUL', 'public/a\u0000b.txt', /file "public\/a\\u0000b.txt" .* it contains a NUL byte/],
    ['a lone surrogate', 'public/a\ud800.txt', /not valid Unicode/],
    ['an empty path', '', /it is empty/]
  ])('%s', (_, path, detail) => {
    const error = inputError(() => mapPathToUrls(any, path))
    expect(error.input).toBe('rules')
    expect(error.message.startsWith("Input 'rules': rule 1: file ")).toBe(true)
    expect(error.message).toMatch(detail)
  })

  it.each([
    ['{stem} of "..txt" is "."', 'https://cdn.example.com/{dir}/{stem}/x', 'a/..txt', 'https://cdn.example.com/a/./x'],
    ['{ext} of "a." is "."', 'https://cdn.example.com/{ext}/{name}', 'a.', 'https://cdn.example.com/./a.'],
    ['{stem} of "...x" is ".."', 'https://cdn.example.com/p/{stem}/', 'd/...x', 'https://cdn.example.com/p/../']
  ])('rejects a URL that would step out of its base: %s', (_, template, path, url) => {
    const error = inputError(() => mapPathToUrls(templateRule(template), path))
    expect(error.input).toBe('rules')
    expect(error.message).toContain(`rule 1: file ${JSON.stringify(path)} maps to ${JSON.stringify(url)}`)
    expect(error.message).toMatch(/"\." or "\.\." path segment/)
  })
})

describe('how much of the guard each URL of a template needs', () => {
  it.each([
    ['https://cdn.example.com/{path}', 'none'],
    ['https://cdn.example.com/base/{path}?v=1', 'none'],
    ['https://cdn.example.com/{name}', 'none'],
    ['https://cdn.example.com/{dir}/{name}', 'dots'],
    ['https://cdn.example.com/s/{stem}', 'dots'],
    ['https://cdn.example.com/p?file={path}', 'dots'],
    ['https://cdn.example.com/é/{path}', 'full'],
    ['https://cdn.example.com/a\\{path}', 'full']
  ])('%s: %s', (template, check) => {
    expect(templateRule(template).templates[0].check).toBe(check)
  })
})

describe('parseUrlList (the urls input)', () => {
  it('trims lines, skips blank ones, splits off directories and removes duplicates in first-seen order', () => {
    const text =
      '  https://a.example.com/x.js  \n\nhttps://a.example.com/dir/\r\nhttp://b.example.com/y?v=1\nhttps://a.example.com/x.js\nhttps://a.example.com/dir/\n'
    expect(parseUrlList(text)).toEqual({
      urls: ['https://a.example.com/x.js', 'http://b.example.com/y?v=1'],
      dirs: ['https://a.example.com/dir/']
    })
  })

  it('returns empty lists for empty text', () => {
    expect(parseUrlList('')).toEqual({ urls: [], dirs: [] })
    expect(parseUrlList(' \n \n')).toEqual({ urls: [], dirs: [] })
  })

  it.each([
    ['https://a.example.com/%E6%97%A5.js', 'urls'],
    ['https://a.example.com/a%20b', 'urls'],
    ['HTTPS://A.Example.com/X', 'urls'],
    ['https://a.example.com', 'urls'],
    ['https://a.example.com/?next=/', 'urls'],
    ['https://a.example.com/#/', 'urls'],
    ['https://a.example.com/', 'dirs'],
    ['http://[::1]:8080/static/', 'dirs']
  ])('keeps %s exactly as written, in %s', (url, list) => {
    const parsed = parseUrlList(url)
    expect(parsed[list as 'urls' | 'dirs']).toEqual([url])
    expect(parsed[list === 'urls' ? 'dirs' : 'urls']).toEqual([])
  })

  it.each([
    ['ftp://a.example.com/x', 1, 'ftp://a.example.com/x', /must start with http:\/\/ or https:\/\//],
    ['\n\na.example.com/x', 3, 'a.example.com/x', /must start with http:\/\/ or https:\/\//],
    ['https://a.example.com/ok\nhttps://a.example.com/a b', 2, 'b', /must start with http:\/\/ or https:\/\/.*so write a space inside a URL as %20/],
    ['https://a.example.com/a\u00a0b', 1, 'https://a.example.com/a\u00a0b', /contains a space or control character/],
    ['https://a.example.com/a\u0000', 1, 'https://a.example.com/a\u0000', /control character/],
    ['https:///x', 1, 'https:///x', /and a host/],
    ['https:a.example.com/x', 1, 'https:a.example.com/x', /must start with http:\/\/ or https:\/\//],
    ['https://[bad/', 1, 'https://[bad/', /the URL parser rejects it/],
    ['https://user:pw@a.example.com/x', 1, 'https://user:pw@a.example.com/x', /user name or password/]
  ])('rejects %j at line %i', (text, line, value, detail) => {
    const error = inputError(() => parseUrlList(text))
    expect(error.input).toBe('urls')
    expect(error.message.startsWith(`Input 'urls': line ${line}: ${JSON.stringify(value)} is not an http(s) URL (`)).toBe(true)
    expect(error.message).toMatch(detail)
  })

  it.each([
    // several on one line (the Run-workflow form), or several per line
    ['https://a.example.com/x.js https://a.example.com/y.js', ['https://a.example.com/x.js', 'https://a.example.com/y.js'], []],
    ['https://a.example.com/x.js\thttps://a.example.com/d/', ['https://a.example.com/x.js'], ['https://a.example.com/d/']],
    ['https://a.example.com/x.js, https://a.example.com/y.js', ['https://a.example.com/x.js', 'https://a.example.com/y.js'], []],
    ['https://a.example.com/x.js ,https://a.example.com/y.js', ['https://a.example.com/x.js', 'https://a.example.com/y.js'], []],
    ['https://a.example.com/x.js,https://b.example.com/y.js', ['https://a.example.com/x.js', 'https://b.example.com/y.js'], []],
    ['https://a.example.com/x.js,,HTTP://b.example.com/d/', ['https://a.example.com/x.js'], ['HTTP://b.example.com/d/']],
    [',https://a.example.com/x.js,', ['https://a.example.com/x.js'], []],
    [
      'https://a.example.com/x.js https://b.example.com/y.js\nhttps://c.example.com/z.js',
      ['https://a.example.com/x.js', 'https://b.example.com/y.js', 'https://c.example.com/z.js'],
      []
    ],
    // a comma between other characters belongs to the URL
    ['https://img.example.com/w_100,h_100/a.jpg', ['https://img.example.com/w_100,h_100/a.jpg'], []],
    ['https://a.example.com/list?ids=1,2,3', ['https://a.example.com/list?ids=1,2,3'], []],
    ['https://a.example.com/a,b/', [], ['https://a.example.com/a,b/']],
    ['https://a.example.com/x?ids=1,2, https://a.example.com/y,z.js', ['https://a.example.com/x?ids=1,2', 'https://a.example.com/y,z.js'], []],
    ['https://a.example.com/x.js https://a.example.com/x.js', ['https://a.example.com/x.js'], []]
  ])('splits %j into %j and %j', (text, urls, dirs) => {
    expect(parseUrlList(text)).toEqual({ urls, dirs })
  })

  it('names the input it was given', () => {
    expect(inputError(() => parseUrlList('nope', 'extra-urls')).input).toBe('extra-urls')
  })
})
