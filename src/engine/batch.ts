import { InputError } from '../errors.js'
import type { Operation, Plan } from '../model.js'
import type { Batch, BatchItem, ProviderLimits } from '../providers/provider.js'
import { shown } from '../external.js'
import { hostOf } from './host.js'

/** The items of one operation, in plan order: directories after URLs. */
export function itemsFor(plan: Plan, op: Operation): BatchItem[] {
  if (op === 'prefetch') return plan.prefetchUrls.map((url) => ({ kind: 'url', url }))
  return [...plan.purgeUrls.map((url): BatchItem => ({ kind: 'url', url })), ...plan.purgeDirs.map((url): BatchItem => ({ kind: 'dir', url }))]
}

/**
 * Throws before anything is sent when the plan asks for something the provider cannot do:
 * directories it cannot purge, or an item of `ops` it refuses (`refuse`: why, or null).
 * `inputOf` names the input an item came from.
 */
export function checkPlanFits(
  plan: Plan,
  limits: ProviderLimits,
  provider: string,
  ops: readonly Operation[] = ['purge', 'prefetch'],
  refuse?: (item: BatchItem, op: Operation) => string | null,
  inputOf: (url: string) => string = () => 'urls'
): void {
  if (plan.purgeDirs.length > 0 && !limits.directories) {
    throw new InputError('urls', `${provider} cannot purge directories (${plan.purgeDirs[0]}); list the files instead`)
  }
  if (!refuse) return
  for (const op of ops) {
    for (const item of itemsFor(plan, op)) {
      const why = refuse(item, op)
      if (why !== null) throw new InputError(inputOf(item.url), `${provider} cannot take ${shown(item.url)}: ${why}`)
    }
  }
}

/**
 * Splits one operation's items into the fewest calls the limits allow: grouped by host
 * (when one host per call is required) and by kind (when kinds cannot mix), then cut
 * into chunks of `itemsPerCall` (directories: of `dirsPerCall` where lower; with `hostsPerCall`, of
 * at most that many hosts, items kept together by host). Groups keep first-seen order. With `itemsPerHostPerCall`,
 * a group whose plain chunks would hold more of one host than that is dealt instead.
 */
export function batchForProvider(op: Operation, items: BatchItem[], limits: ProviderLimits): Batch[] {
  const groups = new Map<string, { host: string; items: BatchItem[] }>()
  for (const item of items) {
    const host = limits.oneHostPerCall ? hostOf(item.url) : ''
    const key = limits.mixedKindsPerCall ? host : `${host} ${item.kind}`
    let group = groups.get(key)
    if (!group) {
      group = { host, items: [] }
      groups.set(key, group)
    }
    group.items.push(item)
  }
  const perHost = limits.itemsPerHostPerCall?.[op]
  const batches: Batch[] = []
  for (const group of groups.values()) {
    const dirsOnly = !limits.mixedKindsPerCall && group.items[0].kind === 'dir'
    const size = dirsOnly ? Math.min(limits.itemsPerCall[op], limits.dirsPerCall ?? Infinity) : limits.itemsPerCall[op]
    const chunks: BatchItem[][] = []
    const maxHosts = limits.oneHostPerCall ? undefined : limits.hostsPerCall
    if (maxHosts === undefined) {
      for (let i = 0; i < group.items.length; i += size) chunks.push(group.items.slice(i, i + size))
    } else {
      chunkByHosts(group.items, size, maxHosts, chunks)
    }
    const dealt = perHost !== undefined && perHost < size && chunks.some((chunk) => mostOfOneHost(chunk) > perHost) ? deal(group.items, size, perHost) : chunks
    for (const chunk of dealt) batches.push({ op, host: group.host, items: chunk })
  }
  return batches
}

/**
 * Cuts `items`, kept together by host (first-seen order), into chunks of at most `size` items
 * and `maxHosts` distinct hosts each.
 */
function chunkByHosts(items: BatchItem[], size: number, maxHosts: number, out: BatchItem[][]): void {
  let chunk: BatchItem[] = []
  let hosts = 0
  for (const list of byHost(items)) {
    if (chunk.length > 0 && hosts >= maxHosts) {
      out.push(chunk)
      chunk = []
      hosts = 0
    }
    hosts++
    for (const item of list) {
      if (chunk.length >= size) {
        out.push(chunk)
        chunk = []
        hosts = 1
      }
      chunk.push(item)
    }
  }
  if (chunk.length > 0) out.push(chunk)
}

/** `items` split by host, hosts in first-seen order. */
function byHost(items: BatchItem[]): BatchItem[][] {
  const lists = new Map<string, BatchItem[]>()
  for (const item of items) {
    const host = hostOf(item.url)
    const list = lists.get(host)
    if (list) list.push(item)
    else lists.set(host, [item])
  }
  return [...lists.values()]
}

/** How many items of `items` share the most common host. */
function mostOfOneHost(items: BatchItem[]): number {
  return Math.max(0, ...byHost(items).map((list) => list.length))
}

/**
 * Calls of at most `size` items and at most `perHost` of one host, as few as the limits
 * allow: k = max(⌈n / size⌉, ⌈n_h / perHost⌉ for every host h). Hosts, largest first, fill
 * the calls in order as far as both limits let them, so a host's first call takes
 * `perHost` of it: where `perHost` is a daily quota, the calls sent first use it all and
 * only the last are refused. Should that take more than k calls, items sorted by host are
 * dealt round-robin to k calls instead (each then holds ≤ ⌈n / k⌉ ≤ size items and
 * ≤ ⌈n_h / k⌉ ≤ perHost of host h).
 */
function deal(items: BatchItem[], size: number, perHost: number): BatchItem[][] {
  const lists = byHost(items).sort((a, b) => b.length - a.length)
  const k = Math.max(Math.ceil(items.length / size), ...lists.map((list) => Math.ceil(list.length / perHost)))
  const filled: BatchItem[][] = []
  for (const list of lists) {
    let next = 0
    for (let c = 0; next < list.length; c++) {
      if (c === filled.length) filled.push([])
      const take = Math.min(perHost, size - filled[c].length, list.length - next)
      filled[c].push(...list.slice(next, next + take))
      next += take
    }
  }
  if (filled.length <= k) return filled
  const dealt: BatchItem[][] = Array.from({ length: k }, () => [])
  let i = 0
  for (const list of lists) for (const item of list) dealt[i++ % k].push(item)
  return dealt
}

/**
 * The limits with a user's per-call batch size (the `batch-size` input); null keeps the
 * provider's. It lowers a limit, or raises it as far as `maxItemsPerCall` allows.
 */
export function withBatchSize(limits: ProviderLimits, batchSize: number | null): ProviderLimits {
  if (batchSize === null) return limits
  const size = (op: Operation): number => Math.min(Math.max(limits.itemsPerCall[op], limits.maxItemsPerCall?.[op] ?? 0), batchSize)
  return { ...limits, itemsPerCall: { purge: size('purge'), prefetch: size('prefetch') } }
}
