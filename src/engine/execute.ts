import type { ItemResult, ItemState, Mode, Operation, Plan } from '../model.js'
import type { Batch, BatchItem, CdnProvider, Task } from '../providers/provider.js'
import { batchForProvider, itemsFor } from './batch.js'
import type { Clock } from './clock.js'
import { hostOf } from './host.js'
import { itemKey, pollUntilDone, type PollProgress } from './poll.js'
import { defaultSubmitOptions, submitBatches, type SubmitOptions, type SubmitOutcome } from './submit.js'

export interface ExecuteOptions {
  mode: Mode
  wait: boolean
  /** Clock time after which nothing more is sent: submits, resends and polling give up. */
  deadline: number
  /** Seconds between status rounds; null = the provider's default. */
  pollSeconds: number | null
  concurrency: number
  /** Sends and look-ups after lost answers; defaults when left out. */
  submit?: SubmitOptions
}

export interface ExecuteEvents {
  batches(op: Operation, batches: Batch[]): void
  submitted(outcome: SubmitOutcome): void
  round(op: Operation, progress: PollProgress): void
}

export interface ExecuteResult {
  items: ItemResult[]
  taskIds: string[]
}

/** One item's line in the report. */
export function itemResult(
  op: Operation,
  item: BatchItem,
  taskId: string | null,
  state: ItemState,
  message: string,
  seconds: number | null = null
): ItemResult {
  return { op, kind: item.kind, url: item.url, host: hostOf(item.url), taskId, state, message, seconds }
}

/** An item's message where the provider has no status API (`acceptedIsFinal`). */
export const ACCEPTED_IS_FINAL = 'accepted; final on acceptance (the provider has no status API)'

/** The operations a mode runs, in order. */
export function operationsOf(mode: Mode): Operation[] {
  return mode === 'purge-prefetch' ? ['purge', 'prefetch'] : [mode]
}

/**
 * Submits and polls every operation of the mode in order. In `purge-prefetch` the
 * prefetch starts only after every purge task is final, so the warm-up fetches fresh
 * content; with `wait: false` the purge is still awaited and only the prefetch is not.
 */
export async function executePlan(provider: CdnProvider, plan: Plan, options: ExecuteOptions, clock: Clock, events: ExecuteEvents): Promise<ExecuteResult> {
  const items: ItemResult[] = []
  const taskIds: string[] = []
  const ops = operationsOf(options.mode)
  for (const [index, op] of ops.entries()) {
    const batches = batchForProvider(op, itemsFor(plan, op), provider.limits)
    if (batches.length === 0) continue
    events.batches(op, batches)
    const submitOptions = { ...defaultSubmitOptions, ...options.submit, deadline: options.deadline }
    const outcomes = await submitBatches(provider, batches, options.concurrency, clock, events.submitted, submitOptions)
    const tasks: Task[] = []
    /** Sends after lost answers, per task: the report's `resent`. */
    const resentOf = new Map<Task, number>()
    const withResent = (result: ItemResult, resent: number | undefined): ItemResult => (resent ? { ...result, resent } : result)
    /** An item of a task: the id the report shows (none for a task found without one), and its sends. */
    const taskResult = (task: Task, item: BatchItem, state: ItemState, message: string, seconds: number | null = null): ItemResult =>
      withResent(itemResult(op, item, task.localId ? null : task.id, state, message, seconds), resentOf.get(task))
    for (const outcome of outcomes) {
      if (outcome.task) {
        tasks.push(outcome.task)
        if (!outcome.task.localId) taskIds.push(outcome.task.id)
        resentOf.set(outcome.task, outcome.resent)
      } else {
        const state = outcome.timedOut ? 'timeout' : 'submit-failed'
        for (const item of outcome.batch.items) items.push(withResent(itemResult(op, item, null, state, outcome.error), outcome.resent))
      }
    }
    if (provider.limits.acceptedIsFinal) {
      // No status API: acceptance is the provider's last word (never polled).
      for (const task of tasks) {
        for (const item of task.items) items.push(taskResult(task, item, 'success', ACCEPTED_IS_FINAL, 0))
      }
      continue
    }
    const mustWait = options.wait || index < ops.length - 1
    if (!mustWait) {
      for (const task of tasks) {
        for (const item of task.items) items.push(taskResult(task, item, 'submitted', 'accepted; not polled (wait: false)'))
      }
      continue
    }
    const intervalMs = (options.pollSeconds ?? provider.limits.defaultPollSeconds[op]) * 1000
    const statuses = await pollUntilDone(
      provider,
      tasks,
      { deadline: options.deadline, intervalMs, firstDelayMs: Math.min(1000, intervalMs), concurrency: options.concurrency },
      clock,
      (progress) => events.round(op, progress)
    )
    for (const task of tasks) {
      for (const item of task.items) {
        const status = statuses.get(itemKey(task.id, item.url))
        if (!status || status.state === 'pending') {
          const message = `not final when the timeout ran out (last status: ${status?.detail ?? 'none'})`
          items.push(taskResult(task, item, 'timeout', message))
        } else {
          const seconds = status.at === undefined ? null : Math.round((status.at - task.submittedAt) / 100) / 10
          items.push(taskResult(task, item, status.state, status.detail, seconds))
        }
      }
    }
  }
  return { items, taskIds }
}
