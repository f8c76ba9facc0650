/** Types shared by every stage of the pipeline. */

/** How a file changed in the push (a rename is a deletion plus an addition). */
export type ChangeStatus = 'added' | 'modified' | 'deleted'

export interface ChangedFile {
  /** Repository-relative path with forward slashes, exactly as git reports it. */
  path: string
  status: ChangeStatus
}

/** Where the list of changed files came from, with the reason shown in the log. */
export interface ChangeSet {
  files: ChangedFile[]
  /** One line for the log: which way was taken and why. */
  source: string
}

export type Mode = 'purge' | 'prefetch' | 'purge-prefetch'
export type Operation = 'purge' | 'prefetch'
/** A plain URL, or a directory (its URL ends with `/`) purged with everything below it. */
export type ItemKind = 'url' | 'dir'

/** What to send, before batching: every list de-duplicated, in first-seen order. */
export interface Plan {
  purgeUrls: string[]
  purgeDirs: string[]
  prefetchUrls: string[]
}

export interface PlanItem {
  op: Operation
  kind: ItemKind
  url: string
}

/** Final (or last seen) state of one submitted item. */
export type ItemState =
  | 'success' // the provider reported it done
  | 'failure' // the provider reported it failed
  | 'submit-failed' // the submit call was rejected or errored
  | 'timeout' // still not final when `timeout` ran out
  | 'submitted' // accepted, not polled (`wait: false`)
  | 'planned' // dry run: nothing sent
  | 'stale' // `verify`: done, but the edge still serves other bytes than the workspace file
  | 'unreachable' // `verify`: done, but the edge answered HTTP ≥ 300 or not at all

/** What `verify` found for one item at the edge. */
export type EdgeResult =
  | 'fresh' // the body's SHA-256 is the workspace file's
  | 'answered' // a URL with no file (the `urls` input) answered 2xx
  | 'stale'
  | 'unreachable'
  | 'skipped' // not checked: too large, or no regular file to compare with

export interface ItemResult extends PlanItem {
  host: string
  taskId: string | null
  state: ItemState
  /** Provider status text or error message; never carries credentials. */
  message: string
  /** Seconds from submission until the item was seen final; null when it never was. */
  seconds: number | null
  /** Times its batch was sent again after a submit whose answer was lost; absent when never. */
  resent?: number
  /** What `verify` found at the edge; absent when it was not checked. */
  edge?: { result: EdgeResult; detail: string }
}
