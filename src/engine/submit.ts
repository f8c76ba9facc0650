import type { Batch, CdnProvider, Task } from '../providers/provider.js'
import { ProviderError } from '../providers/provider.js'
import { makeSpacer, mapConcurrent, type Clock } from './clock.js'

/**
 * One batch makes at most one task: after an ambiguous failure (the answer was lost after
 * sending), the provider's task list is checked before the batch is sent again; without a
 * task list it is not sent again and its items count as failed.
 */
async function submitOnce(
  provider: CdnProvider,
  batch: Batch,
  space: (deadline: number) => Promise<boolean>,
  clock: Clock,
  deadline: number
): Promise<SubmitOutcome> {
  for (let attempt = 1; ; attempt++) {
    if (!(await space(deadline)) || clock.now() >= deadline) return { batch, error: 'not sent: the timeout ran out', timedOut: true }
    const startedAt = clock.now()
    try {
      return { batch, task: await provider.submit(batch) }
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err
      // Cut short or left unanswered by the deadline: unfinished, not refused.
      if (clock.now() >= deadline && (err.ambiguous || err.retryable)) {
        return { batch, error: err.ambiguous ? `${err.message}; it may or may not have been acted on` : err.message, timedOut: true }
      }
      if (!err.ambiguous) return { batch, error: err.message }
      if (!provider.findSubmitted) {
        return {
          batch,
          error: `${err.message}; the answer was lost after sending and ${provider.name} has no task list to check, so the batch was not sent again`
        }
      }
      let found: Task | null
      try {
        found = await provider.findSubmitted(batch, startedAt)
      } catch (lookupErr) {
        if (!(lookupErr instanceof ProviderError)) throw lookupErr
        return { batch, error: `${err.message}; checking the task list failed too (${lookupErr.message}), so the batch was not sent again` }
      }
      if (found) return { batch, task: found }
      if (attempt >= MAX_SUBMIT_ATTEMPTS) return { batch, error: `${err.message}; no task was made after ${attempt} attempts` }
    }
  }
}

/** Attempts per batch when the provider can prove an ambiguous submit made no task. */
const MAX_SUBMIT_ATTEMPTS = 3

export type SubmitOutcome =
  | { batch: Batch; task: Task; error?: undefined }
  /** `timedOut`: the run's deadline came before the batch was sent or answered. */
  | { batch: Batch; task?: undefined; error: string; timedOut?: boolean }

/**
 * Submits batches with at most `concurrency` calls in flight, spaced by the provider's
 * documented submit interval. A rejected batch becomes an error outcome (its items
 * count as failed); errors that are not the provider's (bugs) propagate. No batch is
 * sent, or sent again, once `deadline` (clock time) has passed.
 */
export async function submitBatches(
  provider: CdnProvider,
  batches: Batch[],
  concurrency: number,
  clock: Clock,
  onSubmitted: (outcome: SubmitOutcome) => void = () => {},
  deadline = Infinity
): Promise<SubmitOutcome[]> {
  const op = batches[0]?.op ?? 'purge'
  const space = makeSpacer(clock, provider.limits.minSubmitIntervalMs?.[op] ?? 0)
  return mapConcurrent(batches, concurrency, async (batch) => {
    const outcome = await submitOnce(provider, batch, space, clock, deadline)
    onSubmitted(outcome)
    return outcome
  })
}
