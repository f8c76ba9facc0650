import type { Batch, CdnProvider, Task } from '../providers/provider.js'
import { ProviderError } from '../providers/provider.js'
import { makeSpacer, mapConcurrent, type Clock } from './clock.js'

export type SubmitOutcome = { batch: Batch; task: Task; error?: undefined } | { batch: Batch; task?: undefined; error: string }

/**
 * Submits batches with at most `concurrency` calls in flight, spaced by the provider's
 * documented submit interval. A rejected batch becomes an error outcome (its items
 * count as failed); errors that are not the provider's (bugs) propagate.
 */
export async function submitBatches(
  provider: CdnProvider,
  batches: Batch[],
  concurrency: number,
  clock: Clock,
  onSubmitted: (outcome: SubmitOutcome) => void = () => {}
): Promise<SubmitOutcome[]> {
  const op = batches[0]?.op ?? 'purge'
  const space = makeSpacer(clock, provider.limits.minSubmitIntervalMs?.[op] ?? 0)
  return mapConcurrent(batches, concurrency, async (batch) => {
    await space()
    let outcome: SubmitOutcome
    try {
      outcome = { batch, task: await provider.submit(batch) }
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err
      outcome = { batch, error: err.message }
    }
    onSubmitted(outcome)
    return outcome
  })
}
