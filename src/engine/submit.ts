import type { Batch, CdnProvider, Task } from '../providers/provider.js'
import { ProviderError } from '../providers/provider.js'
import { makeSpacer, mapConcurrent, type Clock } from './clock.js'

export interface SubmitOptions {
  /** Sends of one batch, the first included. */
  maxSends: number
  /** Look-up calls after one lost answer, the first included. */
  lookupAttempts: number
  /** Pause before a resend or a look-up retry; doubles each time up to `backoffCapMs`. */
  backoffMs: number
  backoffCapMs: number
  /** Clock time after which nothing is sent or sent again, and no look-up retry starts (the run's `timeout`). */
  deadline?: number
}

export const defaultSubmitOptions: SubmitOptions = { maxSends: 5, lookupAttempts: 3, backoffMs: 1000, backoffCapMs: 8000 }

export type SubmitOutcome = (
  | { task: Task; error?: undefined }
  /** `timedOut`: the run's deadline came before the batch was sent or answered. */
  | { task?: undefined; error: string; timedOut?: boolean }
) & {
  batch: Batch
  /** Sends after an ambiguous failure (the answer was lost and no task was found). */
  resent: number
  /** One line per lost answer: what was lost and what was done about it. */
  notes: string[]
}

const pause = (options: SubmitOptions, n: number): number => Math.min(options.backoffCapMs, options.backoffMs * 2 ** (n - 1))

/**
 * Looks up the task an ambiguous send may have made: a read, so retryable failures are
 * asked again. Never throws a ProviderError: a failed look-up is reported as not found.
 */
async function lookUp(provider: CdnProvider, batch: Batch, since: number, clock: Clock, options: SubmitOptions): Promise<Task | string> {
  if (!provider.findSubmitted) return `${provider.name} has no task list to check`
  for (let attempt = 1; ; attempt++) {
    try {
      const found = await provider.findSubmitted(batch, since)
      if (found === 'unknown') return `${provider.name} cannot look this ${batch.op} up`
      return found ?? 'the task list shows no task for it'
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err
      const wait = pause(options, attempt)
      if (!err.retryable || attempt >= options.lookupAttempts || clock.now() + wait > (options.deadline ?? Infinity))
        return `looking it up failed (${err.message})`
      await clock.sleep(wait)
    }
  }
}

/**
 * Submits one batch; an ambiguous failure (sent, answer lost) is resolved, never
 * abandoned: the task is looked up where the provider lists tasks, and otherwise, or when
 * none is found, the batch is sent again (purge and prefetch are idempotent in effect: a
 * duplicate task costs quota, not correctness), up to `maxSends` sends.
 */
async function submitOne(
  provider: CdnProvider,
  batch: Batch,
  space: (deadline: number) => Promise<boolean>,
  clock: Clock,
  options: SubmitOptions
): Promise<SubmitOutcome> {
  const notes: string[] = []
  const deadline = options.deadline ?? Infinity
  let resent = 0
  for (let send = 1; ; send++) {
    if (!(await space(deadline)) || clock.now() >= deadline) {
      return { batch, error: 'not sent: the timeout ran out', timedOut: true, resent, notes }
    }
    const sentAt = clock.now()
    let err: ProviderError
    try {
      return { batch, task: await provider.submit(batch), resent, notes }
    } catch (caught) {
      if (!(caught instanceof ProviderError)) throw caught
      err = caught
    }
    // Cut short or left unanswered by the deadline: unfinished, not refused.
    if (clock.now() >= deadline && (err.ambiguous || err.retryable)) {
      const error = err.ambiguous ? `${err.message}; it may or may not have been acted on` : err.message
      return { batch, error, timedOut: true, resent, notes }
    }
    if (!err.ambiguous) return { batch, error: err.message, resent, notes }
    const found = await lookUp(provider, batch, sentAt, clock, options)
    if (typeof found !== 'string') {
      notes.push(`${err.message}; the answer was lost, and the task was found in ${provider.name}'s task list`)
      return { batch, task: found, resent, notes }
    }
    const wait = pause(options, send)
    const late = clock.now() + wait > deadline
    if (send >= options.maxSends || late) {
      notes.push(`${err.message}; the answer was lost and ${found}`)
      const why = late ? `the timeout ran out after ${send} ${send === 1 ? 'send' : 'sends'}` : `gave up after ${send} sends`
      const error = `${err.message}; ${why} whose answers were all lost (the batch may or may not have been acted on)`
      return { batch, error, timedOut: late, resent, notes }
    }
    notes.push(`${err.message}; the answer was lost and ${found}: sending it again (send ${send + 1} of at most ${options.maxSends})`)
    await clock.sleep(wait)
    resent++
  }
}

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
  onSubmitted: (outcome: SubmitOutcome) => void = () => {},
  options: SubmitOptions = defaultSubmitOptions
): Promise<SubmitOutcome[]> {
  const op = batches[0]?.op ?? 'purge'
  const space = makeSpacer(clock, provider.limits.minSubmitIntervalMs?.[op] ?? 0)
  return mapConcurrent(batches, concurrency, async (batch) => {
    const outcome = await submitOne(provider, batch, space, clock, options)
    onSubmitted(outcome)
    return outcome
  })
}
