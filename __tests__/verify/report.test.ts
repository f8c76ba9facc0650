/** How `verify`'s outcome reads in the causes, the annotations and the job summary. */
import { describe, expect, it } from '@jest/globals'
import type { ItemResult } from '../../src/model.js'
import { failureAnnotations } from '../../src/report/annotations.js'
import { familyOf, groupFailures, nextSteps } from '../../src/report/causes.js'
import { buildReport } from '../../src/report/report.js'
import { renderSummary } from '../../src/report/summary.js'
import { computeVerdict } from '../../src/report/verdict.js'
import type { EdgeSummary } from '../../src/verify/outcome.js'

const item = (url: string, state: ItemResult['state'], message: string, edge?: ItemResult['edge']): ItemResult => ({
  op: 'purge',
  kind: 'url',
  url,
  host: 'cdn.example.com',
  taskId: 'task-1',
  state,
  message,
  seconds: 1,
  ...(edge ? { edge } : {})
})

const items = [
  item('https://cdn.example.com/a.js', 'success', 'SUCCESS', { result: 'fresh', detail: 'sha256 aaaa (3 bytes) (site/a.js)' }),
  item('https://cdn.example.com/b.css', 'stale', 'stale at the edge: it serves other bytes than the workspace file after 4 tries', {
    result: 'stale',
    detail: 'sha256 bbbb (2 bytes) at the edge, aaaa (3 bytes) in the workspace (site/b.css)'
  }),
  item('https://cdn.example.com/c.txt', 'unreachable', 'unreachable at the edge after 4 tries: HTTP 401', {
    result: 'unreachable',
    detail: 'HTTP 401 (site/c.txt)'
  }),
  item('https://cdn.example.com/big.bin', 'success', 'SUCCESS', { result: 'skipped', detail: 'the file is over the 16 MiB cap; not fetched (site/big.bin)' })
]
const edge: EdgeSummary = {
  urls: 4,
  fresh: 1,
  answered: 0,
  stale: 1,
  unreachable: 1,
  skipped: 1,
  rounds: 4,
  seconds: 10.2,
  notChecked: 2,
  notDone: 1,
  maxBodyBytes: 16 * 1048576
}

describe('causes of a verify run', () => {
  it('puts stale and unreachable items in families of their own, whatever their words', () => {
    // HTTP 401 from the edge is not the provider refusing the credentials
    expect(familyOf('unreachable', 'unreachable at the edge after 4 tries: HTTP 401')).toBe('unreachable')
    expect(familyOf('stale', 'stale at the edge: it serves other bytes than the workspace file after 4 tries')).toBe('stale')
    const causes = groupFailures(items, 'ztgame')
    expect(causes.map((c) => c.family)).toEqual(['stale', 'unreachable'])
    expect(nextSteps(causes)).toEqual([expect.stringMatching(/^\*\*Stale at the edge:\*\*/), expect.stringMatching(/^\*\*Unreachable at the edge:\*\*/)])
  })

  it('titles their annotations as found at the edge', () => {
    const annotations = failureAnnotations(groupFailures(items, 'ztgame'), 'purge', '/tmp/r.json')
    expect(annotations.map((a) => a.title)).toEqual(['CDN purge stale at the edge for 1 URL', 'CDN purge unreachable at the edge for 1 URL'])
    expect(annotations[0].message).toBe(
      'purge: stale at the edge: it serves other bytes than the workspace file after 4 tries — 1 URL: https://cdn.example.com/b.css'
    )
  })
})

describe('the summary of a verify run', () => {
  const report = buildReport({
    provider: 'ztgame',
    mode: 'purge',
    dryRun: false,
    waited: true,
    verdict: computeVerdict(items, 100),
    taskIds: ['task-1'],
    items,
    edge
  })

  it('says what was checked, from where, and what was skipped or not fetched', () => {
    const md = renderSummary(report)
    expect(md).toContain('### Checked at the edge (`verify`)')
    expect(md).toContain(
      'Checked 4 URLs through the CDN from this runner, so from the one edge location it is routed to (others may differ): 1 the same as the workspace file, 1 stale, 1 unreachable, 1 skipped; 4 rounds over 10.2 s'
    )
    expect(md).toContain('- Skipped (not a failure): 1 URL whose file is over 16 MiB')
    expect(md).toContain('- Not fetched: 2 items with nothing to compare')
    expect(md).toContain('- Not fetched: 1 item that had already failed at the CDN.')
    // after the failures, before the successes
    expect(md.indexOf('### Failed')).toBeLessThan(md.indexOf('### Checked at the edge'))
    expect(md.indexOf('### Checked at the edge')).toBeLessThan(md.indexOf('### Succeeded'))
    // skipped is not a failure
    expect(report.totals).toEqual({ items: 4, succeeded: 2, failed: 2 })
  })

  it('names the skipped URLs and why, so the summary says what was not compared', () => {
    const md = renderSummary(report)
    expect(md).toContain(
      '- Skipped: <a href="https://cdn.example.com/big.bin">https://cdn.example.com/big.bin</a>: the file is over the 16 MiB cap; not fetched &#40;site/big.bin&#41;'
    )
    const many = Array.from({ length: 25 }, (_, i) =>
      item(`https://cdn.example.com/f${i}.bin`, 'success', 'SUCCESS', { result: 'skipped', detail: 'not in the workspace (f.bin)' })
    )
    const md25 = renderSummary(
      buildReport({
        provider: 'ztgame',
        mode: 'purge',
        dryRun: false,
        waited: true,
        verdict: computeVerdict(many, 100),
        taskIds: [],
        items: many,
        edge: { ...edge, urls: 25, fresh: 0, stale: 0, unreachable: 0, skipped: 25 }
      })
    )
    expect(md25.match(/^- Skipped: /gm)).toHaveLength(20)
    expect(md25).toContain('- …and 5 more skipped items (all in the report).')
  })

  it('has no edge section when verify was off', () => {
    const off = buildReport({ provider: 'ztgame', mode: 'purge', dryRun: false, waited: true, verdict: computeVerdict(items, 100), taskIds: [], items })
    expect(off.edge).toBeUndefined()
    expect(renderSummary(off)).not.toContain('Checked at the edge')
  })
})
