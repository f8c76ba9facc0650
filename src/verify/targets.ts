/** Which URLs `verify` fetches at the edge, the file each is compared with and the item its result goes to. */
import type { ChangedFile, ItemResult, Mode, Operation } from '../model.js'
import { RuleMatcher, type CompiledRule } from '../plan/rules.js'
import { appendMappedUrls, assertSafePath } from '../plan/urls.js'

export interface EdgeTarget {
  url: string
  /** Repository path of the file the body must equal; null for a URL of the `urls` input (2xx is enough). */
  file: string | null
  /** Index, in the run's items, of the item the result goes to. */
  item: number
}

export interface EdgeTargets {
  targets: EdgeTarget[]
  /** Items done at the CDN with nothing to fetch: URLs of deleted files only, directories of the `urls` input. */
  notChecked: number
  /** Items of the checked operation that did not succeed at the CDN: they keep their state. */
  notDone: number
}

/**
 * URL → the file it was mapped from, for every changed file that exists at the pushed commit
 * (not deleted), through the same rules as the plan. A URL mapped from two files keeps the
 * first (in change order). An index file's directory URL maps to the index file.
 */
export function urlsOfFiles(files: readonly ChangedFile[], rules: readonly CompiledRule[]): Map<string, string> {
  const byUrl = new Map<string, string>()
  if (rules.length === 0) return byUrl
  const matcher = new RuleMatcher(rules)
  const matched: CompiledRule[] = []
  const urls: string[] = []
  for (const { path, status } of files) {
    if (status === 'deleted') continue
    const n = matcher.match(path, matched)
    if (n === 0) continue
    assertSafePath(matched[0], path)
    urls.length = 0
    for (let i = 0; i < n; i++) appendMappedUrls(matched[i], path, urls)
    for (const url of urls) if (!byUrl.has(url)) byUrl.set(url, path)
  }
  return byUrl
}

/** The operation `verify` checks: the purge when there is one, else the prefetch. */
export const checkedOperation = (mode: Mode): Operation => (mode === 'prefetch' ? 'prefetch' : 'purge')

/**
 * What to fetch after the CDN work. Only items of the checked operation that succeeded are
 * checked. A URL item is compared with its file, or (a `urls` input URL) checked for 2xx; a
 * URL of a deleted file is not fetched. A directory item (the `urls` input, `dir-threshold`)
 * stands for the mapped and `urls` input URLs under it that have no item of their own.
 */
export function edgeTargets(items: readonly ItemResult[], fileOf: ReadonlyMap<string, string>, inputUrls: readonly string[], mode: Mode): EdgeTargets {
  const op = checkedOperation(mode)
  const fromInput = new Set(inputUrls)
  const targets: EdgeTarget[] = []
  const withItem = new Set<string>()
  const dirs: number[] = []
  let notDone = 0
  for (const [index, item] of items.entries()) {
    if (item.op !== op) continue
    if (item.kind === 'url') withItem.add(item.url)
    if (item.state !== 'success') {
      notDone++
      continue
    }
    if (item.kind === 'dir') dirs.push(index)
    else if (fileOf.has(item.url)) targets.push({ url: item.url, file: fileOf.get(item.url) ?? null, item: index })
    else if (fromInput.has(item.url)) targets.push({ url: item.url, file: null, item: index })
  }
  const checkedItems = new Set(targets.map((t) => t.item))
  if (dirs.length > 0) {
    const under = new Set([...fileOf.keys(), ...fromInput])
    for (const url of under) {
      if (withItem.has(url)) continue
      const dir = dirs.find((d) => url.startsWith(items[d].url))
      if (dir === undefined) continue
      targets.push({ url, file: fileOf.get(url) ?? null, item: dir })
      checkedItems.add(dir)
    }
  }
  let done = 0
  for (const item of items) if (item.op === op && item.state === 'success') done++
  return { targets, notChecked: done - checkedItems.size, notDone }
}
