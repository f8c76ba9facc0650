import { describe, expect, it } from '@jest/globals'
import { batchForProvider, checkPlanFits, itemsFor } from '../../src/engine/batch.js'
import type { BatchItem, ProviderLimits } from '../../src/providers/provider.js'
import { testLimits } from '../../__fixtures__/fake-provider.js'

const url = (u: string): BatchItem => ({ kind: 'url', url: u })
const dir = (u: string): BatchItem => ({ kind: 'dir', url: u })

describe('batchForProvider', () => {
  it('groups by host, keeps first-seen order and cuts at the per-call limit', () => {
    const items = ['http://a/1', 'http://b/1', 'http://a/2', 'http://a/3', 'http://a/4'].map(url)
    const batches = batchForProvider('purge', items, testLimits)
    expect(batches.map((b) => [b.host, b.items.map((i) => i.url)])).toEqual([
      ['a', ['http://a/1', 'http://a/2', 'http://a/3']],
      ['a', ['http://a/4']],
      ['b', ['http://b/1']]
    ])
  })

  it('never mixes URLs and directories when the provider forbids it', () => {
    const batches = batchForProvider('purge', [url('http://a/1'), dir('http://a/d/'), url('http://a/2')], testLimits)
    expect(batches.map((b) => b.items.map((i) => i.kind))).toEqual([['url', 'url'], ['dir']])
  })

  it('mixes hosts and kinds when allowed, using the operation limit', () => {
    const limits: ProviderLimits = { ...testLimits, oneHostPerCall: false, mixedKindsPerCall: true }
    const batches = batchForProvider('prefetch', [url('http://a/1'), url('http://b/1'), url('http://c/1')], limits)
    expect(batches.map((b) => b.items.length)).toEqual([2, 1])
    expect(batches[0].host).toBe('')
  })

  it('makes exactly the minimum number of calls: the sum over hosts of ceil(n / limit)', () => {
    const items: BatchItem[] = []
    const perHost = { a: 7, b: 3, c: 1 }
    for (const [h, n] of Object.entries(perHost)) for (let i = 0; i < n; i++) items.push(url(`http://${h}.example/${i}`))
    const batches = batchForProvider('purge', items, testLimits)
    expect(batches).toHaveLength(Math.ceil(7 / 3) + Math.ceil(3 / 3) + Math.ceil(1 / 3))
    expect(batches.flatMap((b) => b.items)).toHaveLength(11)
  })

  it('returns no batch for no items', () => {
    expect(batchForProvider('purge', [], testLimits)).toEqual([])
  })
})

describe('itemsFor / checkPlanFits', () => {
  const plan = { purgeUrls: ['http://a/1'], purgeDirs: ['http://a/d/'], prefetchUrls: ['http://a/2'] }
  it('takes purge URLs then directories, and prefetch URLs', () => {
    expect(itemsFor(plan, 'purge')).toEqual([url('http://a/1'), dir('http://a/d/')])
    expect(itemsFor(plan, 'prefetch')).toEqual([url('http://a/2')])
  })
  it('refuses directories for a provider without directory purges, naming the urls input', () => {
    expect(() => checkPlanFits(plan, { ...testLimits, directories: false }, 'x')).toThrow(/^Input 'urls': x cannot purge directories/)
    expect(() => checkPlanFits(plan, testLimits, 'x')).not.toThrow()
  })
})
