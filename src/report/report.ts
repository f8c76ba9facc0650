import { mkdir, open } from 'node:fs/promises'
import path from 'node:path'
import { MESSAGE_CHARS, shown } from '../external.js'
import type { ItemResult, Mode } from '../model.js'
import { redact } from '../redact.js'
import type { CollapsedDir } from '../plan/collapse.js'
import type { EdgeSummary } from '../verify/outcome.js'
import type { Verdict } from './verdict.js'

/** The JSON written to the `report` output's path (schema version 1). */
export interface Report {
  schemaVersion: 1
  provider: string
  mode: Mode
  dryRun: boolean
  waited: boolean
  /** null in a dry run: nothing was sent, so there is no rate. */
  successRate: number | null
  minSuccessRate: number
  passed: boolean
  /** `items`: items sent, or planned in a dry run (then none succeeded nor failed). */
  totals: { items: number; succeeded: number; failed: number }
  taskIds: string[]
  /** Directories purged in place of the files in them (`dir-threshold`). */
  collapsedDirs: CollapsedDir[]
  items: ItemResult[]
  /** What `verify` checked at the edge; absent when it was off (or nothing was sent). */
  edge?: EdgeSummary
}

/** `fn` remembering its answers: many items share a message or a task id. */
function memo(fn: (text: string) => string): (text: string) => string {
  const seen = new Map<string, string>()
  return (text) => {
    let out = seen.get(text)
    if (out === undefined) seen.set(text, (out = fn(text)))
    return out
  }
}

/**
 * Items as the report shows them: what came from outside (the message, the task id) redacted,
 * and the message bounded. Task ids stay whole (providers refuse absurd ones): a user looks
 * them up with the provider.
 */
function reportItems(items: readonly ItemResult[]): ItemResult[] {
  const message = memo((text) => shown(text, MESSAGE_CHARS))
  const taskId = memo(redact)
  return items.map((item) => {
    const m = message(item.message)
    const t = item.taskId === null ? null : taskId(item.taskId)
    const edge = item.edge && { ...item.edge, detail: message(item.edge.detail) }
    if (edge && edge.detail !== item.edge?.detail) return { ...item, message: m, taskId: t, edge }
    return m === item.message && t === item.taskId ? item : { ...item, message: m, taskId: t }
  })
}

/** The report of a run; every external string in it is redacted and bounded (see reportItems). */
export function buildReport(fields: {
  provider: string
  mode: Mode
  dryRun: boolean
  waited: boolean
  verdict: Verdict
  taskIds: string[]
  items: ItemResult[]
  collapsedDirs?: CollapsedDir[]
  edge?: EdgeSummary
}): Report {
  const { verdict } = fields
  return {
    schemaVersion: 1,
    provider: fields.provider,
    mode: fields.mode,
    dryRun: fields.dryRun,
    waited: fields.waited,
    successRate: verdict.rate,
    minSuccessRate: verdict.threshold,
    passed: verdict.passed,
    totals: { items: verdict.total, succeeded: verdict.succeeded, failed: verdict.failed },
    taskIds: fields.taskIds.map(redact),
    collapsedDirs: fields.collapsedDirs ?? [],
    items: reportItems(fields.items),
    ...(fields.edge ? { edge: fields.edge } : {})
  }
}

/** Items serialised per write: large reports are streamed, not built as one string. */
const ITEMS_PER_WRITE = 1000

/**
 * Writes the report into `dir` under a name unique to this run; returns its path. The
 * summary fields are indented; each item is one compact line.
 */
export async function writeReport(report: Report, dir: string, runId: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, `cdn-purge-report-${runId}-${process.pid}-${Date.now()}.json`)
  const { items, ...head } = report
  const handle = await open(file, 'w')
  try {
    // `{ ...head,` without its closing brace, then the items array
    const headText = JSON.stringify(head, null, 2)
    await handle.write(`${headText.slice(0, -2)},\n  "items": [`)
    for (let i = 0; i < items.length; i += ITEMS_PER_WRITE) {
      const chunk = items.slice(i, i + ITEMS_PER_WRITE).map((item) => `\n    ${JSON.stringify(item)}`)
      await handle.write((i === 0 ? '' : ',') + chunk.join(','))
    }
    await handle.write(items.length > 0 ? '\n  ]\n}\n' : ']\n}\n')
  } finally {
    await handle.close()
  }
  return file
}
