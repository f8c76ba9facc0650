import { escapeControls, shown } from '../external.js'
import type { ItemResult, Operation } from '../model.js'
import { providers } from '../providers/index.js'
import { redact } from '../redact.js'
import { count } from '../text.js'
import { groupFailures, nextSteps, type Cause } from './causes.js'
import type { Report } from './report.js'
import type { EdgeSummary } from '../verify/outcome.js'
import { isSuccess } from './verdict.js'

/** Rows of succeeded (or planned) items shown before the rest is only counted. */
export const MAX_ROWS = 500
/** Failed URLs listed in full; past this each cause lists its first few and counts the rest. */
export const MAX_FAILED_URLS = 300
/** Causes listed; past this the rest are counted (each still has its line in the report). */
export const MAX_CAUSES = 100
/** Characters of a URL shown as a link's text (the link itself is whole). */
const URL_CHARS = 200
/** URLs longer than this are shown as text, not linked. */
const LINK_CHARS = 2048
/** Characters of a cause's line. */
const LABEL_CHARS = 500
/**
 * Characters the failure list and the succeeded rows may take: GitHub refuses a step summary
 * over 1 MiB, and escaped URLs can be long. Past it, rows are counted, not shown.
 */
export const FAILURES_BUDGET = 400_000
export const ROWS_BUDGET = 300_000
/** Characters of a task id shown; the report has it whole. */
const TASK_CHARS = 8

/**
 * HTML and Markdown syntax characters: the HTML specials, the table's `|`, and what Markdown
 * reads as emphasis, code, links, images, headings, strikethrough, escapes and math.
 */
const SYNTAX = /[&<>"'|\\`*_[\]()!#~$]/g

/**
 * A value from outside (URL, task id, status word, error text) as summary text: controls (line
 * breaks included) as visible escapes, so it stays inside its cell or list item, and every
 * syntax character as a numeric character reference, so neither HTML nor Markdown reads it.
 */
export const escapeText = (text: string): string => escapeControls(text).replace(SYNTAX, (ch) => `&#${ch.charCodeAt(0)};`)

/** A URL as a link (http and https only; anything else as text). */
function link(url: string): string {
  const text = escapeText(shown(url, URL_CHARS))
  return /^https?:\/\//i.test(url) && url.length <= LINK_CHARS ? `<a href="${escapeText(redact(url))}">${text}</a>` : text
}

/** A task id cut to its first characters: enough to tell tasks apart and find them in the report. */
function shortTask(id: string | null): string {
  if (id === null || id === '') return ''
  const chars = [...id]
  const cut = chars.length > TASK_CHARS + 2 ? `${chars.slice(0, TASK_CHARS).join('')}…` : id
  return `<code>${escapeText(shown(cut))}</code>`
}

/** The failures, one list item per cause with its URLs; every failed URL while they are few. */
function failureList(causes: readonly Cause[], failed: number): string {
  const perCause = failed <= MAX_FAILED_URLS ? Infinity : Math.max(3, Math.floor(MAX_FAILED_URLS / Math.min(causes.length, MAX_CAUSES)))
  let size = 0
  const lines = causes.slice(0, MAX_CAUSES).map((cause) => {
    const urls: string[] = []
    for (const i of cause.items.slice(0, perCause)) {
      if (size > FAILURES_BUDGET) break
      const task = shortTask(i.taskId)
      const line = `<li>${link(i.url)}${task === '' ? '' : ` · task ${task}`}</li>`
      size += line.length
      urls.push(line)
    }
    const rest = cause.items.length - urls.length
    if (rest > 0) urls.push(`<li>…and ${rest} more (all in the report)</li>`)
    return `<li><b>${escapeText(shown(cause.label, LABEL_CHARS))}</b> — ${count(cause.items.length, 'URL')}<ul>${urls.join('')}</ul></li>`
  })
  const left = causes.slice(MAX_CAUSES)
  if (left.length > 0) {
    const urls = left.reduce((n, c) => n + c.items.length, 0)
    lines.push(`<li>…and ${count(left.length, 'more cause')}, ${count(urls, 'URL')} (all in the report)</li>`)
  }
  return `<ol>\n${lines.join('\n')}\n</ol>`
}

/** Items per operation and host: one row each, with the succeeded and failed counts. */
function countTable(items: readonly ItemResult[], planned: boolean): string {
  const rows = new Map<string, { op: Operation; host: string; ok: number; failed: number }>()
  for (const item of items) {
    const key = `${item.op} ${item.host}`
    let row = rows.get(key)
    if (!row) rows.set(key, (row = { op: item.op, host: item.host, ok: 0, failed: 0 }))
    if (isSuccess(item)) row.ok++
    else row.failed++
  }
  const head = planned ? '<th>operation</th><th>host</th><th>planned</th>' : '<th>operation</th><th>host</th><th>succeeded</th><th>failed</th>'
  const body = [...rows.values()].map(
    (r) => `<tr><td>${r.op}</td><td>${escapeText(r.host || '(none)')}</td><td>${r.ok}</td>${planned ? '' : `<td>${r.failed}</td>`}</tr>`
  )
  return `<table><tr>${head}</tr>\n${body.join('\n')}\n</table>`
}

/** Succeeded (or planned) items, one row each, capped at MAX_ROWS. */
function itemTable(items: readonly ItemResult[], planned: boolean): string {
  const rows: string[] = []
  let size = 0
  for (const i of items.slice(0, MAX_ROWS)) {
    if (size > ROWS_BUDGET) break
    const row = planned
      ? `<tr><td>${i.op}</td><td>${link(i.url)}</td></tr>`
      : `<tr><td>${i.op}</td><td>${link(i.url)}</td><td>${shortTask(i.taskId)}</td><td>${i.seconds === null ? '' : `${i.seconds} s`}</td></tr>`
    size += row.length
    rows.push(row)
  }
  const head = planned ? '<th>operation</th><th>URL</th>' : '<th>operation</th><th>URL</th><th>task</th><th>time</th>'
  const more = items.length > rows.length ? `\n<p>…and ${items.length - rows.length} more (all in the report).</p>` : ''
  return `<table><tr>${head}</tr>\n${rows.join('\n')}\n</table>${more}`
}

/** Skipped items named in the edge section before the rest is counted. */
const MAX_SKIPPED_NAMED = 20

/** What `verify` checked, from where, and what it skipped (the first skipped items named, with why). */
function edgeSection(edge: EdgeSummary, items: readonly ItemResult[]): string[] {
  const found = [
    `${edge.fresh} the same as the workspace file`,
    ...(edge.answered > 0 ? [`${edge.answered} without a file answered 2xx`] : []),
    `${edge.stale} stale`,
    `${edge.unreachable} unreachable`,
    `${edge.skipped} skipped`
  ]
  const mib = Math.round(edge.maxBodyBytes / 1048576)
  const lines = [
    '### Checked at the edge (`verify`)',
    '',
    `Checked ${count(edge.urls, 'URL')} through the CDN from this runner, so from the one edge location it is routed to (others may differ): ${found.join(', ')}; ${count(edge.rounds, 'round')} over ${edge.seconds} s (stale and unreachable URLs are checked again).`
  ]
  const notes: string[] = []
  if (edge.skipped > 0)
    notes.push(
      `Skipped (not a failure): ${count(edge.skipped, 'URL')} whose file is over ${mib} MiB, whose path is not a regular file in the workspace, or that several changed files map to.`
    )
  const skipped = items.filter((i) => i.edge?.result === 'skipped')
  for (const i of skipped.slice(0, MAX_SKIPPED_NAMED)) notes.push(`Skipped: ${link(i.url)}: ${escapeText(shown(i.edge?.detail ?? '', LABEL_CHARS))}`)
  if (skipped.length > MAX_SKIPPED_NAMED) notes.push(`…and ${count(skipped.length - MAX_SKIPPED_NAMED, 'more skipped item')} (all in the report).`)
  if (edge.notChecked > 0)
    notes.push(`Not fetched: ${count(edge.notChecked, 'item')} with nothing to compare (URLs of deleted files, directories given in \`urls\`).`)
  if (edge.notDone > 0) notes.push(`Not fetched: ${count(edge.notDone, 'item')} that had already failed at the CDN.`)
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`))
  return lines
}

/**
 * The job summary, in Markdown with HTML blocks: the verdict and rate first, then the failures
 * grouped by cause (never cut while they are few), what to do next, and the successes counted
 * per operation and host with their rows folded. Every value from outside is escaped. `causes`:
 * the report's failures grouped, when the caller has them already.
 */
export function renderSummary(report: Report, causes: readonly Cause[] = groupFailures(report.items, report.provider)): string {
  const { mode, totals } = report
  const lines: string[] = []
  if (report.dryRun) {
    const planned = totals.items === 0 ? 'nothing planned' : `${count(totals.items, 'URL')} planned, nothing sent`
    lines.push(`## 🔎 CDN ${mode} dry run: ${planned}`, '')
  } else if (totals.items === 0) {
    lines.push(`## ✅ CDN ${mode}: nothing to send`, '')
  } else {
    const verdict = report.passed ? '✅' : '❌'
    const word = report.passed ? 'passed' : 'failed'
    lines.push(`## ${verdict} CDN ${mode} ${word}: ${report.successRate}% succeeded (minimum ${report.minSuccessRate}%)`, '')
  }
  const facts = [escapeText(report.provider)]
  if (report.dryRun) facts.push('a plan, so no success rate')
  else if (totals.items > 0) {
    facts.unshift(`${totals.succeeded} of ${count(totals.items, 'URL')} succeeded, ${totals.failed} failed`)
    if (providers.find((p) => p.name === report.provider)?.limits.acceptedIsFinal === true) {
      // no task to count: the provider answers with no job handle
      facts.push(`${escapeText(report.provider)} has no status API: an accepted purge is final, so nothing was polled`)
    } else {
      facts.push(count(report.taskIds.length, 'task'))
      if (!report.waited) facts.push('not waited for (`wait: false`): accepted counts as succeeded')
    }
  }
  lines.push(facts.join(' · '), '')
  if (report.items.length === 0) {
    lines.push('No URL was mapped from the changed files, so nothing was sent.')
    return lines.join('\n') + '\n'
  }

  if (causes.length > 0) {
    lines.push(`### Failed: ${count(totals.failed, 'URL')}, ${count(causes.length, 'cause')}`, '', failureList(causes, totals.failed), '')
    lines.push('### What to do next', '')
    for (const step of nextSteps(causes)) lines.push(`- ${step}`)
    lines.push(
      '- The report file (the `report` output, in `RUNNER_TEMP`) has every item with its full task id and message: upload it as an artifact to keep it.',
      ''
    )
  }

  if (report.edge) lines.push(...edgeSection(report.edge, report.items), '')

  const done = report.items.filter(isSuccess)
  if (report.dryRun) lines.push(`### Planned: ${count(done.length, 'URL')}`, '')
  else lines.push(`### Succeeded: ${count(done.length, 'URL')}`, '')
  lines.push(countTable(report.items, report.dryRun), '')
  if (done.length > 0) {
    const what = report.dryRun ? 'planned' : 'succeeded'
    lines.push(`<details><summary>The ${count(done.length, `${what} URL`)}</summary>`, '', itemTable(done, report.dryRun), '', '</details>', '')
  }
  if (report.collapsedDirs.length > 0) {
    lines.push(`Purged ${count(report.collapsedDirs.length, 'directory', 'directories')} instead of the files in them (\`dir-threshold\`):`, '')
    for (const c of report.collapsedDirs) lines.push(`- ${escapeText(c.dir)} (${count(c.files, 'file')})`)
    lines.push('')
  }
  return lines.join('\n')
}
