/**
 * Directory collapse (`dir-threshold`) on the end-to-end push: submit calls and per-item
 * quota with and without it, per provider, from the same plan and batcher the action uses.
 */
import { batchForProvider, itemsFor } from '../src/engine/batch.js'
import type { ChangedFile } from '../src/model.js'
import { collapseDirectories } from '../src/plan/collapse.js'
import { buildPlan } from '../src/plan/plan.js'
import { parseRules } from '../src/plan/rules.js'
import { providerByName } from '../src/providers/index.js'
import type { Figure } from './figures.js'
import { E2E_RULES, e2eFiles } from './workload.js'

export const COLLAPSE_THRESHOLDS = [5, 10, 20]

export function collapse(providers: readonly string[]): { figures: Figure[]; details: object } {
  const files: ChangedFile[] = e2eFiles().map((path) => ({ path, status: 'modified' }))
  const { plan } = buildPlan(files, parseRules(E2E_RULES), 'purge')
  const figures: Figure[] = []
  const details: Record<string, object> = {}
  for (const name of providers) {
    const { limits } = providerByName(name)
    const section = `Directory collapse: ${name} (the end-to-end push, ${files.length} files, mode purge)`
    const baseCalls = batchForProvider('purge', itemsFor(plan, 'purge'), limits).length
    figures.push({
      section,
      name: 'without dir-threshold',
      measured: `${baseCalls} calls, ${plan.purgeUrls.length} URLs`,
      target: '',
      verdict: 'info',
      value: baseCalls
    })
    for (const threshold of COLLAPSE_THRESHOLDS) {
      const c = collapseDirectories(plan, threshold)
      const calls = batchForProvider('purge', itemsFor(c.plan, 'purge'), limits).length
      const urls = c.plan.purgeUrls.length
      const dirs = c.plan.purgeDirs.length
      figures.push({
        section,
        name: `dir-threshold ${threshold}`,
        measured: `${calls} calls, ${urls} URLs + ${dirs} dirs`,
        target: '',
        verdict: 'info',
        value: calls,
        note: `saves ${baseCalls - calls} calls and ${plan.purgeUrls.length - urls} URL-quota items for ${dirs} directory-quota items; ${c.collapsed.length} directories collapsed`
      })
      details[`${name}/${threshold}`] = { calls, urls, dirs, collapsed: c.collapsed.length }
    }
  }
  return { figures, details }
}
