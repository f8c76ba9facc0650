import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { ItemResult, Mode } from '../model.js'
import type { CollapsedDir } from '../plan/collapse.js'
import type { Verdict } from './verdict.js'

/** The JSON written to the `report` output's path (schema version 1). */
export interface Report {
  schemaVersion: 1
  provider: string
  mode: Mode
  dryRun: boolean
  waited: boolean
  successRate: number
  minSuccessRate: number
  passed: boolean
  totals: { items: number; succeeded: number; failed: number }
  taskIds: string[]
  /** Directories purged in place of the files in them (`dir-threshold`). */
  collapsedDirs: CollapsedDir[]
  items: ItemResult[]
}

export function buildReport(fields: {
  provider: string
  mode: Mode
  dryRun: boolean
  waited: boolean
  verdict: Verdict
  taskIds: string[]
  items: ItemResult[]
  collapsedDirs?: CollapsedDir[]
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
    taskIds: fields.taskIds,
    collapsedDirs: fields.collapsedDirs ?? [],
    items: fields.items
  }
}

/** Writes the report into `dir` under a name unique to this run; returns its path. */
export async function writeReport(report: Report, dir: string, runId: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, `cdn-purge-report-${runId}-${process.pid}-${Date.now()}.json`)
  await writeFile(file, JSON.stringify(report, null, 2) + '\n', 'utf8')
  return file
}
