/**
 * Mapping: 100,000 changed paths through 20 rules, the repository's `buildPlan` against a naive
 * baseline that tests every path against every rule's patterns with minimatch and renders URLs
 * with the same templating. Both must give the same plan. Matching is also timed on its own.
 * In this process; each timing is the median of several runs after one warm-up.
 */
import { Minimatch, type MinimatchOptions } from 'minimatch'
import type { ChangedFile, Mode, Plan } from '../src/model.js'
import { buildPlan } from '../src/plan/plan.js'
import { RuleMatcher, parseRules, type CompiledRule } from '../src/plan/rules.js'
import { mapPathToUrls } from '../src/plan/urls.js'
import { check, median, ms, ratio, type Figure } from './figures.js'
import { MAPPING_RULES, mappingFiles } from './workload.js'

export const MAPPING_PATHS = 100_000
const MODE: Mode = 'purge-prefetch'
/** The options src/plan/rules.ts compiles `files` globs with (not exported there). */
const GLOB_OPTIONS: MinimatchOptions = { dot: true, nocomment: true, nonegate: true, platform: 'linux' }

interface NaiveRule {
  rule: CompiledRule
  include: Minimatch[]
  exclude: Minimatch[]
}

function compileNaive(rules: readonly CompiledRule[]): NaiveRule[] {
  return rules.map((rule) => ({
    rule,
    include: rule.files.filter((p) => !p.startsWith('!')).map((p) => new Minimatch(p, GLOB_OPTIONS)),
    exclude: rule.files.filter((p) => p.startsWith('!')).map((p) => new Minimatch(p.slice(1), GLOB_OPTIONS))
  }))
}

const naiveMatches = (r: NaiveRule, path: string): boolean => r.include.some((m) => m.match(path)) && !r.exclude.some((m) => m.match(path))

/** The naive plan: every path × every rule through minimatch, then the same templating as buildPlan. */
function naivePlan(files: readonly ChangedFile[], rules: readonly NaiveRule[]): { plan: Plan; hits: number[]; unmatched: number } {
  const purge = new Set<string>()
  const prefetch = new Set<string>()
  const hits = rules.map(() => 0)
  let unmatched = 0
  for (const file of files) {
    let any = false
    const prefetchFile = file.status !== 'deleted'
    for (let i = 0; i < rules.length; i++) {
      if (!naiveMatches(rules[i], file.path)) continue
      any = true
      hits[i]++
      for (const url of mapPathToUrls(rules[i].rule, file.path)) {
        purge.add(url)
        if (prefetchFile) prefetch.add(url)
      }
    }
    if (!any) unmatched++
  }
  return { plan: { purgeUrls: [...purge], purgeDirs: [], prefetchUrls: [...prefetch] }, hits, unmatched }
}

/** Matching only: how many (path, rule) pairs match, and a checksum of which. */
function matchOurs(files: readonly ChangedFile[], rules: readonly CompiledRule[]): [number, number] {
  const matcher = new RuleMatcher(rules)
  const out: CompiledRule[] = []
  let pairs = 0
  let sum = 0
  for (let f = 0; f < files.length; f++) {
    pairs += matcher.match(files[f].path, out)
    for (const rule of out) sum = (sum + f * 31 + rule.index) % 1_000_000_007
  }
  return [pairs, sum]
}

function matchNaive(files: readonly ChangedFile[], rules: readonly NaiveRule[]): [number, number] {
  let pairs = 0
  let sum = 0
  for (let f = 0; f < files.length; f++) {
    for (const r of rules) {
      if (naiveMatches(r, files[f].path)) {
        pairs++
        sum = (sum + f * 31 + r.rule.index) % 1_000_000_007
      }
    }
  }
  return [pairs, sum]
}

function samePlan(a: Plan, b: Plan): boolean {
  const same = (x: string[], y: string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i])
  return same(a.purgeUrls, b.purgeUrls) && same(a.purgeDirs, b.purgeDirs) && same(a.prefetchUrls, b.prefetchUrls)
}

/** Median wall time of `runs` calls after one warm-up call, and the last result. */
function timed<T>(runs: number, fn: () => T): { medianMs: number; samples: number[]; result: T } {
  let result = fn()
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    result = fn()
    samples.push(performance.now() - start)
  }
  return { medianMs: median(samples), samples, result }
}

export interface MappingOptions {
  runs: number
  naiveRuns: number
  log: (line: string) => void
}

export function mapping(options: MappingOptions): { figures: Figure[]; details: Record<string, unknown> } {
  const section = `Mapping (${MAPPING_PATHS.toLocaleString('en')} changed paths × 20 rules, mode ${MODE}, median of ${options.runs} after a warm-up)`
  const files = mappingFiles(MAPPING_PATHS)
  const parse = timed(options.runs, () => parseRules(MAPPING_RULES))
  const rules = parse.result
  const naiveRules = compileNaive(rules)
  const patterns = rules.reduce((n, r) => n + r.files.length, 0)

  options.log('mapping: buildPlan…')
  const ours = timed(options.runs, () => buildPlan(files, rules, MODE))
  options.log('mapping: naive minimatch plan…')
  const naive = timed(options.naiveRuns, () => naivePlan(files, naiveRules))
  options.log('mapping: matching only…')
  const oursMatch = timed(options.runs, () => matchOurs(files, rules))
  const naiveMatch = timed(options.naiveRuns, () => matchNaive(files, naiveRules))

  const plansEqual =
    samePlan(ours.result.plan, naive.result.plan) &&
    ours.result.unmatched === naive.result.unmatched &&
    ours.result.ruleHits.every((h, i) => h.files === naive.result.hits[i])
  const matchesEqual = oursMatch.result[0] === naiveMatch.result[0] && oursMatch.result[1] === naiveMatch.result[1]
  const planRatio = naive.medianMs / ours.medianMs
  const matchRatio = naiveMatch.medianMs / oursMatch.medianMs
  const { plan } = ours.result
  const figures: Figure[] = [
    {
      section,
      name: 'buildPlan (match + URLs + de-dup)',
      measured: ms(ours.medianMs),
      target: '≤ 100 ms',
      verdict: check(ours.medianMs <= 100),
      value: ours.medianMs,
      note: `${plan.purgeUrls.length} purge URLs, ${plan.prefetchUrls.length} prefetch URLs, ${ours.result.unmatched} paths matched no rule; ${patterns} patterns`
    },
    { section, name: 'naive plan (minimatch every path × rule)', measured: ms(naive.medianMs), target: '', verdict: 'info', value: naive.medianMs },
    { section, name: 'speed-up of buildPlan over naive', measured: ratio(planRatio), target: '≥ 3.00×', verdict: check(planRatio >= 3), value: planRatio },
    {
      section,
      name: 'same plan as naive',
      measured: plansEqual ? 'yes' : 'NO',
      target: 'yes',
      verdict: check(plansEqual),
      note: 'purge and prefetch lists equal in content and order, per-rule hit counts and unmatched count equal'
    },
    {
      section,
      name: 'matching only (RuleMatcher)',
      measured: ms(oursMatch.medianMs),
      target: '≤ 100 ms',
      verdict: check(oursMatch.medianMs <= 100),
      value: oursMatch.medianMs,
      note: `${oursMatch.result[0]} (path, rule) matches${matchesEqual ? ', same pairs as naive' : ', DIFFERENT pairs from naive'}`
    },
    { section, name: 'matching only, naive', measured: ms(naiveMatch.medianMs), target: '', verdict: 'info', value: naiveMatch.medianMs },
    { section, name: 'speed-up of matching over naive', measured: ratio(matchRatio), target: '≥ 3.00×', verdict: check(matchRatio >= 3), value: matchRatio },
    {
      section,
      name: 'URL rendering etc. (buildPlan − matching)',
      measured: ms(ours.medianMs - oursMatch.medianMs),
      target: '',
      verdict: 'info',
      value: ours.medianMs - oursMatch.medianMs
    },
    { section, name: 'parseRules (20 rules)', measured: ms(parse.medianMs), target: '', verdict: 'info', value: parse.medianMs }
  ]
  return {
    figures,
    details: {
      paths: files.length,
      rules: rules.length,
      patterns,
      buildPlanMs: ours.samples,
      naivePlanMs: naive.samples,
      matchMs: oursMatch.samples,
      naiveMatchMs: naiveMatch.samples,
      parseRulesMs: parse.samples,
      plansEqual,
      matchesEqual,
      purgeUrls: plan.purgeUrls.length,
      prefetchUrls: plan.prefetchUrls.length,
      unmatched: ours.result.unmatched
    }
  }
}
