import { describe, expect, it } from '@jest/globals'
import { ACCEPTED_IS_FINAL, executePlan, type ExecuteEvents } from '../../src/engine/execute.js'
import { pollUntilDone } from '../../src/engine/poll.js'
import { defaultSubmitOptions, submitBatches } from '../../src/engine/submit.js'
import { makeSpacer, mapConcurrent } from '../../src/engine/clock.js'
import { ProviderError, type CdnProvider } from '../../src/providers/provider.js'
import { FakeProvider, fakeClock, testLimits } from '../../__fixtures__/fake-provider.js'

const quiet: ExecuteEvents = { batches: () => {}, submitted: () => {}, round: () => {} }
const plan = (purge: string[], prefetch: string[] = []) => ({ purgeUrls: purge, purgeDirs: [], prefetchUrls: prefetch })

describe('pollUntilDone', () => {
  it('asks only about unfinished tasks, at most statusIdsPerCall per call, and backs off to the interval', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { finishAfterMs: 5000, stallUrls: ['http://a/stall'] })
    const tasks = [
      { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 },
      { id: 'y', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/2' }], submittedAt: 0 },
      { id: 'z', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/stall' }], submittedAt: 0 }
    ]
    const rounds: string[] = []
    const result = await pollUntilDone(p, tasks, { deadline: 20_000, intervalMs: 4000, firstDelayMs: 500, concurrency: 1 }, clock, (r) =>
      rounds.push(`${r.done}/${r.total}`)
    )
    expect(clock.sleeps.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 4000])
    expect(p.statusCalls.slice(0, 2)).toEqual([['x', 'y'], ['z']])
    // once x and y are final, only z is asked about
    expect(p.statusCalls.slice(-1)).toEqual([['z']])
    expect(p.statusCalls.every((ids) => ids.length <= testLimits.statusIdsPerCall.purge)).toBe(true)
    expect(rounds).toContain('2/3')
    expect(result.get('z\u0000http://a/stall')?.state).toBe('pending')
    expect(clock.now()).toBeLessThanOrEqual(20_000)
  })

  it('stops as soon as everything is final', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { finishAfterMs: 0 })
    const task = { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 }
    await pollUntilDone(p, [task], { deadline: 60_000, intervalMs: 4000, firstDelayMs: 1000, concurrency: 2 }, clock)
    expect(p.statusCalls).toHaveLength(1)
    expect(clock.now()).toBe(1000)
  })

  it('ends items failed when a status error cannot be helped by asking again', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { statusError: new ProviderError('token rejected', false) })
    const task = { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 }
    const res = await pollUntilDone(p, [task], { deadline: 60_000, intervalMs: 4000, firstDelayMs: 1000, concurrency: 1 }, clock)
    expect(res.get('x\u0000http://a/1')).toMatchObject({ state: 'failure', detail: 'token rejected' })
    expect(p.statusCalls).toHaveLength(1)
  })

  it('keeps items pending through retryable status errors until the deadline', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { statusError: new ProviderError('HTTP 503', true) })
    const task = { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 }
    const warnings: string[] = []
    const res = await pollUntilDone(p, [task], { deadline: 10_000, intervalMs: 4000, firstDelayMs: 1000, concurrency: 1 }, clock, (r) =>
      warnings.push(...r.warnings)
    )
    expect(res.get('x\u0000http://a/1')?.state).toBe('pending')
    expect(warnings[0]).toBe('HTTP 503')
    expect(p.statusCalls.length).toBeGreaterThan(2)
  })
})

describe('executePlan', () => {
  it('never polls a provider whose accepted submits are final (acceptedIsFinal); rejected items still fail', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, { ...testLimits, acceptedIsFinal: true }, { rejectUrls: ['http://b/x'] })
    for (const wait of [true, false]) {
      p.statusCalls = []
      const res = await executePlan(
        p,
        plan(['http://a/1', 'http://b/x']),
        { mode: 'purge', wait, deadline: 60_000, pollSeconds: null, concurrency: 1 },
        clock,
        quiet
      )
      expect(p.statusCalls).toEqual([])
      expect(res.items.map((i) => [i.url, i.state, i.message])).toEqual([
        ['http://b/x', 'submit-failed', 'rejected by fake'],
        ['http://a/1', 'success', ACCEPTED_IS_FINAL]
      ])
    }
    expect(clock.sleeps).toEqual([])
  })

  it('purges, waits for every purge task, then prefetches (purge-prefetch)', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { finishAfterMs: 3000 })
    const order: string[] = []
    const original = p.submit.bind(p)
    p.submit = async (b) => {
      order.push(`${b.op}@${clock.now()}`)
      return original(b)
    }
    const res = await executePlan(
      p,
      plan(['http://a/1', 'http://a/2'], ['http://a/1']),
      { mode: 'purge-prefetch', wait: true, deadline: 60_000, pollSeconds: null, concurrency: 2 },
      clock,
      quiet
    )
    expect(order[0]).toBe('purge@0')
    const prefetchAt = Number(order[1].split('@')[1])
    expect(prefetchAt).toBeGreaterThanOrEqual(3000)
    expect(res.items.map((i) => [i.op, i.state])).toEqual([
      ['purge', 'success'],
      ['purge', 'success'],
      ['prefetch', 'success']
    ])
    expect(res.taskIds).toEqual(['t1', 't2'])
  })

  it('counts rejected batches, failed and timed-out items, each with its message', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { failUrls: ['http://b/bad'], stallUrls: ['http://c/stall'], rejectUrls: ['http://d/x'] })
    const res = await executePlan(
      p,
      plan(['http://a/ok', 'http://b/bad', 'http://c/stall', 'http://d/x']),
      { mode: 'purge', wait: true, deadline: 30_000, pollSeconds: 5, concurrency: 1 },
      clock,
      quiet
    )
    const byUrl = Object.fromEntries(res.items.map((i) => [i.url, i]))
    expect(byUrl['http://a/ok'].state).toBe('success')
    expect(byUrl['http://b/bad'].state).toBe('failure')
    expect(byUrl['http://c/stall']).toMatchObject({ state: 'timeout', message: expect.stringContaining('running') })
    expect(byUrl['http://d/x']).toMatchObject({ state: 'submit-failed', taskId: null, message: 'rejected by fake' })
    expect(res.items).toHaveLength(4)
  })

  it('with wait: false submits and does not poll', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock)
    const res = await executePlan(p, plan(['http://a/1']), { mode: 'purge', wait: false, deadline: 60_000, pollSeconds: null, concurrency: 1 }, clock, quiet)
    expect(p.statusCalls).toHaveLength(0)
    expect(res.items[0].state).toBe('submitted')
  })

  it('with wait: false in purge-prefetch, still finishes the purge before the prefetch is sent', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { finishAfterMs: 3000 })
    const sent: string[] = []
    const original = p.submit.bind(p)
    p.submit = async (b) => {
      sent.push(`${b.op}@${clock.now()}`)
      return original(b)
    }
    const res = await executePlan(
      p,
      plan(['http://a/1', 'http://a/2'], ['http://a/1']),
      { mode: 'purge-prefetch', wait: false, deadline: 60_000, pollSeconds: null, concurrency: 2 },
      clock,
      quiet
    )
    expect(sent[0]).toBe('purge@0')
    expect(sent).toHaveLength(2)
    // the prefetch went out only once the purge task was final (3 s after it was submitted)
    expect(Number(sent[1].split('@')[1])).toBeGreaterThanOrEqual(3000)
    expect(p.statusCalls.flat()).toEqual(expect.arrayContaining(['t1']))
    expect(p.statusCalls.flat()).not.toContain('t2')
    expect(res.items.map((i) => [i.op, i.state])).toEqual([
      ['purge', 'success'],
      ['purge', 'success'],
      ['prefetch', 'submitted']
    ])
  })

  it('gives the same results whatever the concurrency', async () => {
    const urls = Array.from({ length: 40 }, (_, i) => `http://h${i % 3}/${i}`)
    const run = async (concurrency: number) => {
      const clock = fakeClock()
      const p = new FakeProvider(clock, testLimits, { finishAfterMs: 2000, failUrls: [urls[5]] })
      const res = await executePlan(
        p,
        plan(urls, urls.slice(0, 9)),
        { mode: 'purge-prefetch', wait: true, deadline: 60_000, pollSeconds: null, concurrency },
        clock,
        quiet
      )
      return res.items.map((i) => [i.op, i.url, i.state])
    }
    expect(await run(8)).toEqual(await run(1))
  })
})

describe('concurrency helpers', () => {
  it('mapConcurrent never runs more than the limit at once and keeps order', async () => {
    let active = 0
    let peak = 0
    const out = await mapConcurrent([1, 2, 3, 4, 5, 6], 2, async (n) => {
      active++
      peak = Math.max(peak, active)
      await new Promise((r) => setTimeout(r, 5))
      active--
      return n * 10
    })
    expect(out).toEqual([10, 20, 30, 40, 50, 60])
    expect(peak).toBe(2)
  })

  it('makeSpacer spaces call starts by the interval', async () => {
    const clock = fakeClock()
    const space = makeSpacer(clock, 10_000)
    const starts: number[] = []
    for (let i = 0; i < 3; i++) {
      await space()
      starts.push(clock.now())
    }
    expect(starts).toEqual([0, 10_000, 20_000])
  })

  it('submitBatches honours the provider minimum submit interval', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, { ...testLimits, minSubmitIntervalMs: { prefetch: 10_000 } })
    const batches = [1, 2, 3].map((n) => ({ op: 'prefetch' as const, host: 'a', items: [{ kind: 'url' as const, url: `http://a/${n}` }] }))
    const outcomes = await submitBatches(p, batches, 3, clock)
    expect(outcomes.every((o) => o.task)).toBe(true)
    expect(clock.now()).toBe(20_000)
  })
})

describe('ambiguous submits are resolved, never abandoned', () => {
  const batch = { op: 'purge' as const, host: 'a', items: [{ kind: 'url' as const, url: 'http://a/1' }] }
  const options = { maxSends: 5, lookupAttempts: 3, backoffMs: 100, backoffCapMs: 400 }
  type Lookup = 'found' | 'none' | 'unknown' | 'absent' | ProviderError
  /** A provider whose first `lost` submits act (make a task) but lose the answer. */
  function flaky(clock: ReturnType<typeof fakeClock>, lookup: Lookup, lost = 1) {
    const p = new FakeProvider(clock)
    let calls = 0
    const lookups: number[] = []
    const real = p.submit.bind(p)
    p.submit = async (b) => {
      calls++
      const task = await real(b)
      if (calls <= lost) throw new ProviderError(`answer cut ${calls}`, true, true)
      return task
    }
    if (lookup !== 'absent') {
      ;(p as CdnProvider).findSubmitted = async (_b, since) => {
        lookups.push(since)
        if (lookup instanceof ProviderError) throw lookup
        return lookup === 'found' ? { id: 't1', op: 'purge', items: batch.items, submittedAt: since } : lookup === 'none' ? null : 'unknown'
      }
    }
    return { p, calls: () => calls, lookups }
  }

  it('takes the task the provider lists instead of sending again', async () => {
    const clock = fakeClock()
    const { p, calls } = flaky(clock, 'found')
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
    expect(outcome.task?.id).toBe('t1')
    expect(calls()).toBe(1)
    expect(outcome.resent).toBe(0)
    expect(outcome.notes).toEqual([expect.stringContaining('found in fake')])
  })

  it('sends again when the look-up finds no task', async () => {
    const clock = fakeClock()
    const { p, calls, lookups } = flaky(clock, 'none')
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
    expect(outcome.task?.id).toBe('t2')
    expect(calls()).toBe(2)
    expect(lookups).toEqual([0])
    expect(outcome.resent).toBe(1)
    expect(outcome.notes).toEqual([expect.stringMatching(/answer cut 1; .*shows no task for it: sending it again \(send 2 of at most 5\)/)])
  })

  it('sends again when the provider has no task list (ztgame), or cannot look this batch up', async () => {
    for (const lookup of ['absent', 'unknown'] as const) {
      const clock = fakeClock()
      const { p, calls } = flaky(clock, lookup)
      const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
      expect(outcome.task?.id).toBe('t2')
      expect(calls()).toBe(2)
      expect(outcome.resent).toBe(1)
      expect(outcome.notes[0]).toMatch(lookup === 'absent' ? /has no task list to check: sending it again/ : /cannot look this purge up: sending it again/)
    }
  })

  it('retries a look-up that fails retryably (a read), then sends again when it keeps failing', async () => {
    const clock = fakeClock()
    const { p, calls, lookups } = flaky(clock, new ProviderError('lookup reset', true))
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
    expect(lookups).toHaveLength(3)
    // back-off between look-ups (100, 200), then before the resend (100)
    expect(clock.sleeps).toEqual([100, 200, 100])
    expect(outcome.task?.id).toBe('t2')
    expect(calls()).toBe(2)
    expect(outcome.notes[0]).toMatch(/looking it up failed \(lookup reset\): sending it again/)
  })

  it('does not retry a look-up that fails for good, and still sends again', async () => {
    const clock = fakeClock()
    const { p, calls, lookups } = flaky(clock, new ProviderError('lookup refused', false))
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
    expect(lookups).toHaveLength(1)
    expect(outcome.task?.id).toBe('t2')
    expect(calls()).toBe(2)
  })

  it('bounds the sends, and the error names that', async () => {
    const clock = fakeClock()
    const { p, calls } = flaky(clock, 'absent', 99)
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
    expect(calls()).toBe(5)
    expect(outcome.error).toBe('answer cut 5; gave up after 5 sends whose answers were all lost (the batch may or may not have been acted on)')
    expect(outcome.resent).toBe(4)
    expect(outcome.notes).toHaveLength(5)
    expect(clock.sleeps).toEqual([100, 200, 400, 400])
  })

  it('starts no resend that would begin after the deadline (the run timeout), and says so', async () => {
    const clock = fakeClock()
    const { p, calls } = flaky(clock, 'absent', 99)
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, { ...options, deadline: 250 })
    // sent at 0 and (after 100 ms) at 100; the next would start at 300
    expect(calls()).toBe(2)
    expect(clock.now()).toBe(100)
    expect(outcome.error).toBe('answer cut 2; the timeout ran out after 2 sends whose answers were all lost (the batch may or may not have been acted on)')
  })

  it('does not send again after a refusal that is not ambiguous', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { rejectUrls: ['http://a/1'] })
    const [outcome] = await submitBatches(p, [batch], 1, clock, undefined, options)
    expect(outcome).toMatchObject({ error: 'rejected by fake', resent: 0, notes: [] })
    expect(p.submitted).toHaveLength(1)
  })

  it('puts resent on the items of a batch sent again, and no task id for a task found without one', async () => {
    const clock = fakeClock()
    const { p } = flaky(clock, 'absent')
    const result = await executePlan(
      p,
      plan(['http://a/1', 'http://a/2', 'http://a/3', 'http://a/4']),
      { mode: 'purge', wait: true, deadline: 60_000, pollSeconds: 1, concurrency: 1, submit: options },
      clock,
      quiet
    )
    expect(result.items.map((i) => [i.url, i.state, i.resent])).toEqual([
      ['http://a/1', 'success', 1],
      ['http://a/2', 'success', 1],
      ['http://a/3', 'success', 1],
      ['http://a/4', 'success', undefined]
    ])
    const local = new FakeProvider(clock)
    ;(local as CdnProvider).findSubmitted = async (b, since) => ({ id: 'range label', localId: true, op: b.op, items: b.items, submittedAt: since })
    local.submit = async () => {
      throw new ProviderError('reset', true, true)
    }
    const found = await executePlan(local, plan(['http://a/1']), { mode: 'purge', wait: false, deadline: 60_000, pollSeconds: 1, concurrency: 1 }, clock, quiet)
    expect(found.taskIds).toEqual([])
    expect(found.items[0]).toMatchObject({ state: 'submitted', taskId: null })
  })
})

describe('documented status intervals and the deadline', () => {
  it('never makes a status call after the deadline, even when the interval is longer than the timeout', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, { ...testLimits, minStatusIntervalMs: { purge: 300_000 } }, { stallUrls: ['http://a/1'] })
    const task = { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 }
    const res = await pollUntilDone(p, [task], { deadline: 10_000, intervalMs: 300_000, firstDelayMs: 1000, concurrency: 1 }, clock)
    expect(p.statusCalls).toHaveLength(1)
    expect(clock.now()).toBeLessThanOrEqual(10_000)
    expect(res.get('x\u0000http://a/1')?.state).toBe('pending')
  })
})

describe('round timing', () => {
  it('times each round from the start of the previous one', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { finishAfterMs: 10_000 })
    const slow = p.status.bind(p)
    p.status = async (tasks) => {
      await clock.sleep(300) // a round that takes 300 ms
      return slow(tasks)
    }
    const task = { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 }
    await pollUntilDone(p, [task], { deadline: 60_000, intervalMs: 4000, firstDelayMs: 500, concurrency: 1 }, clock)
    // waits: 500, then 1000 − 300, 2000 − 300, 4000 − 300, …
    expect(clock.sleeps.slice(0, 8)).toEqual([500, 300, 700, 300, 1700, 300, 3700, 300])
  })
})

describe('the deadline bounds submits too', () => {
  it('sends no batch once the deadline has passed: its items time out, not sent', async () => {
    const clock = fakeClock(10_000)
    const p = new FakeProvider(clock)
    const outcomes = await submitBatches(p, [{ op: 'purge', host: 'a', items: [{ kind: 'url', url: 'http://a/1' }] }], 1, clock, () => {}, {
      ...defaultSubmitOptions,
      deadline: 10_000
    })
    expect(p.submitted).toEqual([])
    expect(outcomes[0]).toMatchObject({ error: 'not sent: the timeout ran out', timedOut: true })
  })

  it('does not wait for a submit slot that comes after the deadline', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, { ...testLimits, minSubmitIntervalMs: { purge: 10_000 } })
    const batches = ['http://a/1', 'http://b/1', 'http://c/1'].map((url) => ({
      op: 'purge' as const,
      host: new URL(url).host,
      items: [{ kind: 'url' as const, url }]
    }))
    const outcomes = await submitBatches(p, batches, 1, clock, () => {}, { ...defaultSubmitOptions, deadline: 15_000 })
    expect(p.submitted.map((b) => b.host)).toEqual(['a', 'b'])
    expect(outcomes.map((o) => (o.task ? false : (o.timedOut ?? false)))).toEqual([false, false, true])
    expect(clock.now()).toBeLessThanOrEqual(15_000)
  })

  it('a submit left unanswered at the deadline is unfinished (timeout), a refusal stays submit-failed', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock)
    p.submit = async (b) => {
      await new Promise((resolve) => setImmediate(resolve)) // both calls start before time moves
      await clock.sleep(5_000)
      if (b.host === 'a') throw new ProviderError('POST … got no complete answer before the timeout (3 s) ran out', true, true)
      throw new ProviderError('rejected by fake')
    }
    const res = await executePlan(
      p,
      plan(['http://a/1', 'http://b/1']),
      { mode: 'purge', wait: true, deadline: 3_000, pollSeconds: null, concurrency: 2 },
      clock,
      quiet
    )
    expect(res.items.map((i) => [i.url, i.state])).toEqual([
      ['http://a/1', 'timeout'],
      ['http://b/1', 'submit-failed']
    ])
  })

  it('purge-prefetch whose purge polling ran to the deadline sends no prefetch', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { stallUrls: ['http://a/1'] })
    const res = await executePlan(
      p,
      plan(['http://a/1'], ['http://a/1']),
      { mode: 'purge-prefetch', wait: true, deadline: 20_000, pollSeconds: null, concurrency: 1 },
      clock,
      quiet
    )
    expect(p.submitted.map((b) => b.op)).toEqual(['purge'])
    expect(res.items.map((i) => [i.op, i.state, i.message])).toEqual([
      ['purge', 'timeout', expect.stringContaining('not final when the timeout ran out')],
      ['prefetch', 'timeout', 'not sent: the timeout ran out']
    ])
  })

  it('makes no status round at the deadline itself (nothing can be sent then)', async () => {
    const clock = fakeClock()
    const p = new FakeProvider(clock, testLimits, { stallUrls: ['http://a/1'] })
    const task = { id: 'x', op: 'purge' as const, items: [{ kind: 'url' as const, url: 'http://a/1' }], submittedAt: 0 }
    await pollUntilDone(p, [task], { deadline: 5_000, intervalMs: 4000, firstDelayMs: 1000, concurrency: 1 }, clock)
    // rounds at 1 s and 3 s; the next would be at 5 s, the deadline
    expect(p.statusCalls).toHaveLength(2)
  })
})
