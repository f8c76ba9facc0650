import { describe, expect, it } from '@jest/globals'
import { batchForProvider, checkPlanFits, itemsFor, withBatchSize } from '../../src/engine/batch.js'
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

  it('keeps at most itemsPerHostPerCall of one host per call: 600 of one domain go as 500 + 100', () => {
    const limits: ProviderLimits = {
      ...testLimits,
      oneHostPerCall: false,
      itemsPerCall: { purge: 100, prefetch: 1000 },
      itemsPerHostPerCall: { prefetch: 500 }
    }
    const items = [...Array.from({ length: 600 }, (_, i) => url(`http://a/${i}`)), ...Array.from({ length: 10 }, (_, i) => url(`http://b/${i}`))]
    const batches = batchForProvider('prefetch', items, limits)
    const hosts = (b: (typeof batches)[number]) => b.items.map((i) => new URL(i.url).host)
    // The first call takes a's full 500 (its daily quota), and b's 10 with it.
    expect(batches.map((b) => [hosts(b).filter((h) => h === 'a').length, hosts(b).filter((h) => h === 'b').length])).toEqual([
      [500, 10],
      [100, 0]
    ])
    expect(batchForProvider('purge', items.slice(0, 150), limits).map((b) => b.items.length)).toEqual([100, 50]) // no cap for purge
  })

  it('still makes the fewest calls when filling calls in order would take more', () => {
    // size 3, 2 of a host per call, a×2 b×1 c×3: 2 calls are enough (a then b then c in order would take 3).
    const limits: ProviderLimits = {
      ...testLimits,
      oneHostPerCall: false,
      mixedKindsPerCall: true,
      itemsPerCall: { purge: 3, prefetch: 3 },
      itemsPerHostPerCall: { purge: 2 }
    }
    const items = ['http://a/1', 'http://a/2', 'http://b/1', 'http://c/1', 'http://c/2', 'http://c/3'].map(url)
    const batches = batchForProvider('purge', items, limits)
    expect(batches).toHaveLength(2)
    expect(batches.flatMap((b) => b.items.map((i) => i.url)).sort()).toEqual(items.map((i) => i.url).sort())
  })

  it('withBatchSize lowers the per-call limit of both operations, never raises it', () => {
    const limits: ProviderLimits = { ...testLimits, itemsPerCall: { purge: 100, prefetch: 1000 } }
    expect(withBatchSize(limits, 30).itemsPerCall).toEqual({ purge: 30, prefetch: 30 })
    expect(withBatchSize(limits, 500).itemsPerCall).toEqual({ purge: 100, prefetch: 500 })
    expect(withBatchSize(limits, null)).toBe(limits)
    const items = Array.from({ length: 70 }, (_, i) => url(`http://a/${i}`))
    expect(batchForProvider('purge', items, withBatchSize(limits, 30)).map((b) => b.items.length)).toEqual([30, 30, 10])
  })

  it('withBatchSize raises a safe default as far as maxItemsPerCall allows, and no further', () => {
    const limits: ProviderLimits = { ...testLimits, itemsPerCall: { purge: 30, prefetch: 100 }, maxItemsPerCall: { purge: 500 } }
    expect(withBatchSize(limits, 100).itemsPerCall).toEqual({ purge: 100, prefetch: 100 })
    expect(withBatchSize(limits, 800).itemsPerCall).toEqual({ purge: 500, prefetch: 100 })
    expect(withBatchSize(limits, 10).itemsPerCall).toEqual({ purge: 10, prefetch: 10 })
  })

  it('cuts directories at dirsPerCall when batch-size raised the per-call limit above it; URLs keep the raised limit', () => {
    const limits: ProviderLimits = { ...testLimits, itemsPerCall: { purge: 30, prefetch: 30 }, maxItemsPerCall: { purge: 500 }, dirsPerCall: 100 }
    const items = [...Array.from({ length: 250 }, (_, i) => url(`http://a/${i}`)), ...Array.from({ length: 250 }, (_, i) => dir(`http://a/d${i}/`))]
    const batches = batchForProvider('purge', items, withBatchSize(limits, 500))
    expect(batches.map((b) => [b.items[0].kind, b.items.length])).toEqual([
      ['url', 250],
      ['dir', 100],
      ['dir', 100],
      ['dir', 50]
    ])
    // Below it, the per-call limit rules both kinds.
    expect(batchForProvider('purge', items, limits).map((b) => b.items.length)).toEqual([...Array(8).fill(30), 10, ...Array(8).fill(30), 10])
  })

  it('keeps at most hostsPerCall hosts in a call, each host together, cut at the per-call limit too', () => {
    const limits: ProviderLimits = { ...testLimits, oneHostPerCall: false, hostsPerCall: 2, itemsPerCall: { purge: 3, prefetch: 3 } }
    // interleaved: a b c a b c a
    const items = ['a', 'b', 'c', 'a', 'b', 'c', 'a'].map((h, i) => url(`http://${h}.example/${i}`))
    const batches = batchForProvider('purge', items, limits)
    expect(batches.map((b) => b.items.map((i) => i.url.slice(7, 8)).join(''))).toEqual(['aaa', 'bbc', 'c'])
    expect(batches.flatMap((b) => b.items)).toHaveLength(7)
    const hosts = (b: { items: BatchItem[] }) => new Set(b.items.map((i) => new URL(i.url).host)).size
    const many = Array.from({ length: 25 }, (_, i) => url(`http://h${i % 12}.example/${i}`))
    const wide = batchForProvider('purge', many, { ...limits, hostsPerCall: 10, itemsPerCall: { purge: 1000, prefetch: 1000 } })
    expect(wide.map(hosts)).toEqual([10, 2])
    expect(wide.flatMap((b) => b.items)).toHaveLength(25)
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
    const refuse = (item: { url: string }) => (item.url.endsWith('*') ? 'ends with *' : null)
    const starred = { purgeUrls: ['http://a/ok'], purgeDirs: [], prefetchUrls: ['http://a/b*'] }
    expect(() => checkPlanFits(starred, testLimits, 'x', ['purge'], refuse)).not.toThrow()
    expect(() => checkPlanFits(starred, testLimits, 'x', ['purge', 'prefetch'], refuse, () => 'rules')).toThrow(
      /^Input 'rules': x cannot take http:\/\/a\/b\*: ends with \*$/
    )
  })
})
