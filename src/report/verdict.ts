import type { ItemResult, ItemState } from '../model.js'

export interface Verdict {
  /** Items sent (or planned, in a dry run). */
  total: number
  succeeded: number
  failed: number
  /** Percent, 0–100, rounded to two decimals; 100 when nothing was sent. */
  rate: number
  threshold: number
  passed: boolean
}

/** States that count as success: done, or accepted when the run does not wait. */
const SUCCESS: ReadonlySet<ItemState> = new Set<ItemState>(['success', 'submitted', 'planned'])

export const isSuccess = (item: ItemResult): boolean => SUCCESS.has(item.state)

/** Success rate = succeeded / submitted × 100; passes when it is not below `threshold`. */
export function computeVerdict(items: readonly ItemResult[], threshold: number): Verdict {
  const total = items.length
  const succeeded = items.filter(isSuccess).length
  const rate = total === 0 ? 100 : Math.round((succeeded * 10000) / total) / 100
  // Compare exactly, not through the rounded rate.
  const passed = total === 0 || succeeded * 100 >= threshold * total
  return { total, succeeded, failed: total - succeeded, rate, threshold, passed }
}
