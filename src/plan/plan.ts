/** From changed files, rules and mode to the lists of URLs and directories to send. */
import { InputError } from '../errors.js'
import type { ChangedFile, Mode, Plan } from '../model.js'
import { RuleMatcher, type CompiledRule } from './rules.js'
import { isPlainPath } from './row-match.js'
import { appendMappedUrls, assertSafePath, isSimplePath, type UrlList } from './urls.js'

/**
 * An empty array that V8 already keeps as one of any values, unlike `[]`, which starts as one of
 * small integers and changes kind on its first push. Code optimized while one plan was built
 * expects the changed kind, so with a plain `[]` the next plan sent it back to the interpreter:
 * the first plans of the bench took about half again as long.
 */
function emptyArray<T>(): T[] {
  const array: unknown[] = [undefined]
  array.pop()
  return array as T[]
}

/**
 * The purge and prefetch lists: URLs are collected with duplicates while mapping, then both lists
 * are de-duplicated in first-seen order by `finish`, in one pass. (Hashing each URL as soon as it
 * was made was slower: the growing set and the mapping kept the garbage collector busier.) When
 * purging, every URL goes to purge, so a set of every URL seen and a set of the few URLs in purge
 * alone (those of deleted files) are enough for both lists.
 */
class PlanLists {
  /**
   * The URLs mapped so far, duplicates included; `appendMappedUrls` pushes onto it. `finish`
   * turns it into the prefetch list, in place, rather than allocating another array that long.
   */
  readonly mapped: string[] = emptyArray()
  /**
   * Which URLs taken from `mapped` go to purge alone: runs of them as [start, end) index pairs,
   * in order (a flag per URL would cost another array as long as `mapped`).
   */
  readonly #purgeOnly: number[] = []
  /** How many URLs of `mapped` have been taken. */
  #taken = 0

  constructor(
    readonly purging: boolean,
    readonly prefetching: boolean
  ) {}

  /**
   * Takes the URLs pushed onto `mapped` since the last call: to purge when purging, and to
   * prefetch when `prefetch` (never outside prefetching); drops them when neither.
   */
  take(prefetch: boolean): void {
    const { mapped } = this
    const taken = this.#taken
    if (!this.purging && !prefetch) {
      while (mapped.length > taken) mapped.pop()
      return
    }
    const runs = this.#purgeOnly
    if (!prefetch && mapped.length > taken) {
      if (runs.length > 0 && runs[runs.length - 1] === taken) runs[runs.length - 1] = mapped.length
      else runs.push(taken, mapped.length)
    }
    this.#taken = mapped.length
  }

  /** The two lists, each without duplicates, in first-seen order; `mapped` becomes prefetch. */
  finish(): { purge: string[]; prefetch: string[] } {
    const { mapped } = this
    const seen = new Set<string>()
    mapped.length = this.#dedupe(seen)
    // when purging, purge has every URL, in the order first seen
    return { purge: this.purging ? Array.from(seen) : [], prefetch: mapped }
  }

  /**
   * Adds every URL to `seen` and moves those to prefetch, each once, to the front of `mapped`
   * (each to an index already read); returns how many. A method of its own for the reason given
   * at `mapFiles`.
   */
  #dedupe(seen: Set<string>): number {
    const { mapped, prefetching } = this
    const runs = this.#purgeOnly
    /** URLs seen, in purge alone so far. */
    const unprefetched = new Set<string>()
    let prefetched = 0
    let run = 0
    for (let i = 0; i < mapped.length; i++) {
      if (run < runs.length && i === runs[run + 1]) run += 2
      const toPrefetch = !(run < runs.length && i >= runs[run])
      const url = mapped[i]
      const size = seen.size
      seen.add(url)
      if (seen.size > size) {
        if (toPrefetch) mapped[prefetched++] = url
        else if (prefetching) unprefetched.add(url)
      } else if (toPrefetch && unprefetched.delete(url)) {
        mapped[prefetched++] = url
      }
    }
    return prefetched
  }
}

export interface PlanResult {
  plan: Plan
  /** Files matched per rule, every rule in order (for the log). */
  ruleHits: { rule: number; files: number }[]
  /** Files no rule matched. */
  unmatched: number
  /** The first of them (at most UNMATCHED_NAMED), in order, to name in the log. */
  unmatchedFiles: string[]
}

/** Unmatched files `buildPlan` names; the rest are only counted. */
export const UNMATCHED_NAMED = 10

/**
 * Maps each file through the rules it matches onto `lists`, counting it in `hits`; returns how
 * many files matched no rule, the first UNMATCHED_NAMED of them pushed onto `unmatchedFiles`.
 * A function of its own, with nothing after its loop: V8 compiles the loop while first running
 * it, and code after the loop, with no type feedback yet, made that compiled code bail out at
 * the end of every later plan.
 */
function mapFiles(
  files: readonly ChangedFile[],
  matcher: RuleMatcher,
  lists: PlanLists,
  hits: Map<CompiledRule, { files: number }>,
  unmatchedFiles: string[]
): number {
  const matched: CompiledRule[] = emptyArray()
  let unmatched = 0
  for (let f = 0; f < files.length; f++) {
    const { path, status } = files[f]
    const simple = isSimplePath(path)
    const count = matcher.match(path, matched, simple || isPlainPath(path))
    if (count === 0) {
      if (unmatched++ < UNMATCHED_NAMED) unmatchedFiles.push(path)
      continue
    }
    // A simple path is safe; any other is checked in full, once per path rather than once per
    // rule, naming the first rule.
    if (!simple) assertSafePath(matched[0], path)
    for (let i = 0; i < count; i++) {
      const rule = matched[i]
      const counter = hits.get(rule)
      if (counter !== undefined) counter.files++
      appendMappedUrls(rule, path, lists.mapped, simple)
    }
    lists.take(lists.prefetching && status !== 'deleted')
  }
  return unmatched
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
  const lists = new PlanLists(purging, prefetching)
  // a counter per rule, so that a match costs one look-up
  const hits = new Map<CompiledRule, { files: number }>(rules.map((rule) => [rule, { files: 0 }]))
  const unmatchedFiles: string[] = emptyArray()
  const unmatched = mapFiles(files, new RuleMatcher(rules), lists, hits, unmatchedFiles)
  if (extra !== undefined) {
    for (const url of extra.urls) lists.mapped.push(url)
    lists.take(prefetching)
  }
  const { purge, prefetch } = lists.finish()
  return {
    plan: { purgeUrls: purge, purgeDirs: purging && extra !== undefined ? [...new Set(extra.dirs)] : [], prefetchUrls: prefetch },
    ruleHits: rules.map((rule) => ({ rule: rule.index, files: hits.get(rule)?.files ?? 0 })),
    unmatched,
    unmatchedFiles
  }
}
