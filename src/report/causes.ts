/**
 * Failed items grouped by cause, for the job summary, the annotations and the failure message.
 *
 * A cause is the operation, the state and the item's message with what is particular to its
 * batch or its URL taken out: the batch's own words at the start of a submit error
 * (`ztgame purge of 100 urls on www.example.com`), the item's URL and host, progress
 * percentages and counts of attempts or bytes. Messages equal after that are one cause.
 */
import type { ItemResult, ItemState, Operation } from '../model.js'
import { isSuccess } from './verdict.js'

/** What kind of trouble a cause is: it decides the advice on what to do next. */
export type CauseFamily = 'credentials' | 'quota' | 'timeout' | 'cdn' | 'service' | 'refused' | 'stale' | 'unreachable' | 'other'

export interface Cause {
  op: Operation
  state: ItemState
  family: CauseFamily
  /** One line for a human: the message without its batch's words, its operation first. */
  label: string
  /** The failed items of this cause, in report order. */
  items: ItemResult[]
}

/** A submit error's opening words: `<provider> <op> of N urls( and N directories)( on host)`. */
const BATCH_WORDS = /^(\S+ (?:purge|prefetch)) of \d+ [A-Za-z]+(?: and \d+ [A-Za-z]+)?(?: on \S+)?/
/** Numbers that differ from batch to batch or item to item without changing the cause. */
const VARYING = /\b\d+(?:\.\d+)? ?%|\b\d+(?= (?:attempts|tries|bytes|characters)\b)/g
/** A provider's status word alone (ucloud adds ` (task)` when it took the task's status). */
const BARE_STATUS = /^(?:failure|failed|fail|error)(?: \(task\))?$/i

const replaceAll = (text: string, part: string, by: string): string => (part === '' ? text : text.split(part).join(by))

/** The message as it groups: batch words, the item's URL and host, and varying numbers taken out. */
export function causeKey(item: ItemResult): string {
  if (item.state === 'failure' && BARE_STATUS.test(item.message)) return `${item.op} failure status`
  let text = item.message.replace(BATCH_WORDS, '$1')
  text = replaceAll(text, item.url, '{url}')
  text = replaceAll(text, item.host, '{host}')
  return `${item.op} ${item.state} ${text.replace(VARYING, 'N')}`
}

/** The cause's line, from its first item; `{host}` where its items' hosts differ. */
function labelOf(items: readonly ItemResult[], provider: string): string {
  const first = items[0]
  const { op, state } = first
  let text = first.message.replace(BATCH_WORDS, '$1')
  text = replaceAll(text, first.url, 'the URL')
  if (items.some((i) => i.host !== first.host)) text = replaceAll(text, first.host, "(each URL's host)")
  if (text === '') return `${op} ${state}`
  if (state === 'failure') return BARE_STATUS.test(text) ? `${op} failed at the CDN (status ${text})` : `${op} failed at the CDN: ${text}`
  const own = `${provider} ${op}`
  if (text.startsWith(own)) return `${op}${text.slice(own.length)}`
  if (state === 'timeout' && /^not (?:final|sent)\b/.test(text)) return `${op} ${text}`
  return `${op}: ${text}`
}

const CREDENTIALS = /credential|token|password|user ?name|signature|public.key|private.key|access.?key|secret|HTTP 401|\bIAM\b|IP address|project-id/i
const QUOTA = /quota|used up|rate.limit|HTTP 429|too many|exceed/i
const SERVICE = /HTTP 5\d\d|may or may not|ECONN|EAI_AGAIN|ENOTFOUND|socket|network|timed out|answer (?:is|has) no|not JSON|lost/i
const REFUSED = /HTTP 4\d\d|not yours|domain|refused|invalid|not allowed|cannot/i

/** The family a cause belongs to, from its state and its words. */
export function familyOf(state: ItemState, message: string): CauseFamily {
  if (state === 'timeout') return 'timeout'
  // `verify`: the CDN said done; the edge disagreed
  if (state === 'stale' || state === 'unreachable') return state
  if (CREDENTIALS.test(message)) return 'credentials'
  if (QUOTA.test(message)) return 'quota'
  if (state === 'failure') return 'cdn'
  if (SERVICE.test(message)) return 'service'
  if (REFUSED.test(message)) return 'refused'
  return 'other'
}

/**
 * The failed items of a run grouped by cause, the cause with most items first (ties in the
 * order they first failed). `provider` is the provider's name, taken off the labels.
 */
export function groupFailures(items: readonly ItemResult[], provider: string): Cause[] {
  const byKey = new Map<string, ItemResult[]>()
  for (const item of items) {
    if (isSuccess(item)) continue
    const key = causeKey(item)
    const group = byKey.get(key)
    if (group) group.push(item)
    else byKey.set(key, [item])
  }
  const causes = [...byKey.values()].map((group) => ({
    op: group[0].op,
    state: group[0].state,
    family: familyOf(group[0].state, group[0].message),
    label: labelOf(group, provider),
    items: group
  }))
  // stable: equal counts keep their first-failed order
  return causes.sort((a, b) => b.items.length - a.items.length)
}

/** What to do about each family, in Markdown (our own words: inputs in code spans). */
const ADVICE: Record<CauseFamily, string> = {
  credentials:
    '**Credentials or account:** the provider refused the credentials or the account setup; check the inputs the message names and the secrets they come from.',
  quota:
    '**Quota or rate limit:** wait until the provider resets it, or send fewer URLs a run (narrower `rules`, or `dir-threshold` to purge directories instead of their files).',
  timeout: '**Timeout:** the CDN had not finished when `timeout` ran out; raise `timeout` (a CDN may take minutes), or run the job again.',
  cdn: '**Failed at the CDN:** the provider took these URLs but could not complete them; run the job again, and for a prefetch check that the origin serves the URL.',
  service: "**Provider API errors:** the provider's API failed or answered unreadably; run the job again (purge and prefetch are safe to repeat).",
  refused:
    '**Refused:** the provider refused these URLs; check that their hosts are domains of this CDN account and that `rules` and `urls` make the URLs you expect.',
  stale:
    '**Stale at the edge:** the CDN reported these done, but the edge this runner reaches still serves other bytes than the workspace file; run the job again, and if it stays stale check that the origin serves the new files as committed (`verify` suits origins that do not transform files).',
  unreachable:
    '**Unreachable at the edge:** the CDN reported these done, but fetching them through the CDN gave HTTP 3xx, 4xx, 5xx or no answer; check that `rules` and `urls` make the public URLs the CDN serves.',
  other: '**Other errors:** read the messages above.'
}

/** One line of advice per family present, in the order the causes come. */
export function nextSteps(causes: readonly Cause[]): string[] {
  return [...new Set(causes.map((c) => c.family))].map((family) => ADVICE[family])
}
