/** Time as the engine sees it; tests pass a fake one. */
export interface Clock {
  now(): number
  sleep(ms: number): Promise<void>
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs `worker` over `inputs` with at most `limit` at once; results keep input order. */
export async function mapConcurrent<T, R>(inputs: readonly T[], limit: number, worker: (input: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(inputs.length)
  let next = 0
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, async () => {
    while (next < inputs.length) {
      const index = next++
      results[index] = await worker(inputs[index], index)
    }
  })
  await Promise.all(lanes)
  return results
}

/**
 * Spaces calls at least `intervalMs` apart (by start time), whatever the concurrency.
 * Resolves false, without waiting or taking the slot, when the next slot is after `deadline`.
 */
export function makeSpacer(clock: Clock, intervalMs: number): (deadline?: number) => Promise<boolean> {
  let nextStart = 0
  return async (deadline = Infinity) => {
    if (intervalMs <= 0) return true
    const now = clock.now()
    const start = Math.max(now, nextStart)
    if (start > deadline) return false
    nextStart = start + intervalMs
    if (start > now) await clock.sleep(start - now)
    return true
  }
}
