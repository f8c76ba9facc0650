import { escapeControls, shown } from '../external.js'
import type { ItemResult } from '../model.js'
import type { Report } from './report.js'

/** Rows shown in one table before the rest is only counted. */
export const MAX_ROWS = 500

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

function itemTable(items: readonly ItemResult[]): string {
  const rows = items
    .slice(0, MAX_ROWS)
    .map(
      (i) =>
        `<tr><td>${escapeText(i.url)}</td><td>${i.kind}</td><td>${i.state}</td><td>${escapeText(shown(i.taskId ?? ''))}</td><td>${i.seconds === null ? '' : `${i.seconds} s`}</td><td>${escapeText(i.message)}</td></tr>`
    )
  const more = items.length > MAX_ROWS ? `\n<p>…and ${items.length - MAX_ROWS} more (see the report file).</p>` : ''
  return `<table><tr><th>URL</th><th>kind</th><th>status</th><th>task</th><th>time</th><th>detail</th></tr>\n${rows.join('\n')}\n</table>${more}`
}

/** The job summary as Markdown with HTML tables; item lists fold into <details>. */
export function renderSummary(report: Report): string {
  const lines: string[] = []
  const verdict = report.dryRun ? '🔎 Dry run: nothing was sent' : report.passed ? '✅ Passed' : '❌ Failed'
  lines.push(`## CDN ${report.mode} (${report.provider})`, '')
  lines.push(`**${verdict}** — success rate ${report.successRate}% (minimum ${report.minSuccessRate}%)`, '')
  lines.push('| items | succeeded | failed | tasks |', '|---:|---:|---:|---:|')
  lines.push(`| ${report.totals.items} | ${report.totals.succeeded} | ${report.totals.failed} | ${report.taskIds.length} |`, '')
  if (report.items.length === 0) {
    lines.push('No URL was mapped from the changed files, so nothing was sent.')
    return lines.join('\n') + '\n'
  }
  if (report.collapsedDirs.length > 0) {
    lines.push(`Purged ${report.collapsedDirs.length} directories instead of the files in them (dir-threshold):`, '')
    for (const c of report.collapsedDirs) lines.push(`- ${escapeText(c.dir)} (${c.files} files)`)
    lines.push('')
  }
  for (const op of ['purge', 'prefetch'] as const) {
    const items = report.items.filter((i) => i.op === op)
    if (items.length === 0) continue
    const failed = items.filter((i) => !['success', 'submitted', 'planned'].includes(i.state)).length
    lines.push(
      `<details${failed > 0 ? ' open' : ''}><summary>${op}: ${items.length} items, ${failed} failed</summary>`,
      '',
      itemTable(items),
      '',
      '</details>',
      ''
    )
  }
  return lines.join('\n')
}
