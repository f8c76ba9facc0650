/**
 * Fault injection: the ztgame client, the engine and the transport against an emulator
 * that spoils requests at random (seeded), with short deadlines and back-off.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { seededRandom, type Fault } from '../../emulators/server.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'
import { realClock } from '../../src/engine/clock.js'
import { executePlan } from '../../src/engine/execute.js'
import { defaultSubmitOptions } from '../../src/engine/submit.js'
import { createTransport, type ClosableTransport } from '../../src/http/transport.js'
import type { ProviderDefinition } from '../../src/providers/provider.js'
import { settingsOf, type InputValues } from '../providers/reader.js'
import { ztgame } from '../../src/providers/ztgame.js'
import { computeVerdict } from '../../src/report/verdict.js'

const creds: InputValues = { token: 't' }
const quiet = { batches: () => {}, submitted: () => {}, round: () => {} }
/** Lost answers are resolved with short pauses. */
const fastResend = { ...defaultSubmitOptions, backoffMs: 5, backoffCapMs: 40 }

/** A provider client on `transport` with no logging or masking; real time unless `sleep` is given. */
function client(definition: ProviderDefinition, endpoint: string, credentials: InputValues, transport: ClosableTransport, sleep = realClock.sleep) {
  return definition.create({ endpoint, request: transport.request, mask: () => {}, log: () => {}, now: Date.now, sleep }, settingsOf(definition, credentials))
}

let unhandled = 0
const onUnhandled = () => void unhandled++
beforeAll(() => void process.on('unhandledRejection', onUnhandled))
afterAll(() => void process.off('unhandledRejection', onUnhandled))

let emulator: ZtgameEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
})

const everyFault: Fault[] = [
  { status: 500, body: '{"error":"internal"}' },
  { status: 502 },
  { status: 503, headers: { 'Retry-After': '0' } },
  { status: 504 },
  { status: 429, headers: { 'Retry-After': '0' } },
  { kind: 'reset-before-headers' },
  { kind: 'reset-mid-body' },
  { kind: 'stall-after-headers' },
  { kind: 'truncated-json' },
  { kind: 'drip', byteEveryMs: 15 },
  { kind: 'redirect', location: 'http://elsewhere.example.net/cdn_api' }
]

describe('30% seeded faults on every call', () => {
  it.each([7, 1234])(
    'seed %d: 1,000 URLs reach a final state and the rate equals what the emulator recorded',
    async (seed) => {
      unhandled = 0
      const rng = seededRandom(seed + 1)
      const urls = Array.from({ length: 1000 }, (_, i) => `https://h${i % 5}.example.com/f/${i}.js`)
      const failUrls = urls.filter((_, i) => i % 37 === 0)
      emulator = await startZtgameEmulator({
        tokens: ['t'],
        completeAfterMs: 80,
        failUrls,
        // now and then the provider answers a status word nobody documented
        statusWord: (_task, word) => (rng() < 0.1 ? 'MYSTERY' : word)
      })
      emulator.setRandomFaults({ seed, rate: 0.3, faults: everyFault })
      const transport = createTransport({ timeoutMs: 250, backoffBaseMs: 5, backoffCapMs: 40, retryBudgetMs: 60_000, maxAttempts: 6 })
      const provider = client(ztgame, emulator.url, creds, transport)
      const result = await executePlan(
        provider,
        { purgeUrls: urls, purgeDirs: [], prefetchUrls: [] },
        { mode: 'purge', wait: true, deadline: Date.now() + 60_000, pollSeconds: 0.05, concurrency: 4, submit: fastResend },
        realClock,
        quiet
      )
      transport.close()

      // every URL exactly once, every one final (no timeout)
      expect(result.items.map((i) => i.url).sort()).toEqual([...urls].sort())
      expect(result.items.filter((i) => i.state === 'timeout')).toEqual([])
      // ground truth: a URL succeeded when a task the client learned of holds it and ended SUCCESS
      const known = new Set(result.taskIds)
      const truth = new Map<string, boolean>()
      for (const task of emulator.tasks.values()) for (const u of task.urls) if (known.has(task.id)) truth.set(u, task.outcome === 'success')
      const expected = (urls.filter((u) => truth.get(u) === true).length * 100) / urls.length
      expect(computeVerdict(result.items, 100).rate).toBeCloseTo(expected, 2)
      for (const item of result.items) expect(item.state === 'success').toBe(truth.get(item.url) === true)
      // a lost answer is sent again (ztgame has no task list): no URL sits in more tasks
      // than its batch was sent, and the report says which were sent again
      const seen = new Map<string, number>()
      for (const task of emulator.tasks.values()) for (const u of task.urls) seen.set(u, (seen.get(u) ?? 0) + 1)
      for (const item of result.items) expect(seen.get(item.url) ?? 0).toBeLessThanOrEqual(1 + (item.resent ?? 0))
      expect(result.items.some((i) => (i.resent ?? 0) > 0)).toBe(true)
      // the faults really happened, every kind of them
      expect(Object.keys(emulator.faultCounts()).sort()).toEqual([
        'drip',
        'redirect',
        'reset-before-headers',
        'reset-mid-body',
        'stall-after-headers',
        'status',
        'truncated-json'
      ])
      expect(unhandled).toBe(0)
    },
    90_000
  )
})

describe('a 429 storm', () => {
  it('is ridden out waiting exactly what Retry-After asks (seconds and HTTP-date), by a fake clock', async () => {
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    // a clock a quarter second past a whole second; an HTTP-date has one-second resolution
    const now = Date.UTC(2026, 0, 1, 12, 0, 0) + 250
    const inTwoSeconds = new Date(Date.UTC(2026, 0, 1, 12, 0, 2)).toUTCString()
    emulator.injectFaults([
      { status: 429, headers: { 'Retry-After': '1' } },
      { status: 429, headers: { 'Retry-After': '3' } },
      { status: 429, headers: { 'Retry-After': inTwoSeconds } }
    ])
    const slept: number[] = []
    const transport = createTransport({ backoffBaseMs: 1, backoffCapMs: 5, now: () => now, sleep: async (ms) => void slept.push(ms) })
    const provider = client(ztgame, emulator.url, creds, transport)
    const task = await provider.submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'url', url: 'https://a.example.com/x' }] })
    transport.close()
    expect(task.id).toBeTruthy()
    // not the tiny back-off: each wait is the one the answer asked for, to the millisecond
    expect(slept).toEqual([1000, 3000, 1750])
    expect(emulator.requests).toHaveLength(4)
    expect(emulator.tasks.size).toBe(1)
  })
})

describe('ambiguous submits', () => {
  it('a submit whose answer is cut after the task was made is sent again (no task list to check), and the report says so', async () => {
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    emulator.injectFaults([{ kind: 'truncated-json' }])
    const transport = createTransport({ backoffBaseMs: 1 })
    const provider = client(ztgame, emulator.url, creds, transport)
    const result = await executePlan(
      provider,
      { purgeUrls: ['https://a.example.com/x'], purgeDirs: [], prefetchUrls: [] },
      { mode: 'purge', wait: true, deadline: Date.now() + 5000, pollSeconds: 0.05, concurrency: 1 },
      realClock,
      quiet
    )
    transport.close()
    // two tasks: the first one's id was lost, so the second is the one polled
    expect(emulator.tasks.size).toBe(2)
    expect(emulator.requests.filter((r) => r.path === '/cdn_api/purge')).toHaveLength(2)
    expect(result.items).toEqual([expect.objectContaining({ state: 'success', resent: 1, taskId: [...emulator.tasks.keys()][1] })])
  })
})

describe('30% seeded faults on ucloud, which can look a lost task up', () => {
  it('reaches a final state for every URL, makes no task it does not report sending, and reports what the emulator recorded', async () => {
    unhandled = 0
    const { startUcloudEmulator } = await import('../../emulators/ucloud.js')
    const { ucloud } = await import('../../src/providers/ucloud.js')
    const urls = Array.from({ length: 1000 }, (_, i) => `https://h${i % 5}.example.com/u/${i}.css`)
    const failUrls = new Set(urls.filter((_, i) => i % 41 === 0))
    const e = await startUcloudEmulator({ keys: { pub: 'priv' }, completeAfterMs: 80, failUrls })
    e.setRandomFaults({ seed: 99, rate: 0.3, faults: everyFault })
    const transport = createTransport({ timeoutMs: 250, backoffBaseMs: 5, backoffCapMs: 40, retryBudgetMs: 60_000, maxAttempts: 6 })
    const provider = client(ucloud, e.url, { ...creds, token: '', publicKey: 'pub', privateKey: 'priv' }, transport, (ms) => realClock.sleep(Math.min(ms, 20)))
    try {
      const result = await executePlan(
        provider,
        { purgeUrls: urls, purgeDirs: [], prefetchUrls: [] },
        { mode: 'purge', wait: true, deadline: Date.now() + 60_000, pollSeconds: 0.05, concurrency: 2, submit: fastResend },
        realClock,
        quiet
      )
      expect(result.items.map((i) => i.url).sort()).toEqual([...urls].sort())
      expect(result.items.filter((i) => i.state === 'timeout')).toEqual([])
      const known = new Set(result.taskIds)
      // a batch is sent again only when the look-up found no task (or failed): its items say so
      const seen = new Map<string, number>()
      for (const task of e.tasks.values()) for (const u of task.urls) seen.set(u, (seen.get(u) ?? 0) + 1)
      for (const item of result.items) expect(seen.get(item.url) ?? 0).toBeLessThanOrEqual(1 + (item.resent ?? 0))
      for (const item of result.items) {
        const inKnownTask = [...e.tasks.values()].some((t) => known.has(t.id) && t.urls.includes(item.url))
        expect(item.state === 'success').toBe(inKnownTask && !failUrls.has(item.url))
      }
      // lost answers were looked up in the task list (BeginTime/EndTime queries)
      expect(e.requests.filter((r) => r.body.includes('"BeginTime"')).length).toBeGreaterThan(0)
      expect(unhandled).toBe(0)
    } finally {
      transport.close()
      await e.close()
    }
  }, 90_000)
})

describe('ambiguous submits on ucloud', () => {
  it('a submit whose answer is cut is found in the task list and not sent again', async () => {
    const { startUcloudEmulator } = await import('../../emulators/ucloud.js')
    const { ucloud } = await import('../../src/providers/ucloud.js')
    const e = await startUcloudEmulator({ keys: { pub: 'priv' }, completeAfterMs: 0 })
    e.injectFaults([{ kind: 'reset-mid-body' }])
    const transport = createTransport({ backoffBaseMs: 1 })
    const provider = client(ucloud, e.url, { ...creds, publicKey: 'pub', privateKey: 'priv' }, transport)
    try {
      const result = await executePlan(
        provider,
        { purgeUrls: ['https://a.example.com/x'], purgeDirs: [], prefetchUrls: [] },
        { mode: 'purge', wait: true, deadline: Date.now() + 5000, pollSeconds: 0.05, concurrency: 1 },
        realClock,
        quiet
      )
      expect(e.tasks.size).toBe(1)
      expect(result.taskIds).toEqual([...e.tasks.keys()])
      expect(result.items[0].state).toBe('success')
    } finally {
      transport.close()
      await e.close()
    }
  })
})
