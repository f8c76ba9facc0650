/**
 * The run's deadline (`timeout`) as change detection sees it: every git command and API call
 * gets only the time that is left, and one that the deadline cuts ends detection with an error
 * naming `timeout`, so nothing is sent after it.
 */
import { ChangeDetectionError } from '../errors.js'

export interface Deadline {
  /** When the run must end, in `now()` milliseconds. */
  at: number
  /** How messages name it, e.g. "the timeout (5 s)". */
  name: string
  now: () => number
}

/** No bound (tests, and callers that set none). */
export const NO_DEADLINE: Deadline = { at: Infinity, name: 'the deadline', now: () => Date.now() }

/** Milliseconds left before the deadline (≤ 0 once it has passed). */
export function remainingMs(deadline: Deadline): number {
  return deadline.at - deadline.now()
}

/** A git command or API call that the deadline cut off, or that it left no time to start. */
export class DetectionTimeoutError extends ChangeDetectionError {
  constructor(what: string, deadline: Deadline, started: boolean, fix: string) {
    const when = started ? `did not finish before ${deadline.name} ran out` : `was not started: ${deadline.name} had run out`
    super(`${what} ${when}; raise 'timeout'${fix === '' ? '' : ` or ${fix}`}`)
    this.name = 'DetectionTimeoutError'
  }
}
