import type { Clock } from '../src/engine/clock.js'
import { ProviderError, type Batch, type CdnProvider, type ItemStatus, type ProviderLimits, type Task } from '../src/providers/provider.js'

/** A clock whose sleep advances time at once, recording every sleep. */
export function fakeClock(start = 0): Clock & { sleeps: number[] } {
  let now = start
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms)
      now += ms
    }
  }
}

export const testLimits: ProviderLimits = {
  itemsPerCall: { purge: 3, prefetch: 2 },
  oneHostPerCall: true,
  mixedKindsPerCall: false,
  directories: true,
  statusIdsPerCall: { purge: 2, prefetch: 2 },
  defaultPollSeconds: { purge: 4, prefetch: 4 },
  defaultConcurrency: 2
}

/**
 * An in-memory provider: a task is final `finishAfterMs` after submission (by the clock);
 * URLs in `failUrls` end failed, in `stallUrls` never end, in `rejectUrls` fail at submit.
 */
export class FakeProvider implements CdnProvider {
  readonly name = 'fake'
  submitted: Batch[] = []
  statusCalls: string[][] = []
  private seq = 0
  constructor(
    private readonly clock: Clock,
    readonly limits: ProviderLimits = testLimits,
    private readonly opts: { finishAfterMs?: number; failUrls?: string[]; stallUrls?: string[]; rejectUrls?: string[]; statusError?: ProviderError } = {}
  ) {}
  async submit(batch: Batch): Promise<Task> {
    this.submitted.push(batch)
    if (batch.items.some((i) => this.opts.rejectUrls?.includes(i.url))) throw new ProviderError('rejected by fake')
    return { id: `t${++this.seq}`, op: batch.op, items: batch.items, submittedAt: this.clock.now() }
  }
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    this.statusCalls.push(tasks.map((t) => t.id))
    if (tasks.length > this.limits.statusIdsPerCall[tasks[0].op]) throw new Error('too many ids in one status call')
    if (this.opts.statusError) throw this.opts.statusError
    return tasks.flatMap((t) =>
      t.items.map((i): ItemStatus => {
        const done = !this.opts.stallUrls?.includes(i.url) && this.clock.now() - t.submittedAt >= (this.opts.finishAfterMs ?? 0)
        const failed = this.opts.failUrls?.includes(i.url)
        return { taskId: t.id, url: i.url, state: done ? (failed ? 'failure' : 'success') : 'pending', detail: done ? (failed ? 'failed' : 'done') : 'running' }
      })
    )
  }
}
