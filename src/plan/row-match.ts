/**
 * Matching a path against minimatch's compiled rows (`Minimatch.set`) in place, without splitting
 * it: `Minimatch.match` splits the path again for every pattern, which was most of the cost of
 * matching 100,000 paths. Only for plain paths (see `isPlainPath`); minimatch stays the
 * definition, and __tests__/plan/row-match.property.test.ts holds the two together.
 */
import { GLOBSTAR, type Minimatch, type ParseReturnFiltered } from 'minimatch'

/** One compiled portion: a literal, `**`, or minimatch's matcher for one portion. */
type Part = ParseReturnFiltered

/** A row split at its first and last `**`, as minimatch's globstar matching splits it. */
export interface Row {
  /** The parts before the first `**`; all of them when there is none. */
  readonly head: readonly Part[]
  /**
   * With a `**`, and a head of literals only: the head with a `/` after each part (`public/`, or
   * '' for none), which a match must start with.
   */
  readonly literalHead: string | null
  /** The parts between the first and the last `**`; null when there are none. */
  readonly body: readonly Part[] | null
  /** The parts after the last `**`; null when the row has no `**`. */
  readonly tail: readonly Part[] | null
}

/**
 * A row with k `**` can need (portions)^k tries, so the rare rows with more than two are left to
 * minimatch, which bounds that work.
 */
const MAX_GLOBSTARS = 2

/** `matcher`'s rows, ready for `rowsMatch`; null when a row has more `**` than it handles. */
export function compileRows(matcher: Minimatch): Row[] | null {
  const rows: Row[] = []
  for (const row of matcher.set) {
    const first = row.indexOf(GLOBSTAR)
    const last = row.lastIndexOf(GLOBSTAR)
    if (row.filter((part) => part === GLOBSTAR).length > MAX_GLOBSTARS) return null
    if (first < 0) {
      rows.push({ head: row, literalHead: null, body: null, tail: null })
    } else {
      const head = row.slice(0, first)
      const body = row.slice(first + 1, last)
      const literalHead = head.every((part) => typeof part === 'string') ? head.map((part) => `${part as string}/`).join('') : null
      rows.push({ head, literalHead, body: body.length > 0 ? body : null, tail: row.slice(last + 1) })
    }
  }
  return rows
}

/** An empty, `.` or `..` portion: at the start or after a `/`, up to two dots, then `/` or the end. */
const ODD_PORTION = /(?:^|\/)\.{0,2}(?:\/|$)/

/**
 * Whether `rowsMatch` decides `path` the way `Minimatch.match` does: when no portion is empty,
 * `.` or `..`, which minimatch treats specially (it folds `//`, and `**` never walks `..`).
 */
export function isPlainPath(path: string): boolean {
  return !ODD_PORTION.test(path)
}

/** Where the portion starting at `start` ends: its `/`, or the end of the path. */
function portionEnd(path: string, start: number): number {
  const slash = path.indexOf('/', start)
  return slash < 0 ? path.length : slash
}

/** Whether the portion `path[start, end)` matches one part (never `**`). */
function partMatches(part: Part, path: string, start: number, end: number): boolean {
  if (typeof part === 'string') return end - start === part.length && path.startsWith(part, start)
  // the portion has no `/`, which is what testUnchecked asks
  return part !== GLOBSTAR && start < end && part.testUnchecked(path.slice(start, end))
}

/**
 * Matches `parts` against the portions from `start` on. Returns where the next portion starts
 * (`path.length + 1` when none is left), or -1.
 */
function matchForward(parts: readonly Part[], path: string, start: number): number {
  for (let i = 0; i < parts.length; i++) {
    if (start > path.length) return -1
    const end = portionEnd(path, start)
    if (!partMatches(parts[i], path, start, end)) return -1
    start = end + 1
  }
  return start
}

/**
 * Matches `parts` against the last portions of the path, none starting before `floor`. Returns
 * where the first of them starts, or -1.
 */
function matchBackward(parts: readonly Part[], path: string, floor: number): number {
  let end = path.length
  for (let i = parts.length - 1; i >= 0; i--) {
    const start = end < floor ? -1 : path.lastIndexOf('/', end - 1) + 1
    if (start < floor || !partMatches(parts[i], path, start, end)) return -1
    end = start - 1
  }
  return end + 1
}

/**
 * Whether `path` (one `isPlainPath` accepts) matches one row, as `Minimatch.match` decides with
 * `dot: true`: the head matches the first portions, the tail the last ones, the body some
 * portions in between, and each `**` any number of portions, dotfiles too, but at least one
 * when it ends the row (`public/**` does not match `public`).
 */
function rowMatches(row: Row, path: string): boolean {
  const { literalHead } = row
  // a literal head that takes every portion leaves none for the `**`, so that is no match either
  const afterHead = literalHead === null ? matchForward(row.head, path, 0) : path.startsWith(literalHead) ? literalHead.length : -1
  if (afterHead < 0) return false
  const { body, tail } = row
  if (tail === null) return afterHead === path.length + 1
  let tailStart = path.length + 1
  if (tail.length > 0) {
    tailStart = matchBackward(tail, path, afterHead)
    if (tailStart < 0) return false
  }
  if (body === null) return tail.length > 0 || afterHead <= path.length
  for (let start = afterHead; start < tailStart; start = portionEnd(path, start) + 1) {
    const afterBody = matchForward(body, path, start)
    if (afterBody >= 0 && afterBody <= tailStart && (tail.length > 0 || afterBody <= path.length)) return true
  }
  return false
}

/** Whether `path` (one `isPlainPath` accepts) matches any of `rows`. */
export function rowsMatch(rows: readonly Row[], path: string): boolean {
  for (let i = 0; i < rows.length; i++) if (rowMatches(rows[i], path)) return true
  return false
}
