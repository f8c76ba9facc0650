/** Fetching the targets at the edge, in rounds: every target once, then the stale and unreachable ones again. */
import { mapConcurrent, type Clock } from '../engine/clock.js'
import { judge, recheckable, type EdgeAnswer, type EdgeCheck, type FileDigest } from './outcome.js'
import type { EdgeTarget } from './targets.js'

export interface EdgeCheckDeps {
  /** A plain GET of the URL through the CDN; never throws. */
  fetch(url: string): Promise<EdgeAnswer>
  /** The workspace file's digest (repository path); never throws. */
  digest(file: string): Promise<FileDigest>
  clock: Clock
  /** Clock time no round starts after (the run's `timeout`). */
  deadline: number
  log(line: string): void
}

export interface EdgeCheckOptions {
  /** Fetches in flight at once. */
  concurrency: number
  /** Pauses before each recheck round, from the end of the round before. */
  recheckDelaysMs: readonly number[]
}

export interface EdgeCheckResult {
  /** One per target, in target order: its last check. */
  checks: EdgeCheck[]
  rounds: number
  seconds: number
}

/** Why a URL several changed files map to is not fetched, naming the first few. */
function sharedDetail(files: readonly string[]): string {
  const named = files.slice(0, 3).join(', ')
  return `${files.length} changed files map to this URL (${named}${files.length > 3 ? ', …' : ''}); not fetched`
}

/**
 * Checks every target once, then rechecks the stale and unreachable ones after each pause of
 * `recheckDelaysMs` while any are left and the pause ends before the deadline. A file is
 * digested once however many URLs map to it; a skipped target (file too large, not a regular
 * file, a URL several changed files map to) is never fetched.
 */
export async function checkTargets(targets: readonly EdgeTarget[], deps: EdgeCheckDeps, options: EdgeCheckOptions): Promise<EdgeCheckResult> {
  const started = deps.clock.now()
  const digests = new Map<string, Promise<FileDigest>>()
  const digestOf = (file: string): Promise<FileDigest> => {
    let d = digests.get(file)
    if (d === undefined) digests.set(file, (d = deps.digest(file)))
    return d
  }
  const checkOne = async (target: EdgeTarget): Promise<EdgeCheck> => {
    // the edge serves one body for them: no file to compare it with
    if (target.sharedBy) return { result: 'skipped', detail: sharedDetail(target.sharedBy) }
    const expected = target.file === null ? null : await digestOf(target.file)
    if (expected !== null && 'skip' in expected) return { result: 'skipped', detail: expected.skip }
    return judge(await deps.fetch(target.url), expected)
  }
  const checks = await mapConcurrent(targets, options.concurrency, checkOne)
  let rounds = 1
  for (const delay of options.recheckDelaysMs) {
    const again = targets.map((_, i) => i).filter((i) => recheckable(checks[i]))
    if (again.length === 0) break
    if (deps.clock.now() + delay >= deps.deadline) {
      deps.log(`edge: ${again.length} not rechecked: the timeout runs out first`)
      break
    }
    await deps.clock.sleep(delay)
    rounds++
    const rechecked = await mapConcurrent(again, options.concurrency, (i) => checkOne(targets[i]))
    again.forEach((i, k) => (checks[i] = rechecked[k]))
    const still = rechecked.filter(recheckable).length
    deps.log(`edge round ${rounds} (after ${delay / 1000} s): ${again.length} rechecked, ${again.length - still} now fine, ${still} still stale or unreachable`)
  }
  return { checks, rounds, seconds: Math.round((deps.clock.now() - started) / 100) / 10 }
}
