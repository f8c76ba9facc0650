import { InputError } from '../errors.js'
import type { Operation, Plan } from '../model.js'
import type { Batch, BatchItem, ProviderLimits } from '../providers/provider.js'
import { hostOf } from './host.js'

/** The items of one operation, in plan order: directories after URLs. */
export function itemsFor(plan: Plan, op: Operation): BatchItem[] {
  if (op === 'prefetch') return plan.prefetchUrls.map((url) => ({ kind: 'url', url }))
  return [...plan.purgeUrls.map((url): BatchItem => ({ kind: 'url', url })), ...plan.purgeDirs.map((url): BatchItem => ({ kind: 'dir', url }))]
}

/** Throws before anything is sent when the plan asks for something the provider cannot do. */
export function checkPlanFits(plan: Plan, limits: ProviderLimits, provider: string): void {
  if (plan.purgeDirs.length > 0 && !limits.directories) {
    throw new InputError('urls', `${provider} cannot purge directories (${plan.purgeDirs[0]}); list the files instead`)
  }
}

/**
 * Splits one operation's items into the fewest calls the limits allow: grouped by host
 * (when one host per call is required) and by kind (when kinds cannot mix), then cut
 * into chunks of `itemsPerCall`. Groups keep first-seen order.
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
  const size = limits.itemsPerCall[op]
  const batches: Batch[] = []
  for (const group of groups.values()) {
    for (let i = 0; i < group.items.length; i += size) {
      batches.push({ op, host: group.host, items: group.items.slice(i, i + size) })
    }
  }
  return batches
}
