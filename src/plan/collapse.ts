import type { Plan } from '../model.js'

/** A directory purged in place of the files under it. */
export interface CollapsedDir {
  /** The directory URL (ends with `/`). */
  dir: string
  /** How many of the plan's URLs sat directly in it. */
  files: number
}

/** The URL of the directory holding `url` (up to its last `/`), or null for a directory or root URL. */
function parentOf(url: string): string | null {
  if (url.endsWith('/') || url.includes('?') || url.includes('#')) return null
  const cut = url.lastIndexOf('/')
  const dir = url.slice(0, cut + 1)
  // never the bare origin: `https://host/` would purge the whole site
  return new URL(dir).pathname === '/' ? null : dir
}

/**
 * `dir-threshold`: where `threshold` or more purge URLs sit directly in one directory,
 * purge that directory instead; URLs and directories below a collapsed one are dropped,
 * since its purge covers them. The origin root is never collapsed. Prefetch lists are
 * untouched (directories cannot be prefetched).
 */
export function collapseDirectories(plan: Plan, threshold: number): { plan: Plan; collapsed: CollapsedDir[] } {
  const counts = new Map<string, number>()
  for (const url of plan.purgeUrls) {
    const dir = parentOf(url)
    if (dir !== null) counts.set(dir, (counts.get(dir) ?? 0) + 1)
  }
  const chosen = [...counts].filter(([, n]) => n >= threshold).map(([dir, files]) => ({ dir, files }))
  if (chosen.length === 0) return { plan, collapsed: [] }
  // A chosen directory below another chosen one is covered by it.
  const sorted = chosen.sort((a, b) => a.dir.length - b.dir.length)
  const collapsed: CollapsedDir[] = []
  for (const c of sorted) if (!collapsed.some((top) => c.dir.startsWith(top.dir))) collapsed.push(c)
  const covered = (url: string) => collapsed.some((c) => url.startsWith(c.dir))
  const dirs = [...new Set([...plan.purgeDirs.filter((d) => !covered(d)), ...collapsed.map((c) => c.dir)])]
  return {
    plan: { purgeUrls: plan.purgeUrls.filter((u) => !covered(u)), purgeDirs: dirs, prefetchUrls: plan.prefetchUrls },
    collapsed
  }
}

/**
 * When today's URL purge quota is short (`remaining` URLs left): the plan collapsed at the
 * highest threshold below `threshold` (down to 2) whose URL purges fit, or null when none does.
 * `plan` is the plan before any collapse.
 */
export function collapseToFit(plan: Plan, threshold: number, remaining: number): { plan: Plan; collapsed: CollapsedDir[]; threshold: number } | null {
  for (let t = threshold - 1; t >= 2; t--) {
    const fit = collapseDirectories(plan, t)
    if (fit.plan.purgeUrls.length <= remaining) return { ...fit, threshold: t }
  }
  return null
}
