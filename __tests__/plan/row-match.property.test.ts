/**
 * Matching without splitting the path (src/plan/row-match.ts) and the rule index of RuleMatcher
 * decide like minimatch itself, which stays the definition: generated globs against generated
 * paths, including the portions minimatch treats specially (empty, `.`, `..`, dotfiles).
 */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { minimatch } from 'minimatch'
import { globMatches, parseRules, RuleMatcher, ruleMatches, type CompiledRule } from '../../src/plan/rules.js'
import { isPlainPath, rowsMatch } from '../../src/plan/row-match.js'

/** The options src/plan/rules.ts compiles `files` globs with. */
const OPTIONS = { dot: true, nocomment: true, nonegate: true, platform: 'linux' } as const

/** Glob portions: literals, `**`, stars, classes, braces (lists and ranges) and extglobs. */
const globPortion = fc.constantFrom(
  '**',
  '**',
  '*',
  'a',
  'b',
  'docs',
  '.env',
  '*.md',
  'a*',
  '*a',
  '?',
  'a?',
  '[ab]',
  '[!a]*',
  '{a,b}',
  '{a,docs}',
  '*.{js,md}',
  '*.min.{js,css}',
  'x{1..3}',
  'x{1..300}.js',
  '@(a|b)',
  '!(a)',
  '+(a|b)',
  '.*',
  '_*',
  'a.b',
  'é*',
  'a b'
)
// a leading "!" would make it an exclusion in a rule
const glob = fc
  .array(globPortion, { minLength: 1, maxLength: 5 })
  .map((portions) => portions.join('/'))
  .filter((pattern) => !pattern.startsWith('!'))

/** Path portions, including the ones no git path has: empty, `.` and `..`. */
const pathPortion = fc.constantFrom(
  'a',
  'b',
  'docs',
  'aa',
  'ab',
  'x1',
  'x2',
  'x5.js',
  'x250.js',
  'a.b',
  '.env',
  'x.md',
  'y.min.js',
  '_x.md',
  'é.md',
  '.md',
  '.min.js',
  'a b',
  '.x',
  '',
  '.',
  '..'
)
const path = fc.array(pathPortion, { minLength: 1, maxLength: 6 }).map((portions) => portions.join('/'))

/** One rule whose `files` are `patterns`. */
function ruleOf(patterns: string[]): CompiledRule {
  return parseRules(`- files: ${JSON.stringify(patterns)}\n  urls: 'https://cdn.example.com/{path}'\n`)[0]
}

describe('matching decides like minimatch', () => {
  it('for one glob, on plain paths (rows) and the others (minimatch itself)', () => {
    fc.assert(
      fc.property(glob, fc.array(path, { minLength: 1, maxLength: 8 }), (pattern, paths) => {
        const [compiled] = ruleOf([pattern]).include
        for (const p of paths) {
          const expected = minimatch(p, pattern, OPTIONS)
          expect([pattern, p, globMatches(compiled, p)]).toEqual([pattern, p, expected])
          if (compiled.rows !== null && isPlainPath(p)) expect([pattern, p, rowsMatch(compiled.rows, p)]).toEqual([pattern, p, expected])
        }
      }),
      { numRuns: 2000 }
    )
  })

  it('for rules with exclusions, through ruleMatches and RuleMatcher', () => {
    const rule = fc.tuple(fc.array(glob, { minLength: 1, maxLength: 2 }), fc.array(glob, { maxLength: 2 }))
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), fc.array(path, { minLength: 1, maxLength: 10 }), (specs, paths) => {
        const rules = specs.map(([include, exclude]) => ruleOf([...include, ...exclude.map((p) => `!${p}`)]))
        const matcher = new RuleMatcher(rules)
        const out: CompiledRule[] = []
        for (const p of paths) {
          const expected = specs.flatMap(([include, exclude], i) =>
            include.some((g) => minimatch(p, g, OPTIONS)) && !exclude.some((g) => minimatch(p, g, OPTIONS)) ? [i] : []
          )
          expect(rules.flatMap((r, i) => (ruleMatches(r, p) ? [i] : []))).toEqual(expected)
          matcher.match(p, out)
          expect(out.map((r) => rules.indexOf(r))).toEqual(expected)
        }
      }),
      { numRuns: 500 }
    )
  })
})

describe('isPlainPath', () => {
  it.each([
    ['a', true],
    ['a/b.c', true],
    ['.env', true],
    ['a/.git/x', true],
    ['a/...', true],
    ['', false],
    ['/a', false],
    ['a/', false],
    ['a//b', false],
    ['.', false],
    ['./a', false],
    ['a/./b', false],
    ['..', false],
    ['a/../b', false],
    ['a/..', false]
  ])('%j: %s', (p, plain) => {
    expect(isPlainPath(p)).toBe(plain)
  })
})
