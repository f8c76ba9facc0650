import { describe, expect, it } from '@jest/globals'
import type { ItemResult, ItemState } from '../../src/model.js'
import { ACCEPTED_IS_FINAL } from '../../src/engine/execute.js'
import { buildReport } from '../../src/report/report.js'
import { MAX_FAILED_URLS, MAX_ROWS, renderSummary } from '../../src/report/summary.js'
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

  it('says when nothing was polled because the provider has no status API', () => {
    const final = { ...item('success'), message: ACCEPTED_IS_FINAL }
    const text = renderSummary({ ...report([final]), provider: 'cloudflare', taskIds: [] })
    expect(text).toContain('1 of 1 URL succeeded, 0 failed · cloudflare · cloudflare has no status API: an accepted purge is final, so nothing was polled')
    expect(renderSummary(report([item('success')]))).not.toContain('no status API')
    // Every request refused: still no task to count, and still never polled.
    const refused = renderSummary({ ...report([item('failure')]), provider: 'cloudflare', taskIds: [] })
    expect(refused).toContain('0 of 1 URL succeeded, 1 failed · cloudflare · cloudflare has no status API')
    expect(refused).not.toContain('0 tasks')
  })

  it('puts the verdict and the rate first, then the failures, then the successes counted per operation and host', () => {
    const text = renderSummary(report([item('success'), item('failure', 'https://a.example/y'), item('success', 'https://a.example/z', 'prefetch')]))
    expect(text.split('\n')[0]).toBe('## ❌ CDN purge failed: 66.67% succeeded (minimum 100%)')
    expect(text).toContain('2 of 3 URLs succeeded, 1 failed · ztgame · 1 task')
    expect(text.indexOf('### Failed: 1 URL, 1 cause')).toBeLessThan(text.indexOf('### Succeeded: 2 URLs'))
    expect(text).toContain('<tr><td>purge</td><td>a.example</td><td>1</td><td>1</td></tr>')
    expect(text).toContain('<tr><td>prefetch</td><td>a.example</td><td>1</td><td>0</td></tr>')
    expect(text).toContain('<details><summary>The 2 succeeded URLs</summary>')
  })

  it('counts timed-out and rejected items as failed', () => {
    const text = renderSummary(report([item('success'), item('timeout', 'https://a.example/t'), item('submit-failed', 'https://a.example/s')]))
    expect(text).toMatch(/^## ❌ CDN purge failed: 33.33% succeeded/)
    expect(text).toContain('1 of 3 URLs succeeded, 2 failed')
    expect(text).toContain('### Failed: 2 URLs, 2 causes')
  })

  it('shows a passing run with its failures all the same', () => {
    const text = renderSummary(report([item('success'), item('failure', 'https://a.example/y')], 50))
    expect(text.split('\n')[0]).toBe('## ✅ CDN purge passed: 50% succeeded (minimum 50%)')
    expect(text).toContain('### Failed: 1 URL, 1 cause')
  })

  it('says a dry run is a plan: no rate, nothing succeeded', () => {
    const items = [item('planned'), item('planned', 'https://a.example/y')]
    const r = buildReport({ provider: 'ztgame', mode: 'purge', dryRun: true, waited: true, verdict: computeVerdict(items, 100), taskIds: [], items })
    const text = renderSummary(r)
    expect(text.split('\n')[0]).toBe('## 🔎 CDN purge dry run: 2 URLs planned, nothing sent')
    expect(text).toContain('### Planned: 2 URLs')
    expect(text).toContain('<tr><td>purge</td><td>a.example</td><td>2</td></tr>')
    expect(text).not.toMatch(/succeeded|%|Failed/)
  })

  it('escapes HTML in URLs and messages', () => {
    const bad = { ...item('failure', 'https://a.example/<script>&'), message: '<b>x</b>' }
    const text = renderSummary(report([bad]))
    expect(text).toContain('https://a.example/&#60;script&#62;&#38;')
    expect(text).not.toContain('<script>')
    expect(text).not.toContain('<b>x</b>')
  })

  it('caps the rows of successes and counts the rest', () => {
    const items = Array.from({ length: MAX_ROWS + 7 }, (_, i) => item('success', `https://a.example/${i}`))
    const text = renderSummary(report(items))
    expect(text.match(/<tr><td>purge<\/td><td><a /g)).toHaveLength(MAX_ROWS)
    expect(text).toContain('…and 7 more (all in the report)')
  })

  it('never hides a failure behind the successes: 600 URLs with 2 failed at the end', () => {
    const items = Array.from({ length: 600 }, (_, i) => item(i < 598 ? 'success' : 'failure', `https://a.example/${i}`))
    const text = renderSummary(report(items))
    expect(text).toContain('<a href="https://a.example/598">')
    expect(text).toContain('<a href="https://a.example/599">')
    expect(text.indexOf('https://a.example/599')).toBeLessThan(text.indexOf('https://a.example/0'))
  })

  it('lists every failed URL while they are few, then the first few of each cause and a count', () => {
    const all = (n: number) => Array.from({ length: n }, (_, i) => ({ ...item('failure', `https://a.example/${i}`), message: `error ${i % 4}` }))
    const few = renderSummary(report(all(MAX_FAILED_URLS)))
    expect(few.match(/<li><a href=/g)).toHaveLength(MAX_FAILED_URLS)
    const lots = renderSummary(report(all(4000)))
    expect(lots.match(/<li><a href=/g)).toHaveLength(MAX_FAILED_URLS)
    expect(lots.match(/<li>…and 925 more \(all in the report\)<\/li>/g)).toHaveLength(4)
    expect(lots).toContain('— 1000 URLs')
  })

  it('stays under the 1 MiB summary limit with long, escape-heavy URLs and messages, counting what it leaves out', () => {
    const url = (i: number) => `https://a.example/${i}/${'(_)'.repeat(600)}`
    const failed = Array.from({ length: MAX_FAILED_URLS }, (_, i) => ({ ...item('failure', url(i)), message: `${'*'.repeat(1900)} ${i % 100}` }))
    const ok = Array.from({ length: MAX_ROWS }, (_, i) => item('success', url(1000 + i)))
    const text = renderSummary(report([...failed, ...ok]))
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024)
    expect(text).toContain('### Failed: 300 URLs, 100 causes')
    expect(text).toMatch(/<p>…and \d+ more \(all in the report\)\.<\/p>/)
    expect(text).toMatch(/<li>…and \d+ more \(all in the report\)<\/li>/)
  })

  it('shows task ids short and drops the columns that repeated the state', () => {
    const text = renderSummary(report([{ ...item('success'), taskId: '3068b9ab-5d1c-4e57-9a0b-7f1d0c2e9a11', message: 'success' }]))
    expect(text).toContain('<code>3068b9ab…</code>')
    expect(text).not.toContain('5d1c')
    expect(text).not.toMatch(/<td>success<\/td>/)
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

  /** The lines that show the external values: the failure's cause and the succeeded item's row. */
  const shownLines = (text: string) => text.split('\n').filter((l) => l.startsWith('<li><b>') || l.startsWith('<tr><td>purge</td><td><a '))
  /** Our own tags, which the checks take off to look at the text between them. */
  const OWN_TAGS = /<\/?(?:li|b|ul|tr|td|code)>|<a href="https:\/\/a\.example\/[xy]">|<\/a>/g

  const hostile = [
    'FAIL\n\n# heading\n\n![x](https://evil.example/x.png)',
    '[link](https://evil.example) **bold** _em_ `code` ~~s~~ $x$ \\',
    '</td></tr></table><img src=x onerror=alert(1)>',
    '| a | b |\n|---|---|',
    'line\r\nbreak\u2028sep\u0085nel'
  ]

  it.each(hostile)('a status word %j stays inside its list item and cell: no line break, tag, heading, link or image survives', (word) => {
    const run = (w: string) =>
      renderSummary(
        report([
          { ...item('failure'), message: w, taskId: w },
          { ...item('success', 'https://a.example/y'), message: w, taskId: w }
        ])
      )
    const text = run(word)
    const plain = run('x')
    // the same lines as with a harmless word, but for the two that show it
    const mine = shownLines(text)
    expect(mine).toHaveLength(2)
    expect(text.split('\n').filter((l) => !mine.includes(l))).toEqual(plain.split('\n').filter((l) => !shownLines(plain).includes(l)))
    expect(mine[0]).toMatch(
      /^<li><b>[^<>]*<\/b> — 1 URL<ul><li><a href="https:\/\/a\.example\/x">https:\/\/a\.example\/x<\/a> · task <code>[^<>]*<\/code><\/li><\/ul><\/li>$/
    )
    expect(mine[1]).toMatch(
      /^<tr><td>purge<\/td><td><a href="https:\/\/a\.example\/y">https:\/\/a\.example\/y<\/a><\/td><td><code>[^<>]*<\/code><\/td><td>1\.5 s<\/td><\/tr>$/
    )
    for (const line of mine) {
      for (const syntax of ['![', '](', '**', '`', '~~', '$', '\\', '<', '>', '|', '\n', '\r', '\u2028', '\u0085']) {
        expect(line.replace(OWN_TAGS, '')).not.toContain(syntax)
      }
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
    expect(text).toMatch(/E{400}…&#40;\d+ characters&#41;/) // cut, and says so
    expect(text).toContain('<code>iiiiiiii…</code>') // short in the summary, whole in the report
    expect(text).not.toContain('i'.repeat(9))
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
