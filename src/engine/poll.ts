import type { CdnProvider, ItemStatus, Task } from '../providers/provider.js'
import { ProviderError } from '../providers/provider.js'
import { makeSpacer, mapConcurrent, type Clock } from './clock.js'

export interface PollOptions {
  /** Clock time after which items still pending are given up. */
  deadline: number
  /** Longest wait between rounds (the `poll-interval`). */
  intervalMs: number
  /** First wait after submission; later waits double up to `intervalMs`. */
  firstDelayMs: number
  concurrency: number
}

export interface PollProgress {
  round: number
  done: number
  total: number
  warnings: string[]
}

/** Key of one item of one task. */
export const itemKey = (taskId: string, url: string): string => `${taskId}\u0000${url}`

/**
 * Polls until every item of `tasks` is final or the deadline passes. Final tasks are
 * never asked about again; tasks are asked about `statusIdsPerCall` at a time. A status
 * call that fails leaves its items pending for the next round. Returns the last status
 * of every item (pending ones are still 'pending').
 */
export async function pollUntilDone(
  provider: CdnProvider,
  tasks: Task[],
  options: PollOptions,
  clock: Clock,
  onRound: (progress: PollProgress) => void = () => {}
): Promise<Map<string, ItemStatus>> {
  const statuses = new Map<string, ItemStatus>()
  for (const task of tasks) {
    for (const item of task.items) {
      statuses.set(itemKey(task.id, item.url), { taskId: task.id, url: item.url, state: 'pending', detail: 'submitted' })
    }
  }
  const total = statuses.size
  let open = tasks.slice()
  const op = tasks[0]?.op ?? 'purge'
  const perCall = Math.max(1, provider.limits.statusIdsPerCall[op])
  const space = makeSpacer(clock, provider.limits.minStatusIntervalMs?.[op] ?? 0)
  let delay = Math.min(options.firstDelayMs, options.intervalMs)
  let done = 0
  // Rounds are timed from the start of the previous one, so a long round does not push
  // the schedule back by its own length.
  let lastStart = clock.now()

  for (let round = 1; open.length > 0; round++) {
    const wait = Math.min(Math.max(0, lastStart + delay - clock.now()), options.deadline - clock.now())
    if (wait < 0) break
    await clock.sleep(wait)
    // nothing can be sent at or after the deadline
    if (clock.now() >= options.deadline) break
    lastStart = clock.now()
    delay = Math.min(delay * 2, options.intervalMs)

    const chunks: Task[][] = []
    for (let i = 0; i < open.length; i += perCall) chunks.push(open.slice(i, i + perCall))
    const warnings: string[] = []
    await mapConcurrent(chunks, options.concurrency, async (chunk) => {
      // a documented call interval that would end after the deadline: leave these pending
      if (!(await space(options.deadline))) return
      try {
        for (const status of await provider.status(chunk)) {
          const key = itemKey(status.taskId, status.url)
          if (statuses.has(key)) statuses.set(key, status.state === 'pending' ? status : { ...status, at: clock.now() })
        }
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err
        warnings.push(err.message)
        if (err.retryable) return
        // Asking again cannot help (e.g. credentials rejected): these items end failed.
        for (const task of chunk) {
          for (const item of task.items) {
            const key = itemKey(task.id, item.url)
            if (statuses.get(key)?.state === 'pending')
              statuses.set(key, { taskId: task.id, url: item.url, state: 'failure', detail: err.message, at: clock.now() })
          }
        }
      }
    })
    open = open.filter((task) => task.items.some((item) => statuses.get(itemKey(task.id, item.url))?.state === 'pending'))
    done = 0
    for (const s of statuses.values()) if (s.state !== 'pending') done++
    onRound({ round, done, total, warnings })
    if (clock.now() >= options.deadline) break
  }
  return statuses
}
