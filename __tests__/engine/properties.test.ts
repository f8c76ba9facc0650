/** Property tests (fast-check) for the batcher and the verdict. */
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { batchForProvider } from '../../src/engine/batch.js'
import type { ItemResult, ItemState } from '../../src/model.js'
import type { BatchItem, ProviderLimits } from '../../src/providers/provider.js'
import { computeVerdict, isSuccess } from '../../src/report/verdict.js'

const itemArb = fc.record({
  kind: fc.constantFrom<'url' | 'dir'>('url', 'dir'),
  host: fc.constantFrom('a.example', 'b.example', 'c.example:8443'),
  n: fc.nat(10_000)
})
const limitsArb = fc.record({
  purge: fc.integer({ min: 1, max: 20 }),
  prefetch: fc.integer({ min: 1, max: 20 }),
  oneHostPerCall: fc.boolean(),
  mixedKindsPerCall: fc.boolean(),
  perHost: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined })
})

function toLimits(l: { purge: number; prefetch: number; oneHostPerCall: boolean; mixedKindsPerCall: boolean; perHost?: number }): ProviderLimits {
  return {
    itemsPerCall: { purge: l.purge, prefetch: l.prefetch },
    ...(l.perHost !== undefined ? { itemsPerHostPerCall: { purge: l.perHost, prefetch: l.perHost } } : {}),
    oneHostPerCall: l.oneHostPerCall,
    mixedKindsPerCall: l.mixedKindsPerCall,
    directories: true,
    statusIdsPerCall: { purge: 1, prefetch: 1 },
    defaultPollSeconds: { purge: 1, prefetch: 1 },
    defaultConcurrency: 1
  }
}

describe('batchForProvider properties', () => {
  it('covers the input exactly, stays within every limit, and uses the minimum number of calls', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(itemArb, { selector: (i) => `${i.kind}${i.host}${i.n}` }),
        limitsArb,
        fc.constantFrom<'purge' | 'prefetch'>('purge', 'prefetch'),
        (raw, l, op) => {
          const items: BatchItem[] = raw.map((i) => ({ kind: i.kind, url: `https://${i.host}/${i.n}${i.kind === 'dir' ? '/' : ''}` }))
          const limits = toLimits(l)
          const batches = batchForProvider(op, items, limits)
          // exactly the input, each item once
          const out = batches.flatMap((b) => b.items)
          expect(out.map((i) => i.url).sort()).toEqual(items.map((i) => i.url).sort())
          for (const b of batches) {
            expect(b.items.length).toBeGreaterThan(0)
            expect(b.items.length).toBeLessThanOrEqual(limits.itemsPerCall[op])
            if (limits.oneHostPerCall) expect(new Set(b.items.map((i) => new URL(i.url).host)).size).toBe(1)
            if (!limits.mixedKindsPerCall) expect(new Set(b.items.map((i) => i.kind)).size).toBe(1)
            if (l.perHost !== undefined) {
              for (const host of new Set(b.items.map((i) => new URL(i.url).host)))
                expect(b.items.filter((i) => new URL(i.url).host === host).length).toBeLessThanOrEqual(l.perHost)
            }
          }
          // minimal: Σ over groups of max(⌈n / limit⌉, ⌈n_h / perHost⌉ for each host h of the group)
          const groups = new Map<string, Map<string, number>>()
          for (const i of items) {
            const key = `${limits.oneHostPerCall ? new URL(i.url).host : ''}|${limits.mixedKindsPerCall ? '' : i.kind}`
            const hosts = groups.get(key) ?? new Map<string, number>()
            hosts.set(new URL(i.url).host, (hosts.get(new URL(i.url).host) ?? 0) + 1)
            groups.set(key, hosts)
          }
          const callsFor = (hosts: Map<string, number>): number => {
            const n = [...hosts.values()].reduce((a, b) => a + b, 0)
            const perHost = l.perHost === undefined ? 1 : Math.max(...[...hosts.values()].map((h) => Math.ceil(h / l.perHost!)))
            return Math.max(Math.ceil(n / limits.itemsPerCall[op]), perHost)
          }
          const minimum = [...groups.values()].reduce((sum, hosts) => sum + callsFor(hosts), 0)
          expect(batches).toHaveLength(minimum)
        }
      )
    )
  })
})

describe('verdict properties', () => {
  const states: ItemState[] = ['success', 'failure', 'submit-failed', 'timeout', 'submitted', 'planned']
  it('every item is counted exactly once as succeeded or failed, and the rate and pass agree with the counts', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...states), { maxLength: 300 }), fc.double({ min: 0, max: 100, noNaN: true }), (list, threshold) => {
        const items: ItemResult[] = list.map((state, i) => ({
          op: 'purge',
          kind: 'url',
          url: `https://a/${i}`,
          host: 'a',
          taskId: null,
          state,
          message: '',
          seconds: null
        }))
        const v = computeVerdict(items, threshold)
        expect(v.succeeded + v.failed).toBe(items.length)
        expect(v.succeeded).toBe(items.filter(isSuccess).length)
        expect(v.rate).toBeGreaterThanOrEqual(0)
        expect(v.rate).toBeLessThanOrEqual(100)
        if (items.length > 0) expect(Math.abs(v.rate! - (v.succeeded / items.length) * 100)).toBeLessThanOrEqual(0.005 + 1e-9)
        expect(v.passed).toBe(items.length === 0 || v.succeeded * 100 >= threshold * items.length)
      })
    )
  })
})
