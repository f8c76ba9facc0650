/** Properties of the plan stage over generated paths, including the awkward characters. */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { minimatch } from 'minimatch'
import { InputError } from '../../src/errors.js'
import type { ChangedFile } from '../../src/model.js'
import { buildPlan, UNMATCHED_NAMED } from '../../src/plan/plan.js'
import { parseRules, RuleMatcher, ruleMatches, type CompiledRule } from '../../src/plan/rules.js'
import { encodePath, encodePathSegment, mapPathToUrls, unsafePathReason } from '../../src/plan/urls.js'

const BASE = 'https://cdn.example.com/base/'

/** Characters that need care in URLs, next to plain ones and any code point. */
const pathChar = fc.oneof(
  fc.constantFrom(...'abcXYZ019-_.~'.split('')),
  fc.constantFrom(...[' ', '#', '?', '%', '+', '&', '=', ';', ':', '@', '!', '$', "'", '(', ')', '*', ',', '[', ']', '{', '}']),
  fc.constantFrom(...['^', '|', '`', '"', '<', '>', 'é', 'ß', '日', '😀', '\u00a0', '\u200b']),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })
)

/** One file or directory name that a repository can hold. */
const segment = fc
  .oneof(
    { weight: 1, arbitrary: fc.constantFrom('index.html', '.env', 'a.min.js', '..txt', 'a.') },
    { weight: 6, arbitrary: fc.array(pathChar, { minLength: 1, maxLength: 6 }).map((chars) => chars.join('')) }
  )
  .filter((name) => !name.includes('/') && unsafePathReason(name) === null)

const repoPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'))

function ruleFor(template: string, extra = ''): CompiledRule {
  return parseRules(`- files: '**'\n  urls: '${template}'\n${extra}`)[0]
}

describe('mapped URLs stay under their template base', () => {
  const templates = [
    `${BASE}{path}`,
    `${BASE}{dir}/{name}`,
    `${BASE}{dir}/{stem}{ext}`,
    `${BASE}{dir}/{stem}.min{ext}?src={path}`,
    `${BASE}v1-{name}`,
    `${BASE}{stem}/{ext}/x`,
    `${BASE}{dir}/{stem}/`
  ]

  it('every URL keeps the origin and base path, or the file is refused with an error naming rule and file', () => {
    fc.assert(
      fc.property(fc.constantFrom(...templates), repoPath, (template, path) => {
        const rule = ruleFor(template, '  index: index.html\n')
        let urls: string[]
        try {
          urls = mapPathToUrls(rule, path)
        } catch (error) {
          expect(error).toBeInstanceOf(InputError)
          expect((error as InputError).input).toBe('rules')
          expect((error as InputError).message).toContain(`rule 1: file ${JSON.stringify(path)} `)
          return
        }
        expect(urls.length).toBeGreaterThanOrEqual(1)
        for (const url of urls) {
          expect(url.startsWith(BASE)).toBe(true)
          const parsed = new URL(url)
          expect(parsed.origin).toBe('https://cdn.example.com')
          expect(parsed.pathname.startsWith('/base/')).toBe(true)
          // the URL parser changed nothing in the path (no dot segment was folded away)
          expect(parsed.pathname).toBe(url.slice('https://cdn.example.com'.length).split('?')[0])
        }
      })
    )
  })

  /** Template text after the host: placeholders next to the characters that could make a dot segment or change the URL. */
  const templatePiece = fc.constantFrom(
    ...['{path}', '{dir}', '{name}', '{stem}', '{ext}', '/', '/', '.', '..', '%2e', '%2E', '%', '?', '=', 'a', 'x.', '~', '@', 'é', '|', '^', '%20', '\\']
  )
  // After `/b/`: a base path deeper than `/` can be left, and no template path starts with `//`
  // (compileTemplate throws a TypeError, Invalid URL, on those rather than an InputError).
  const template = fc.array(templatePiece, { minLength: 1, maxLength: 6 }).map((pieces) => `https://cdn.example.com/b/${pieces.join('')}`)

  it('for generated templates, what the shortcuts accept is what new URL() accepts', () => {
    fc.assert(
      fc.property(template, fc.array(repoPath, { minLength: 1, maxLength: 5 }), (text, paths) => {
        let rule: CompiledRule
        try {
          rule = ruleFor(text)
        } catch (error) {
          expect(error).toBeInstanceOf(InputError)
          return
        }
        const [{ origin, basePath }] = rule.templates
        for (const path of paths) {
          let urls: string[]
          try {
            urls = mapPathToUrls(rule, path)
          } catch (error) {
            expect((error as InputError).message).toContain(`rule 1: file ${JSON.stringify(path)} maps to `)
            continue
          }
          for (const url of urls) {
            // the full check: no dot segment, and new URL() keeps the origin and the base path
            const segments = url.slice(origin.length).split('?')[0].split('/')
            const dotSegment = segments.some((segment) => ['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e'].includes(segment.toLowerCase()))
            const parsed = new URL(url)
            expect([url, dotSegment, parsed.origin, parsed.pathname.startsWith(basePath)]).toEqual([url, false, origin, true])
          }
        }
      }),
      { numRuns: 2000 }
    )
  })

  it('{path} and {dir}/{name} never refuse a safe path', () => {
    fc.assert(
      fc.property(fc.constantFrom(`${BASE}{path}`, `${BASE}{dir}/{name}`), repoPath, (template, path) => {
        const [url] = mapPathToUrls(ruleFor(template), path)
        expect(new URL(url).href).toBe(url)
      })
    )
  })
})

describe('encoding', () => {
  const ENCODED_PATH = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$/

  it('decoding each segment of the {path} part gives the path back', () => {
    fc.assert(
      fc.property(repoPath, (path) => {
        const [url] = mapPathToUrls(ruleFor(`${BASE}{path}`), path)
        const part = url.slice(BASE.length)
        expect(part).toMatch(ENCODED_PATH)
        expect(part.split('/').map(decodeURIComponent).join('/')).toBe(path)
      })
    )
  })

  it('encodePathSegment round-trips any string and leaves only pchar and %XX', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (text) => {
        const encoded = encodePathSegment(text)
        expect(encoded).toMatch(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})*$/)
        // a character RFC 3986 allows in a segment is never escaped
        expect(encoded).not.toMatch(/%(?:2[146-9A-E]|3[0-9ABD]|4[0-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])/)
        expect(decodeURIComponent(encoded)).toBe(text)
      })
    )
  })

  it('encodePath is encodePathSegment on each segment, slashes kept, for any string', () => {
    // encodePath leaves the segments before the first one to encode as they are; this is the definition
    const bySegment = (path: string): string => path.split('/').map(encodePathSegment).join('/')
    const text = fc.array(fc.oneof(fc.constant('/'), pathChar), { maxLength: 12 }).map((chars) => chars.join(''))
    fc.assert(
      fc.property(text, (path) => {
        let expected: string
        try {
          expected = bySegment(path)
        } catch (error) {
          // a lone surrogate
          expect(error).toBeInstanceOf(URIError)
          expect(() => encodePath(path)).toThrow(URIError)
          return
        }
        expect(encodePath(path)).toBe(expected)
      }),
      { numRuns: 2000 }
    )
  })
})

describe('distinct paths give distinct URLs', () => {
  it('with {path}, with strip, and through buildPlan', () => {
    fc.assert(
      fc.property(fc.uniqueArray(repoPath, { minLength: 2, maxLength: 20 }), (paths) => {
        const plain = ruleFor(`${BASE}{path}`)
        expect(new Set(paths.map((path) => mapPathToUrls(plain, path)[0])).size).toBe(paths.length)

        const stripped = parseRules(`- files: 'public/**'\n  strip: 'public/'\n  urls: '${BASE}{path}'\n`)
        const files = paths.map((path): ChangedFile => ({ path: `public/${path}`, status: 'modified' }))
        expect(buildPlan(files, stripped, 'purge').plan.purgeUrls).toHaveLength(paths.length)
      })
    )
  })
})

describe('plan lists', () => {
  it('purge-prefetch purges every file and prefetches exactly the ones not deleted', () => {
    const status = fc.constantFrom<ChangedFile['status']>('added', 'modified', 'deleted')
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(repoPath, status), { selector: ([path]) => path, maxLength: 15 }), (pairs) => {
        const rules = parseRules(`- files: '**'\n  urls: '${BASE}{path}'\n`)
        const files = pairs.map(([path, s]): ChangedFile => ({ path, status: s }))
        const urlOf = (file: ChangedFile): string => mapPathToUrls(rules[0], file.path)[0]
        const { plan } = buildPlan(files, rules, 'purge-prefetch')
        expect(plan.purgeUrls).toEqual(files.map(urlOf))
        expect(plan.prefetchUrls).toEqual(files.filter((file) => file.status !== 'deleted').map(urlOf))
        expect(plan.purgeDirs).toEqual([])
      })
    )
  })
})

describe('RuleMatcher agrees with plain minimatch', () => {
  const fileLists = [
    ['public/**'],
    ['public/**', '!public/drafts/**'],
    ['**/*.md'],
    ['*.md'],
    ['{public,docs}/**/*.{html,md}'],
    ['docs/*/index.html'],
    ['public/**', '!**/*.map'],
    ['**/.env'],
    ['public/a/**', 'docs/**/*.md']
  ]
  const rules = parseRules(fileLists.map((files) => `- files: ${JSON.stringify(files)}\n  urls: '${BASE}{path}'\n`).join(''))
  const options = { dot: true, nocomment: true, nonegate: true }
  /** The matching rule numbers, straight from minimatch, pattern by pattern. */
  function oracle(path: string): number[] {
    return fileLists.flatMap((files, i) => {
      const included = files.some((p) => !p.startsWith('!') && minimatch(path, p, options))
      const excluded = files.some((p) => p.startsWith('!') && minimatch(path, p.slice(1), options))
      return included && !excluded ? [i + 1] : []
    })
  }
  const word = fc.constantFrom('public', 'docs', 'drafts', 'a', 'index.html', 'x.md', '.env', 'app.js.map', 'é.md', 'b c')
  const path = fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join('/'))

  it('for paths built from the words the rules use', () => {
    const matcher = new RuleMatcher(rules)
    const out: CompiledRule[] = []
    fc.assert(
      fc.property(path, (p) => {
        matcher.match(p, out)
        expect(out.map((rule) => rule.index)).toEqual(oracle(p))
      }),
      { numRuns: 500 }
    )
  })
})

describe('buildPlan gives the plan of the plain reference', () => {
  /**
   * The plan as buildPlan defines it, done the plain way: every file through every rule with
   * ruleMatches and mapPathToUrls, each list a set.
   */
  function referencePlan(files: ChangedFile[], rules: CompiledRule[], mode: 'purge' | 'prefetch' | 'purge-prefetch', extra: string[]) {
    const purge = new Set<string>()
    const prefetch = new Set<string>()
    const hits = rules.map(() => 0)
    let unmatched = 0
    const unmatchedFiles: string[] = []
    for (const file of files) {
      let any = false
      rules.forEach((rule, i) => {
        if (!ruleMatches(rule, file.path)) return
        any = true
        hits[i]++
        for (const url of mapPathToUrls(rule, file.path)) {
          if (mode !== 'prefetch') purge.add(url)
          if (mode !== 'purge' && file.status !== 'deleted') prefetch.add(url)
        }
      })
      if (!any) {
        unmatched++
        unmatchedFiles.push(file.path)
      }
    }
    for (const url of extra) {
      if (mode !== 'prefetch') purge.add(url)
      if (mode !== 'purge') prefetch.add(url)
    }
    return { plan: { purgeUrls: [...purge], purgeDirs: [], prefetchUrls: [...prefetch] }, ruleHits: hits, unmatched, unmatchedFiles }
  }

  // Overlapping rules, templates that map many files to one URL ({name}, {stem}), index pages,
  // two hosts, and a second rule on the same host as the first.
  const rules = parseRules(
    [
      "- files: ['public/**', '!public/**/*.map']",
      "  strip: 'public/'",
      "  urls: ['https://www.example.com/{path}', 'https://img.example.com/{name}']",
      '  index: index.html',
      "- files: '**/*.{js,css}'",
      "  urls: 'https://www.example.com/{name}'",
      "- files: 'docs/**/*.md'",
      "  strip: 'docs/'",
      "  urls: 'https://www.example.com/{dir}/{stem}.html'"
    ].join('\n')
  )
  const word = fc.constantFrom('public', 'docs', 'a', 'b', 'index.html', 'x.js', 'y.css', 'x.js.map', 'r.md', 'é.md', 'a b.js')
  const file = fc.record({
    path: fc.array(word, { minLength: 1, maxLength: 4 }).map((words) => words.join('/')),
    status: fc.constantFrom<ChangedFile['status']>('added', 'modified', 'deleted')
  })
  const extra = fc.array(fc.constantFrom('https://www.example.com/x.js', 'https://www.example.com/other.js', 'https://cdn.example.com/z'), { maxLength: 3 })

  it('in every mode, with repeated files and URLs, in the same order', () => {
    fc.assert(
      fc.property(fc.array(file, { maxLength: 25 }), fc.constantFrom('purge', 'prefetch', 'purge-prefetch' as const), extra, (files, mode, urls) => {
        const expected = referencePlan(files, rules, mode, urls)
        const result = buildPlan(files, rules, mode, { urls, dirs: [] })
        expect(result.plan).toEqual(expected.plan)
        expect(result.ruleHits.map((hit) => hit.files)).toEqual(expected.ruleHits)
        expect(result.unmatched).toBe(expected.unmatched)
        expect(result.unmatchedFiles).toEqual(expected.unmatchedFiles.slice(0, UNMATCHED_NAMED))
      }),
      { numRuns: 1000 }
    )
  })
})
