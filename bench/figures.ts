/** Figures, targets and the printed table: what every section of the bench hands back. */

export type Verdict = 'PASS' | 'MISS' | 'info' | 'unavailable'

/** One line of the table. */
export interface Figure {
  section: string
  name: string
  /** As printed, with its unit. */
  measured: string
  /** As printed ('' when the figure has no target). */
  target: string
  verdict: Verdict
  /** The number behind `measured`, for results.json. */
  value?: number | null
  note?: string
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${value >= 100 ? Math.round(value) : value.toFixed(1)} ms` : 'n/a')
export const seconds = (valueMs: number): string => (Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(2)} s` : 'n/a')
export const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`
export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a')

/** PASS when `ok`, else MISS. */
export const check = (ok: boolean): Verdict => (ok ? 'PASS' : 'MISS')

/** The table, one line per figure, grouped by section. */
export function renderTable(figures: readonly Figure[]): string {
  const header = ['figure', 'measured', 'target', 'verdict']
  const rows = figures.map((f) => [f.name, f.measured, f.target, f.verdict])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  const out: string[] = []
  let section = ''
  for (const [i, f] of figures.entries()) {
    if (f.section !== section) {
      section = f.section
      out.push('', `== ${section} ==`, line(header), widths.map((w) => '-'.repeat(w)).join('  '))
    }
    out.push(line(rows[i]))
    if (f.note) out.push(`    ${f.note}`)
  }
  return out.join('\n')
}
