/** buildPlan: which changed files go to which list in each mode, de-duplication, and the log counts. */
import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/errors.js'
import type { ChangedFile, Mode } from '../../src/model.js'
import { buildPlan, UNMATCHED_NAMED } from '../../src/plan/plan.js'
import { parseRules } from '../../src/plan/rules.js'

const rules = parseRules(
  [
    "- files: ['public/**', '!public/drafts/**']",
    "  strip: 'public/'",
    "  urls: 'https://cdn.example.com/{path}'",
    '  index: index.html',
    "- files: '**/*.md'",
    "  urls: 'https://docs.example.com/{path}'"
  ].join('\n')
)

const added = (path: string): ChangedFile => ({ path, status: 'added' })
const modified = (path: string): ChangedFile => ({ path, status: 'modified' })
const deleted = (path: string): ChangedFile => ({ path, status: 'deleted' })

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

describe('modes', () => {
  const files = [added('public/new.js'), modified('public/a/index.html'), deleted('public/old.css')]

  it.each<[Mode, string[], string[]]>([
    ['purge', ['https://cdn.example.com/new.js', 'https://cdn.example.com/a/index.html', 'https://cdn.example.com/a/', 'https://cdn.example.com/old.css'], []],
    ['prefetch', [], ['https://cdn.example.com/new.js', 'https://cdn.example.com/a/index.html', 'https://cdn.example.com/a/']],
    [
      'purge-prefetch',
      ['https://cdn.example.com/new.js', 'https://cdn.example.com/a/index.html', 'https://cdn.example.com/a/', 'https://cdn.example.com/old.css'],
      ['https://cdn.example.com/new.js', 'https://cdn.example.com/a/index.html', 'https://cdn.example.com/a/']
    ]
  ])('%s: purges %j and prefetches %j', (mode, purgeUrls, prefetchUrls) => {
    expect(buildPlan(files, rules, mode).plan).toEqual({ purgeUrls, purgeDirs: [], prefetchUrls })
  })

  it('never prefetches a deleted file', () => {
    const { plan } = buildPlan([deleted('public/gone.js'), deleted('docs/gone.md')], rules, 'purge-prefetch')
    expect(plan.purgeUrls).toEqual(['https://cdn.example.com/gone.js', 'https://docs.example.com/docs/gone.md'])
    expect(plan.prefetchUrls).toEqual([])
  })

  it('purges both sides of a rename (deleted old + added new) and prefetches only the new one', () => {
    const { plan } = buildPlan([deleted('public/app.v1.js'), added('public/app.v2.js')], rules, 'purge-prefetch')
    expect(plan.purgeUrls).toEqual(['https://cdn.example.com/app.v1.js', 'https://cdn.example.com/app.v2.js'])
    expect(plan.prefetchUrls).toEqual(['https://cdn.example.com/app.v2.js'])
  })

  it('still checks a deleted file against its rule in prefetch mode, so a rule mistake does not depend on the change', () => {
    const strict = parseRules("- files: ['public/**', 'docs/**']\n  strip: 'public/'\n  urls: 'https://cdn.example.com/{path}'\n")
    const error = inputError(() => buildPlan([deleted('docs/a.txt')], strict, 'prefetch'))
    expect(error.input).toBe('rules')
    expect(error.message).toContain('rule 1: file "docs/a.txt" matched but does not start with strip "public/"')
  })

  it('rejects an unknown mode naming the choices', () => {
    const error = inputError(() => buildPlan([], rules, 'refresh' as Mode))
    expect(error.input).toBe('mode')
    expect(error.message).toContain('use purge, prefetch or purge-prefetch')
  })
})

describe('de-duplication and order', () => {
  it('keeps each URL once, in first-seen order, across files and rules', () => {
    const overlapping = parseRules(
      [
        "- files: 'public/**'",
        "  strip: 'public/'",
        "  urls: ['https://cdn.example.com/{path}', 'https://b.example.com/{name}']",
        "- files: 'public/**/*.js'",
        "  strip: 'public/'",
        "  urls: 'https://cdn.example.com/{path}'"
      ].join('\n')
    )
    const { plan } = buildPlan(
      [modified('public/x/app.js'), modified('public/y/app.js'), modified('public/x/app.js'), added('public/x/app.js')],
      overlapping,
      'purge-prefetch'
    )
    const expected = ['https://cdn.example.com/x/app.js', 'https://b.example.com/app.js', 'https://cdn.example.com/y/app.js']
    expect(plan.purgeUrls).toEqual(expected)
    expect(plan.prefetchUrls).toEqual(expected)
  })

  it('skips files no rule matches, and excluded ones', () => {
    const { plan, unmatched } = buildPlan([modified('src/main.ts'), modified('public/drafts/wip.html'), modified('public/ok.html')], rules, 'purge')
    expect(plan.purgeUrls).toEqual(['https://cdn.example.com/ok.html'])
    expect(unmatched).toBe(2)
  })
})

describe('the urls input (extra)', () => {
  const extra = {
    urls: ['https://cdn.example.com/a.js', 'https://cdn.example.com/extra.js'],
    dirs: ['https://cdn.example.com/img/']
  }

  it.each<[Mode, string[], string[], string[]]>([
    ['purge', ['https://cdn.example.com/a.js', 'https://cdn.example.com/extra.js'], ['https://cdn.example.com/img/'], []],
    [
      'purge-prefetch',
      ['https://cdn.example.com/a.js', 'https://cdn.example.com/extra.js'],
      ['https://cdn.example.com/img/'],
      ['https://cdn.example.com/a.js', 'https://cdn.example.com/extra.js']
    ]
  ])('%s: adds the URLs after the mapped ones without duplicates, and directories to purgeDirs', (mode, purgeUrls, purgeDirs, prefetchUrls) => {
    const { plan } = buildPlan([modified('public/a.js')], rules, mode, extra)
    expect(plan).toEqual({ purgeUrls, purgeDirs, prefetchUrls })
  })

  it('prefetch: prefetches the URLs when no directory is listed', () => {
    const { plan } = buildPlan([], rules, 'prefetch', { urls: extra.urls, dirs: [] })
    expect(plan).toEqual({ purgeUrls: [], purgeDirs: [], prefetchUrls: extra.urls })
  })

  it('prefetch: a directory is an error on urls, since directories cannot be prefetched', () => {
    const error = inputError(() => buildPlan([], rules, 'prefetch', extra))
    expect(error.input).toBe('urls')
    expect(error.message).toMatch(/"https:\/\/cdn.example.com\/img\/" is a directory .* directories cannot be prefetched/)
    expect(error.message).toContain('use mode purge or purge-prefetch')
  })

  it('works with no rules at all', () => {
    const result = buildPlan([modified('public/a.js')], [], 'purge', extra)
    expect(result.plan.purgeUrls).toEqual(extra.urls)
    expect(result.ruleHits).toEqual([])
    expect(result.unmatched).toBe(1)
  })
})

describe('ruleHits and unmatched (for the log)', () => {
  it('counts files per rule, every rule in order, any status, and files no rule matched', () => {
    const result = buildPlan(
      [added('public/a.md'), deleted('public/b.js'), modified('README.md'), modified('src/x.ts'), modified('public/drafts/c.md')],
      rules,
      'prefetch'
    )
    expect(result.ruleHits).toEqual([
      { rule: 1, files: 2 },
      { rule: 2, files: 3 }
    ])
    expect(result.unmatched).toBe(1)
    expect(result.unmatchedFiles).toEqual(['src/x.ts'])
  })

  it('names the first unmatched files in order and counts the rest', () => {
    const files = Array.from({ length: 25 }, (_, i) => modified(`src/f${i}.ts`))
    const result = buildPlan([modified('public/a.md'), ...files], rules, 'purge')
    expect(result.unmatched).toBe(25)
    expect(result.unmatchedFiles).toEqual(files.slice(0, UNMATCHED_NAMED).map((f) => f.path))
    expect(buildPlan([modified('public/a.md')], rules, 'purge').unmatchedFiles).toEqual([])
  })

  it('lists a rule that matched nothing with zero', () => {
    expect(buildPlan([modified('README.md')], rules, 'purge').ruleHits).toEqual([
      { rule: 1, files: 0 },
      { rule: 2, files: 1 }
    ])
  })
})
