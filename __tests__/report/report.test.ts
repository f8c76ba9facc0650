import { describe, expect, it } from '@jest/globals'
import type { ItemResult, ItemState } from '../../src/model.js'
import { buildReport } from '../../src/report/report.js'
import { MAX_ROWS, renderSummary } from '../../src/report/summary.js'
import { computeVerdict } from '../../src/report/verdict.js'
import { addSecret, clearSecrets } from '../../src/redact.js'

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

  it('a dry run is a plan: no rate, nothing succeeded or failed, passes', () => {
    expect(computeVerdict([item('planned'), item('planned')], 100, true)).toEqual({
      total: 2,
      succeeded: 0,
      failed: 0,
      rate: null,
      threshold: 100,
      passed: true
    })
    expect(computeVerdict([], 100, true).rate).toBeNull()
  })

  it('a dry run report has a null successRate and totals of planned items', () => {
    const items = [item('planned'), item('planned', 'https://a.example/y')]
    const report = buildReport({ provider: 'ztgame', mode: 'purge', dryRun: true, waited: true, verdict: computeVerdict(items, 100, true), taskIds: [], items })
    expect(report.successRate).toBeNull()
    expect(report.totals).toEqual({ items: 2, succeeded: 0, failed: 0 })
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
    expect(text).toContain('https://a.example/&#60;script&#62;&#38;')
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

describe('external values in the summary and the report', () => {
  const report = (items: ItemResult[], taskIds = ['t1']) =>
    buildReport({ provider: 'ztgame', mode: 'purge', dryRun: false, waited: true, verdict: computeVerdict(items, 100), taskIds, items })

  /** The item table's rows. */
  const rows = (text: string) => text.split('\n').filter((l) => l.startsWith('<tr><td>'))

  const hostile = [
    'FAIL\n\n# heading\n\n![x](https://evil.example/x.png)',
    '[link](https://evil.example) **bold** _em_ `code` ~~s~~ $x$ \\',
    '</td></tr></table><img src=x onerror=alert(1)>',
    '| a | b |\n|---|---|',
    'line\r\nbreak\u2028sep\u0085nel'
  ]

  it.each(hostile)('a status word %j stays inside its cell: no line break, tag, heading, link or image survives', (word) => {
    const text = renderSummary(report([{ ...item('failure'), message: word, taskId: word }]))
    const plain = renderSummary(report([{ ...item('failure'), message: 'x', taskId: 'x' }]))
    // the same lines as with a harmless word, but for the one table row
    const [row] = rows(text)
    expect(text.split('\n').map((l) => (l === row ? '' : l))).toEqual(plain.split('\n').map((l) => (l === rows(plain)[0] ? '' : l)))
    expect(row).toMatch(/^<tr>(<td>[^<>]*<\/td>){6}<\/tr>$/)
    for (const syntax of ['![', '](', '**', '`', '~~', '$', '\\', '<img', '|', '\n', '\r', '\u2028', '\u0085']) {
      expect(row.replace(/^<tr>|<\/tr>$/g, '').replace(/<\/?td>/g, '')).not.toContain(syntax)
    }
  })

  it('collapsed directories (a Markdown list) are escaped the same way', () => {
    const r = report([item('success')])
    r.collapsedDirs = [{ dir: 'https://a.example/[x](y)/\n# h/', files: 3 }]
    const text = renderSummary(r)
    expect(text).toContain('- https://a.example/&#91;x&#93;&#40;y&#41;/&#92;n &#35; h/ (3 files)'.replace(' &#35;', '&#35;'))
    expect(text).not.toMatch(/^# h/m)
  })

  it('a 5 MB error body and a 1 KB task id are bounded in the report and the summary', () => {
    const body = 'E'.repeat(5 * 1024 * 1024)
    const id = 'i'.repeat(1024)
    const r = report([{ ...item('failure'), message: `HTTP 500: ${body}`, taskId: id }], [id])
    expect(r.items[0].message.length).toBeLessThan(2100)
    expect(r.items[0].message).toContain(`…(${body.length + 10} characters)`)
    expect(r.taskIds[0]).toBe(id) // ids stay whole in the report: the user looks them up
    const text = renderSummary(r)
    expect(text.length).toBeLessThan(5000)
    expect(text).toContain('…&#40;1024 characters&#41;')
  })

  it('redacts recorded secrets in any encoding from messages and task ids', () => {
    const secret = 'tok-Zq81-secret'
    addSecret(secret)
    try {
      const echoed = `403: token ${secret} (${Buffer.from(secret).toString('base64')}, ${encodeURIComponent(secret)}, ${Buffer.from(secret).toString('hex')})`
      const r = report([{ ...item('failure'), message: echoed, taskId: secret }], [secret])
      const all = JSON.stringify(r) + renderSummary(r)
      expect(all).not.toContain(secret)
      expect(all).not.toContain(Buffer.from(secret).toString('base64'))
      expect(all).not.toContain(Buffer.from(secret).toString('hex'))
      expect(r.items[0].message).toBe('403: token *** (***, ***, ***)')
    } finally {
      clearSecrets()
    }
  })
})
