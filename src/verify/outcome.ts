/** What one answer from the edge means, and how the checks change the run's items. Pure. */
import type { EdgeResult, ItemResult } from '../model.js'
import type { EdgeTarget } from './targets.js'

/** The edge's answer to one GET, or why there was none (no credentials or headers in it). */
export type EdgeAnswer = { status: number; sha256?: string; bytes?: number; overCap?: boolean } | { error: string }

/** The workspace file's digest, or why it is not compared. */
export type FileDigest = { sha256: string; bytes: number } | { skip: string }

export interface EdgeCheck {
  result: EdgeResult
  detail: string
}

const short = (sha: string): string => sha.slice(0, 12)

/** Results worst first: an item standing for several URLs takes the worst of theirs. */
const RANK: readonly EdgeResult[] = ['stale', 'unreachable', 'skipped', 'fresh', 'answered']

/** One answer for a target: `expected` is its file's digest, null for a URL with no file (2xx is enough). */
export function judge(answer: EdgeAnswer, expected: FileDigest | null): EdgeCheck {
  if ('error' in answer) return { result: 'unreachable', detail: answer.error }
  const { status } = answer
  if (status >= 300 || status < 200) {
    const redirect = status >= 300 && status < 400 ? ' (a redirect, not followed)' : ''
    return { result: 'unreachable', detail: `HTTP ${status}${redirect}` }
  }
  if (expected === null) return { result: 'answered', detail: `HTTP ${status}` }
  if ('skip' in expected) return { result: 'skipped', detail: expected.skip }
  // The file is under the cap (a larger one is skipped before any fetch), so a body over it is other bytes.
  if (answer.overCap) return { result: 'stale', detail: `a body over the size cap (not read) at the edge, ${expected.bytes} bytes in the workspace` }
  if (answer.sha256 === undefined) return { result: 'skipped', detail: 'the body was not hashed' }
  if (answer.sha256 === expected.sha256) return { result: 'fresh', detail: `sha256 ${short(expected.sha256)} (${answer.bytes ?? 0} bytes)` }
  return {
    result: 'stale',
    detail: `sha256 ${short(answer.sha256)} (${answer.bytes ?? 0} bytes) at the edge, ${short(expected.sha256)} (${expected.bytes} bytes) in the workspace`
  }
}

/** Whether a check is worth repeating: edges converge over seconds after a purge. */
export const recheckable = (check: EdgeCheck): boolean => check.result === 'stale' || check.result === 'unreachable'

/** Counts of a run's edge checks, for the report and the summary. */
export interface EdgeSummary {
  /** URLs looked at (targets), fetched unless skipped. */
  urls: number
  fresh: number
  answered: number
  stale: number
  unreachable: number
  skipped: number
  /** Rounds of fetches: the first and the rechecks. */
  rounds: number
  /** Seconds from the first fetch to the last answer. */
  seconds: number
  /** Items done at the CDN with nothing to fetch (deleted files' URLs, `urls` input directories). */
  notChecked: number
  /** Items of the checked operation that had already failed: not checked. */
  notDone: number
  /** Size cap per body, in bytes. */
  maxBodyBytes: number
}

/** The edge's outcome written onto the items: a stale or unreachable item fails with it. */
export function applyChecks(items: readonly ItemResult[], targets: readonly EdgeTarget[], checks: readonly EdgeCheck[], rounds: number): ItemResult[] {
  const byItem = new Map<number, { target: EdgeTarget; check: EdgeCheck }[]>()
  targets.forEach((target, i) => {
    const list = byItem.get(target.item) ?? []
    list.push({ target, check: checks[i] })
    byItem.set(target.item, list)
  })
  const out = [...items]
  const tries = rounds === 1 ? '1 try' : `${rounds} tries`
  for (const [index, list] of byItem) {
    const item = items[index]
    const worst = RANK.find((r) => list.some((x) => x.check.result === r)) ?? 'skipped'
    const bad = list.filter((x) => x.check.result === worst)
    const first = bad[0]
    // a directory names the URL under it; a URL's own is in the item
    const where = item.kind === 'dir' ? `${bad.length} of ${list.length} URLs under it, first ${first.target.url}: ` : ''
    const file = first.target.file === null ? '' : ` (${first.target.file})`
    const edge = { result: worst, detail: `${where}${first.check.detail}${file}` }
    if (worst === 'stale') {
      const what = item.kind === 'dir' ? 'URLs under it serve' : 'it serves'
      out[index] = { ...item, state: 'stale', message: `stale at the edge: ${what} other bytes than the workspace file after ${tries}`, edge }
    } else if (worst === 'unreachable') {
      out[index] = { ...item, state: 'unreachable', message: `unreachable at the edge after ${tries}: ${where}${first.check.detail}`, edge }
    } else {
      out[index] = { ...item, edge }
    }
  }
  return out
}

/** The counts over targets (a directory's URLs each count). */
export function summarise(
  checks: readonly EdgeCheck[],
  extra: Pick<EdgeSummary, 'rounds' | 'seconds' | 'notChecked' | 'notDone' | 'maxBodyBytes'>
): EdgeSummary {
  const summary: EdgeSummary = { urls: checks.length, fresh: 0, answered: 0, stale: 0, unreachable: 0, skipped: 0, ...extra }
  for (const c of checks) summary[c.result]++
  return summary
}
