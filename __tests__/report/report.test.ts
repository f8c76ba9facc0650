import { describe, expect, it } from '@jest/globals'
import type { ItemResult, ItemState } from '../../src/model.js'
import { buildReport } from '../../src/report/report.js'
import { MAX_ROWS, renderSummary } from '../../src/report/summary.js'
import { computeVerdict } from '../../src/report/verdict.js'

const item = (state: ItemState, url = 'https://a.example/x', op: 'purge' | 'prefetch' = 'purge'): ItemResult => ({
  op,
  kind: 'url',
  url,
  host: 'a.example',
  taskId: 't1',
  state,
  message: '',
  seconds: state === 'success' ? 1.5 : null
})

describe('computeVerdict', () => {
  it.each([
    [['success', 'success', 'failure'], 100, 66.67, false],
    [['success', 'success', 'failure'], 66, 66.67, true],
    [['success', 'success', 'failure'], 66.67, 66.67, false], // 2/3 is below 66.67 exactly
    [['success', 'timeout', 'submit-failed', 'failure'], 25, 25, true],
    [['submitted', 'submitted'], 100, 100, true],
    [['planned'], 100, 100, true],
    [[], 100, 100, true]
  ] as [ItemState[], number, number, boolean][])('%j at min %d → rate %d, passed %s', (states, min, rate, passed) => {
    const v = computeVerdict(
      states.map((s) => item(s)),
      min
    )
    expect(v.rate).toBe(rate)
    expect(v.passed).toBe(passed)
    expect(v.succeeded + v.failed).toBe(states.length)
  })
})

describe('renderSummary', () => {
  const report = (items: ItemResult[], min = 100) =>
    buildReport({ provider: 'ztgame', mode: 'purge', dryRun: false, waited: true, verdict: computeVerdict(items, min), taskIds: ['t1'], items })

  it('puts totals and the verdict first, then a folded table per operation', () => {
    const text = renderSummary(report([item('success'), item('failure', 'https://a.example/y'), item('success', 'https://a.example/z', 'prefetch')]))
    expect(text.indexOf('Failed')).toBeLessThan(text.indexOf('<details'))
    expect(text).toContain('success rate 66.67% (minimum 100%)')
    expect(text).toContain('| 3 | 2 | 1 | 1 |')
    expect(text).toContain('<details open><summary>purge: 2 items, 1 failed</summary>')
    expect(text).toContain('<details><summary>prefetch: 1 items, 0 failed</summary>')
  })

  it('counts timed-out and rejected items as failed, in the totals and per operation', () => {
    const text = renderSummary(report([item('success'), item('timeout', 'https://a.example/t'), item('submit-failed', 'https://a.example/s')]))
    expect(text).toContain('**❌ Failed**')
    expect(text).toContain('| 3 | 1 | 2 | 1 |')
    expect(text).toContain('<details open><summary>purge: 3 items, 2 failed</summary>')
  })

  it('escapes HTML in URLs and messages', () => {
    const bad = { ...item('failure', 'https://a.example/<script>&'), message: '<b>x</b>' }
    const text = renderSummary(report([bad]))
    expect(text).toContain('https://a.example/&lt;script&gt;&amp;')
    expect(text).not.toContain('<script>')
    expect(text).not.toContain('<b>x</b>')
  })

  it('caps long tables and counts the rest', () => {
    const items = Array.from({ length: MAX_ROWS + 7 }, (_, i) => item('success', `https://a.example/${i}`))
    const text = renderSummary(report(items))
    expect(text.match(/<tr><td>/g)).toHaveLength(MAX_ROWS)
    expect(text).toContain('…and 7 more')
  })

  it('says so when nothing was mapped', () => {
    expect(renderSummary(report([]))).toContain('No URL was mapped')
  })
})

describe('writeReport', () => {
  it.each([0, 1, 2500])('writes valid JSON equal to the report with %d items', async (n) => {
    const { mkdtemp, readFile, rm } = await import('node:fs/promises')
    const os = await import('node:os')
    const path = await import('node:path')
    const { writeReport } = await import('../../src/report/report.js')
    const dir = await mkdtemp(path.join(os.tmpdir(), 'report-test-'))
    try {
      const items = Array.from({ length: n }, (_, i) => item(i % 3 === 0 ? 'failure' : 'success', `https://a.example/${i}?q="x"`))
      const report = buildReport({ provider: 'ztgame', mode: 'purge', dryRun: false, waited: true, verdict: computeVerdict(items, 50), taskIds: ['t1'], items })
      const file = await writeReport(report, dir, 'r1')
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(report)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
