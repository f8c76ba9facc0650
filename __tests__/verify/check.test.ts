import { describe, expect, it } from '@jest/globals'
import { fakeClock } from '../../__fixtures__/fake-provider.js'
import { checkTargets, type EdgeCheckDeps } from '../../src/verify/check.js'
import type { EdgeAnswer, FileDigest } from '../../src/verify/outcome.js'

const NEW = 'a'.repeat(64)
const OLD = 'b'.repeat(64)
const DELAYS = [2000, 3000, 5000]

/** An edge whose answers per URL come from `script(url, n)`, n counting that URL's fetches from 1. */
function setup(script: (url: string, n: number) => EdgeAnswer, digests: Record<string, FileDigest> = {}, deadline = Infinity) {
  const clock = fakeClock(1000)
  const fetched: string[] = []
  const digested: string[] = []
  const lines: string[] = []
  const deps: EdgeCheckDeps = {
    fetch: async (url) => {
      fetched.push(url)
      return script(url, fetched.filter((u) => u === url).length)
    },
    digest: async (file) => {
      digested.push(file)
      return digests[file] ?? { sha256: NEW, bytes: 3 }
    },
    clock,
    deadline,
    log: (line) => lines.push(line)
  }
  return { deps, clock, fetched, digested, lines }
}

describe('checkTargets', () => {
  it('rechecks only the stale and unreachable ones, 3 times over 10 s, and keeps the last result', async () => {
    // b converges on its third fetch; c stays stale; d is a 404 throughout
    const s = setup((url, n) => {
      if (url.endsWith('/b')) return { status: 200, sha256: n >= 3 ? NEW : OLD, bytes: 3 }
      if (url.endsWith('/c')) return { status: 200, sha256: OLD, bytes: 2 }
      if (url.endsWith('/d')) return { status: 404 }
      return { status: 200, sha256: NEW, bytes: 3 }
    })
    const targets = ['a', 'b', 'c', 'd'].map((n, item) => ({ url: `https://e/${n}`, file: `site/${n}`, item }))
    const r = await checkTargets(targets, s.deps, { concurrency: 2, recheckDelaysMs: DELAYS })
    expect(r.checks.map((c) => c.result)).toEqual(['fresh', 'fresh', 'stale', 'unreachable'])
    expect(r.rounds).toBe(4)
    expect(s.clock.sleeps).toEqual(DELAYS)
    expect(r.seconds).toBe(10)
    expect(s.fetched.filter((u) => u.endsWith('/a'))).toHaveLength(1)
    expect(s.fetched.filter((u) => u.endsWith('/b'))).toHaveLength(3)
    expect(s.fetched.filter((u) => u.endsWith('/c'))).toHaveLength(4)
    expect(s.lines[0]).toBe('edge round 2 (after 2 s): 3 rechecked, 0 now fine, 3 still stale or unreachable')
    expect(s.lines[1]).toBe('edge round 3 (after 3 s): 3 rechecked, 1 now fine, 2 still stale or unreachable')
  })

  it('stops rechecking once every URL is fine', async () => {
    const s = setup((_, n) => ({ status: 200, sha256: n >= 2 ? NEW : OLD, bytes: 3 }))
    const r = await checkTargets([{ url: 'https://e/x', file: 'x', item: 0 }], s.deps, { concurrency: 8, recheckDelaysMs: DELAYS })
    expect(r.rounds).toBe(2)
    expect(s.clock.sleeps).toEqual([2000])
  })

  it('does not start a recheck that would end past the deadline', async () => {
    const s = setup(() => ({ status: 200, sha256: OLD, bytes: 2 }), {}, 1000 + 4000)
    const r = await checkTargets([{ url: 'https://e/x', file: 'x', item: 0 }], s.deps, { concurrency: 8, recheckDelaysMs: DELAYS })
    expect(r.rounds).toBe(2)
    expect(s.clock.sleeps).toEqual([2000])
    expect(s.lines.at(-1)).toBe('edge: 1 not rechecked: the timeout runs out first')
  })

  it('never fetches a target whose file is skipped, and digests a file once for all its URLs', async () => {
    const s = setup(() => ({ status: 200, sha256: NEW, bytes: 3 }), { 'big.bin': { skip: 'over the cap' } })
    const targets = [
      { url: 'https://e/big.bin', file: 'big.bin', item: 0 },
      { url: 'https://e/docs/index.html', file: 'docs/index.html', item: 1 },
      { url: 'https://e/docs/', file: 'docs/index.html', item: 2 },
      { url: 'https://e/health', file: null, item: 3 }
    ]
    const r = await checkTargets(targets, s.deps, { concurrency: 8, recheckDelaysMs: DELAYS })
    expect(r.checks.map((c) => c.result)).toEqual(['skipped', 'fresh', 'fresh', 'answered'])
    expect(s.fetched.sort()).toEqual(['https://e/docs/', 'https://e/docs/index.html', 'https://e/health'])
    expect(s.digested).toEqual(['big.bin', 'docs/index.html'])
    expect(r.rounds).toBe(1)
  })

  it('never fetches a URL several changed files map to: the edge serves one body, so neither file is compared', async () => {
    const s = setup(() => ({ status: 200, sha256: OLD, bytes: 2 }))
    const targets = [{ url: 'https://e/docs/', file: 'docs/a.html', item: 0, sharedBy: ['docs/a.html', 'docs/b.html'] }]
    const r = await checkTargets(targets, s.deps, { concurrency: 8, recheckDelaysMs: DELAYS })
    expect(r.checks).toEqual([{ result: 'skipped', detail: '2 changed files map to this URL (docs/a.html, docs/b.html); not fetched' }])
    expect(s.fetched).toEqual([])
    expect(r.rounds).toBe(1)
  })

  it('keeps at most `concurrency` fetches in flight', async () => {
    let inFlight = 0
    let most = 0
    const s = setup(() => ({ status: 200, sha256: NEW, bytes: 3 }))
    const fetch = s.deps.fetch
    s.deps.fetch = async (url) => {
      most = Math.max(most, ++inFlight)
      await new Promise((r) => setImmediate(r))
      inFlight--
      return fetch(url)
    }
    const targets = Array.from({ length: 40 }, (_, i) => ({ url: `https://e/${i}`, file: `f${i}`, item: i }))
    await checkTargets(targets, s.deps, { concurrency: 3, recheckDelaysMs: DELAYS })
    expect(most).toBe(3)
  })
})
