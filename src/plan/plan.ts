/** From changed files, rules and mode to the lists of URLs and directories to send. */
import { InputError } from '../errors.js'
import type { ChangedFile, Mode, Plan } from '../model.js'
import { RuleMatcher, type CompiledRule } from './rules.js'
import { mapPathToUrls, type UrlList } from './urls.js'

export interface PlanResult {
  plan: Plan
  /** Files matched per rule, every rule in order (for the log). */
  ruleHits: { rule: number; files: number }[]
  /** Files no rule matched. */
  unmatched: number
}

/**
 * Maps every changed file through every rule it matches and adds the `urls` input (`extra`).
 * Purge modes purge added, modified and deleted files; prefetch modes prefetch added and
 * modified ones only (a deleted file is never prefetched). Lists are de-duplicated in first-seen
 * order, rule-mapped URLs before `extra`. Throws an `InputError` for a file a rule cannot map
 * (on `rules`) and for a directory in `urls` when nothing is purged (on `urls`).
 */
export function buildPlan(files: readonly ChangedFile[], rules: readonly CompiledRule[], mode: Mode, extra?: UrlList): PlanResult {
  if (mode !== 'purge' && mode !== 'prefetch' && mode !== 'purge-prefetch') {
    throw new InputError('mode', `${JSON.stringify(mode)} is not a mode; use purge, prefetch or purge-prefetch`)
  }
  const purging = mode !== 'prefetch'
  const prefetching = mode !== 'purge'
  if (!purging && extra !== undefined && extra.dirs.length > 0) {
    throw new InputError(
      'urls',
      `${JSON.stringify(extra.dirs[0])} is a directory (ends with "/"), and directories cannot be prefetched; list the files to prefetch, or use mode purge or purge-prefetch`
    )
  }
  const purgeUrls = new Set<string>()
  const prefetchUrls = new Set<string>()
  const hits = new Map<CompiledRule, number>(rules.map((rule) => [rule, 0]))
  const matcher = new RuleMatcher(rules)
  const matched: CompiledRule[] = []
  let unmatched = 0
  for (const file of files) {
    if (matcher.match(file.path, matched) === 0) {
      unmatched++
      continue
    }
    const prefetchFile = prefetching && file.status !== 'deleted'
    for (const rule of matched) {
      hits.set(rule, (hits.get(rule) ?? 0) + 1)
      for (const url of mapPathToUrls(rule, file.path)) {
        if (purging) purgeUrls.add(url)
        if (prefetchFile) prefetchUrls.add(url)
      }
    }
  }
  const purgeDirs = new Set<string>()
  if (extra !== undefined) {
    for (const url of extra.urls) {
      if (purging) purgeUrls.add(url)
      if (prefetching) prefetchUrls.add(url)
    }
    if (purging) for (const dir of extra.dirs) purgeDirs.add(dir)
  }
  return {
    plan: { purgeUrls: [...purgeUrls], purgeDirs: [...purgeDirs], prefetchUrls: [...prefetchUrls] },
    ruleHits: rules.map((rule) => ({ rule: rule.index, files: hits.get(rule) ?? 0 })),
    unmatched
  }
}
