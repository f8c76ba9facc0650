import { describe, expect, it } from '@jest/globals'
import type { ItemResult } from '../../src/model.js'
import { groupFailures } from '../../src/report/causes.js'
import { computeVerdict } from '../../src/report/verdict.js'
import { applyChecks, judge, summarise, type EdgeCheck } from '../../src/verify/outcome.js'

const NEW = 'a'.repeat(64)
const OLD = 'b'.repeat(64)

describe('judge', () => {
  it.each([
    ['same bytes', { status: 200, sha256: NEW, bytes: 3 }, { sha256: NEW, bytes: 3 }, 'fresh'],
    ['other bytes', { status: 200, sha256: OLD, bytes: 2 }, { sha256: NEW, bytes: 3 }, 'stale'],
    ['404', { status: 404 }, { sha256: NEW, bytes: 3 }, 'unreachable'],
    ['503 after retries', { status: 503 }, null, 'unreachable'],
    ['a redirect', { status: 301 }, { sha256: NEW, bytes: 3 }, 'unreachable'],
    ['no answer', { error: 'GET x got no complete answer within 15000 ms' }, { sha256: NEW, bytes: 3 }, 'unreachable'],
    ['2xx with no file', { status: 204, sha256: OLD, bytes: 0 }, null, 'answered'],
    // a file under the cap (a larger one is skipped unfetched) cannot be a body over it
    ['a body over the cap for a smaller file', { status: 200, overCap: true }, { sha256: NEW, bytes: 3 }, 'stale'],
    ['a body over the cap with no file', { status: 200, overCap: true }, null, 'answered'],
    ['a file not compared', { status: 200, sha256: NEW, bytes: 3 }, { skip: 'not a regular file in the workspace' }, 'skipped']
  ] as const)('%s → %s', (_, answer, expected, result) => {
    expect(judge(answer, expected).result).toBe(result)
  })

  it('says what differs, with short hashes and sizes', () => {
    expect(judge({ status: 200, sha256: OLD, bytes: 2 }, { sha256: NEW, bytes: 3 }).detail).toBe(
      'sha256 bbbbbbbbbbbb (2 bytes) at the edge, aaaaaaaaaaaa (3 bytes) in the workspace'
    )
    expect(judge({ status: 302 }, null).detail).toBe('HTTP 302 (a redirect, not followed)')
    expect(judge({ status: 200, overCap: true }, { sha256: NEW, bytes: 3 }).detail).toBe(
      'a body over the size cap (not read) at the edge, 3 bytes in the workspace'
    )
  })
})

describe('applyChecks', () => {
  const item = (url: string, kind: 'url' | 'dir' = 'url'): ItemResult => ({
    op: 'purge',
    kind,
    url,
    host: 'cdn.example.com',
    taskId: 't1',
    state: 'success',
    message: 'done',
    seconds: 2
  })
  const stale: EdgeCheck = { result: 'stale', detail: 'sha256 differs' }
  const fresh: EdgeCheck = { result: 'fresh', detail: 'sha256 aaaa' }
  const skipped: EdgeCheck = { result: 'skipped', detail: 'too big' }
  const gone: EdgeCheck = { result: 'unreachable', detail: 'HTTP 404' }

  it('fails stale and unreachable items, keeps fresh and skipped ones succeeded, and records what the edge gave', () => {
    const items = [item('https://cdn.example.com/a'), item('https://cdn.example.com/b'), item('https://cdn.example.com/c'), item('https://cdn.example.com/d')]
    const targets = items.map((i, n) => ({ url: i.url, file: `site/${n}`, item: n }))
    const out = applyChecks(items, targets, [stale, fresh, skipped, gone], 4)
    expect(out.map((i) => i.state)).toEqual(['stale', 'success', 'success', 'unreachable'])
    expect(out[0]).toMatchObject({
      message: 'stale at the edge: it serves other bytes than the workspace file after 4 tries',
      edge: { result: 'stale', detail: 'sha256 differs (site/0)' }
    })
    expect(out[2].edge).toEqual({ result: 'skipped', detail: 'too big (site/2)' })
    expect(out[3].message).toBe('unreachable at the edge after 4 tries: HTTP 404')
    // the original items are not changed
    expect(items[0].state).toBe('success')
    // stale and unreachable count against the rate; skipped does not
    expect(computeVerdict(out, 100)).toMatchObject({ succeeded: 2, failed: 2, rate: 50, passed: false })
    const causes = groupFailures(out, 'ztgame')
    expect(causes.map((c) => [c.family, c.label, c.items.length])).toEqual([
      ['stale', 'purge: stale at the edge: it serves other bytes than the workspace file after 4 tries', 1],
      ['unreachable', 'purge: unreachable at the edge after 4 tries: HTTP 404', 1]
    ])
  })

  it('stale items of one run are one cause, whatever their URLs and files', () => {
    const items = [item('https://cdn.example.com/a'), item('https://other.example.com/b')]
    const out = applyChecks(
      items,
      [
        { url: items[0].url, file: 'x', item: 0 },
        { url: items[1].url, file: 'y', item: 1 }
      ],
      [stale, stale],
      2
    )
    expect(groupFailures(out, 'ztgame')).toHaveLength(1)
  })

  it('a directory takes the worst result of the URLs under it and names the first', () => {
    const items = [item('https://cdn.example.com/img/', 'dir')]
    const targets = ['x', 'y', 'z'].map((n) => ({ url: `https://cdn.example.com/img/${n}.png`, file: `site/img/${n}.png`, item: 0 }))
    const out = applyChecks(items, targets, [fresh, stale, gone], 1)
    expect(out[0]).toMatchObject({
      state: 'stale',
      message: 'stale at the edge: URLs under it serve other bytes than the workspace file after 1 try',
      edge: { result: 'stale', detail: '1 of 3 URLs under it, first https://cdn.example.com/img/y.png: sha256 differs (site/img/y.png)' }
    })
  })
})

describe('summarise', () => {
  it('counts each result', () => {
    const s = summarise(
      [
        { result: 'fresh', detail: '' },
        { result: 'fresh', detail: '' },
        { result: 'stale', detail: '' },
        { result: 'skipped', detail: '' }
      ],
      { rounds: 2, seconds: 2.1, notChecked: 1, notDone: 0, maxBodyBytes: 16 }
    )
    expect(s).toEqual({
      urls: 4,
      fresh: 2,
      answered: 0,
      stale: 1,
      unreachable: 0,
      skipped: 1,
      rounds: 2,
      seconds: 2.1,
      notChecked: 1,
      notDone: 0,
      maxBodyBytes: 16
    })
  })
})
