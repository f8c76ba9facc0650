/** The failure annotations and the failure message of a run: one per cause, never one per item. */
import { shown } from '../external.js'
import type { Mode } from '../model.js'
import { count } from '../text.js'
import type { Cause } from './causes.js'
import type { Verdict } from './verdict.js'

/** Causes that get an annotation of their own (GitHub shows 10 error annotations a step). */
export const ANNOTATED_CAUSES = 5
/** URLs an annotation names before it counts the rest. */
export const ANNOTATED_URLS = 3
/** Causes the failure message names before it counts the rest. */
export const MESSAGE_CAUSES = 3
/** Characters of a cause's line in an annotation or the failure message. */
const LABEL_CHARS = 300

export interface Annotation {
  title: string
  message: string
}

/** `https://a/x, https://a/y and 8 more`. */
function firstUrls(cause: Cause, n: number): string {
  const urls = cause.items.slice(0, n).map((i) => shown(i.url))
  const rest = cause.items.length - urls.length
  return rest > 0 ? `${urls.join(', ')} and ${rest} more` : urls.join(', ')
}

/** A cause `verify` found: the CDN said done, the edge disagreed. */
const edgeFailure = (cause: Cause): boolean => cause.state === 'stale' || cause.state === 'unreachable'

/** One error annotation per cause (the largest first), then one counting the causes left out. */
export function failureAnnotations(causes: readonly Cause[], mode: Mode, reportPath: string): Annotation[] {
  const out = causes.slice(0, ANNOTATED_CAUSES).map((cause) => ({
    title: edgeFailure(cause)
      ? `CDN ${cause.op} ${cause.state} at the edge for ${count(cause.items.length, 'URL')}`
      : `CDN ${cause.op} failed for ${count(cause.items.length, 'URL')}`,
    message: `${shown(cause.label, LABEL_CHARS)} — ${count(cause.items.length, 'URL')}: ${firstUrls(cause, ANNOTATED_URLS)}`
  }))
  const left = causes.slice(ANNOTATED_CAUSES)
  if (left.length > 0) {
    const urls = left.reduce((n, c) => n + c.items.length, 0)
    out.push({
      title: `CDN ${mode}: ${count(left.length, 'more cause')}`,
      message: `${count(left.length, 'more cause')} of failure (${count(urls, 'URL')}); see the job summary, or the report (${reportPath})`
    })
  }
  return out
}

/** The step's failure message: verdict, rate, counts and the largest causes, in a few hundred characters. */
export function failureMessage(verdict: Verdict, causes: readonly Cause[]): string {
  const named = causes.slice(0, MESSAGE_CAUSES).map((cause) => {
    const n = cause.items.length
    const urls = n === 1 ? `1 URL: ${shown(cause.items[0].url)}` : `${count(n, 'URL')}, first ${shown(cause.items[0].url)}`
    return `${shown(cause.label, LABEL_CHARS)} — ${urls}`
  })
  const rest = causes.length > MESSAGE_CAUSES ? `; and ${count(causes.length - MESSAGE_CAUSES, 'more cause')} (see the job summary)` : ''
  const failed = `${verdict.failed} of ${count(verdict.total, 'item')} failed`
  return `Success rate ${verdict.rate}% is below min-success-rate ${verdict.threshold}%: ${failed}. ${causes.length === 1 ? 'Cause' : 'Causes'}: ${named.join('; ')}${rest}`
}
