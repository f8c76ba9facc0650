import type { ItemResult, ItemState } from '../model.js'

export interface Verdict {
  /** Items sent, or planned in a dry run. */
  total: number
  /** Items that succeeded; 0 in a dry run (nothing was sent). */
  succeeded: number
  failed: number
  /**
   * Percent, 0–100, rounded to two decimals; 100 when nothing was sent; null in a dry run,
   * which has no outcome to rate.
   */
  rate: number | null
  threshold: number
  /** Whether the step passes: always in a dry run. */
  passed: boolean
}

/** States that count as success: done, or accepted when the run does not wait. */
const SUCCESS: ReadonlySet<ItemState> = new Set<ItemState>(['success', 'submitted', 'planned'])

/** Whether an item did not fail (a planned item of a dry run did not). */
export const isSuccess = (item: ItemResult): boolean => SUCCESS.has(item.state)

/**
 * Success rate = succeeded / submitted × 100; passes when it is not below `threshold`. A dry
 * run is a plan, not an outcome: its items count as planned, none as succeeded, and it has no
 * rate.
 */
export function computeVerdict(items: readonly ItemResult[], threshold: number, dryRun = false): Verdict {
  const total = items.length
  if (dryRun) return { total, succeeded: 0, failed: 0, rate: null, threshold, passed: true }
  const succeeded = items.filter(isSuccess).length
  const rate = total === 0 ? 100 : Math.round((succeeded * 10000) / total) / 100
  // Compare exactly, not through the rounded rate.
  const passed = total === 0 || succeeded * 100 >= threshold * total
  return { total, succeeded, failed: total - succeeded, rate, threshold, passed }
}
