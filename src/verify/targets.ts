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
  /** Every changed file mapped to this URL, when there are several: the edge serves one, so none is compared. */
  sharedBy?: readonly string[]
}

/** URL → the file it was mapped from, or the distinct files when several changed files map to it. */
export type FileOf = ReadonlyMap<string, string | readonly string[]>

export interface EdgeTargets {
  targets: EdgeTarget[]
  /** Items done at the CDN with nothing to fetch: URLs of deleted files only, directories of the `urls` input. */
  notChecked: number
  /** Items of the checked operation that did not succeed at the CDN: they keep their state. */
  notDone: number
}

/**
 * URL → the file it was mapped from, for every changed file that exists at the pushed commit
 * (not deleted), through the same rules as the plan. A URL mapped from two files maps to both
 * (in change order). An index file's directory URL maps to the index file.
 */
export function urlsOfFiles(files: readonly ChangedFile[], rules: readonly CompiledRule[]): Map<string, string | string[]> {
  const byUrl = new Map<string, string | string[]>()
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
    // a file's URLs come together, so a file already listed for a URL is its last one
    for (const url of urls) {
      const seen = byUrl.get(url)
      if (seen === undefined) byUrl.set(url, path)
      else if (typeof seen !== 'string') {
        if (seen[seen.length - 1] !== path) seen.push(path)
      } else if (seen !== path) byUrl.set(url, [seen, path])
    }
  }
  return byUrl
}

/** A target for `url`, compared with its file (or its files' first, marked shared), or null for 2xx only. */
function target(url: string, file: string | readonly string[] | undefined, item: number): EdgeTarget {
  if (file === undefined) return { url, file: null, item }
  if (typeof file === 'string') return { url, file, item }
  return { url, file: file[0], item, sharedBy: file }
}

/** The operation `verify` checks: the purge when there is one, else the prefetch. */
export const checkedOperation = (mode: Mode): Operation => (mode === 'prefetch' ? 'prefetch' : 'purge')

/**
 * What to fetch after the CDN work. Only items of the checked operation that succeeded are
 * checked. A URL item is compared with its file, or (a `urls` input URL) checked for 2xx; a
 * URL of a deleted file is not fetched. A directory item (the `urls` input, `dir-threshold`)
 * stands for the mapped and `urls` input URLs under it that have no item of their own.
 */
export function edgeTargets(items: readonly ItemResult[], fileOf: FileOf, inputUrls: readonly string[], mode: Mode): EdgeTargets {
  const op = checkedOperation(mode)
  const fromInput = new Set(inputUrls)
  const targets: EdgeTarget[] = []
  const withItem = new Set<string>()
  const dirs: number[] = []
  let notDone = 0
  let done = 0
  for (const [index, item] of items.entries()) {
    if (item.op !== op) continue
    if (item.kind === 'url') withItem.add(item.url)
    if (item.state !== 'success') {
      notDone++
      continue
    }
    done++
    if (item.kind === 'dir') dirs.push(index)
    else if (fileOf.has(item.url)) targets.push(target(item.url, fileOf.get(item.url), index))
    else if (fromInput.has(item.url)) targets.push({ url: item.url, file: null, item: index })
  }
  const checkedItems = new Set(targets.map((t) => t.item))
  if (dirs.length > 0) {
    const under = new Set([...fileOf.keys(), ...fromInput])
    for (const url of under) {
      if (withItem.has(url)) continue
      const dir = dirs.find((d) => url.startsWith(items[d].url))
      if (dir === undefined) continue
      targets.push(target(url, fileOf.get(url), dir))
      checkedItems.add(dir)
    }
  }
  return { targets, notChecked: done - checkedItems.size, notDone }
}
