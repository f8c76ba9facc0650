/**
 * The GitHub REST API as a source of changed files, for when local git cannot answer.
 * `@actions/github` is imported only inside `makeChangesApi`, so runs that never need the API
 * never load the client.
 */
import type { getOctokit } from '@actions/github'
import { ChangeDetectionError } from '../errors.js'
import type { ChangedFile } from '../model.js'
import { DetectionTimeoutError, NO_DEADLINE, remainingMs, type Deadline } from './deadline.js'

/** A list of changed files from the API, which caps how many it returns. */
export interface ApiFileList {
  files: ChangedFile[]
  /** The list reached the API's cap, so files may be missing: never treat it as complete. */
  mayBeTruncated: boolean
}

export interface ChangesApi {
  /**
   * Files changed from the merge base of `base` and `head` to `head` (GitHub's `base...head`
   * compare; at most 300 files). Throws NoCommonAncestorError when the two share no history.
   */
  compare(base: string, head: string): Promise<ApiFileList>
  /** Files of pull request `n` (at most 3000). */
  pullFiles(n: number): Promise<ApiFileList>
}

/** The compare API found no merge base (GitHub answers 404 "No common ancestor between ..."). */
export class NoCommonAncestorError extends ChangeDetectionError {
  constructor(base: string, head: string) {
    super(`${base} and ${head} share no history`)
    this.name = 'NoCommonAncestorError'
  }
}

/** The compare API lists at most this many files. */
export const COMPARE_FILE_LIMIT = 300
/** The pull request files API lists at most this many files. */
export const PULL_FILES_LIMIT = 3000

/** The part of a file entry in compare and pull request file responses that we read. */
export interface ApiFile {
  filename: string
  status: string
  previous_filename?: string
}

/**
 * Maps one API file entry onto the model. A rename becomes a deletion of the old name plus an
 * addition of the new one; `unchanged` yields nothing; an unknown status counts as modified.
 */
export function mapApiFile(file: ApiFile): ChangedFile[] {
  switch (file.status) {
    case 'added':
    case 'copied':
      return [{ path: file.filename, status: 'added' }]
    case 'removed':
      return [{ path: file.filename, status: 'deleted' }]
    case 'renamed':
      return file.previous_filename
        ? [
            { path: file.previous_filename, status: 'deleted' },
            { path: file.filename, status: 'added' }
          ]
        : [{ path: file.filename, status: 'added' }]
    case 'unchanged':
      return []
    default:
      // 'modified', 'changed' and anything GitHub adds later.
      return [{ path: file.filename, status: 'modified' }]
  }
}

type Octokit = ReturnType<typeof getOctokit>

/**
 * One entry per path. The API can name a path twice (`a` renamed to `b` while `b` was renamed to
 * `c` leaves `b` both added and deleted): the path exists on both sides then, so it is modified.
 */
export function collapseDuplicates(files: ChangedFile[]): ChangedFile[] {
  const byPath = new Map<string, ChangedFile>()
  for (const file of files) {
    const seen = byPath.get(file.path)
    if (!seen) byPath.set(file.path, { ...file })
    else if (seen.status !== file.status) seen.status = 'modified'
  }
  return [...byPath.values()]
}

/** The two calls we make, so tests can hand in a fake client. */
export interface ChangesOctokit {
  compareFiles(basehead: string): Promise<ApiFile[]>
  pullFiles(pullNumber: number): Promise<ApiFile[]>
}

function isNoCommonAncestor(error: unknown): boolean {
  const e = error as { status?: unknown; message?: unknown }
  return e?.status === 404 && typeof e.message === 'string' && /no common ancestor/i.test(e.message)
}

/** ChangesApi over any client that can make the two calls. */
export function changesApiFrom(client: ChangesOctokit): ChangesApi {
  return {
    async compare(base, head) {
      let raw: ApiFile[]
      try {
        raw = await client.compareFiles(`${base}...${head}`)
      } catch (error) {
        if (isNoCommonAncestor(error)) throw new NoCommonAncestorError(base, head)
        throw error
      }
      return { files: collapseDuplicates(raw.flatMap(mapApiFile)), mayBeTruncated: raw.length >= COMPARE_FILE_LIMIT }
    },
    async pullFiles(n) {
      const raw = await client.pullFiles(n)
      return { files: collapseDuplicates(raw.flatMap(mapApiFile)), mayBeTruncated: raw.length >= PULL_FILES_LIMIT }
    }
  }
}

/**
 * How long one of the two calls may take, all its pages included: an API that accepts the
 * connection and then stalls would otherwise hold the run for minutes before git is tried. Less
 * when the run's deadline comes first.
 */
export const API_TIMEOUT_MS = 60_000
/** Pull request files per page (the API's maximum). */
const PULL_FILES_PER_PAGE = 100
/** What to check when the deadline cuts a call. */
const API_FIX = "check the runner's access to the GitHub API"

/**
 * The signal for one call, which aborts after `timeoutMs` or at the deadline, whichever comes
 * first, and the error for a call that got no answer. Octokit answers a body that was cut off (a
 * timeout, a reset) with `data` as the text it got, not an error: a missing list must never
 * read as "no files changed".
 */
export function callLimit(what: string, timeoutMs: number, deadline: Deadline): { signal: AbortSignal; failure: (part: string, error?: unknown) => unknown } {
  const left = remainingMs(deadline)
  if (left <= 0) throw new DetectionTimeoutError(`the GitHub API request ${what}`, deadline, false, API_FIX)
  const byDeadline = left < timeoutMs
  const signal = AbortSignal.timeout(byDeadline ? left : timeoutMs)
  const failure = (part: string, error?: unknown): unknown => {
    if (!signal.aborted) return error ?? new Error(`${part}: the answer holds no file list`)
    if (byDeadline) return new DetectionTimeoutError(`the GitHub API request ${part}`, deadline, true, API_FIX)
    return new Error(`${part}: no complete answer within ${timeoutMs / 1000} s`)
  }
  return { signal, failure }
}

/** One request's `data`; whatever stops it is thrown as `failure` words it (a timeout, the deadline). */
export async function dataOf(part: string, failure: (part: string, error?: unknown) => unknown, request: () => Promise<{ data: unknown }>): Promise<unknown> {
  try {
    return (await request()).data
  } catch (error) {
    throw failure(part, error)
  }
}

/** The two calls over a real Octokit, each given up after `timeoutMs` or at `deadline`. */
export function octokitChanges(octokit: Octokit, owner: string, repo: string, timeoutMs = API_TIMEOUT_MS, deadline: Deadline = NO_DEADLINE): ChangesOctokit {
  return {
    async compareFiles(basehead) {
      const what = `compare ${basehead}`
      const { signal, failure } = callLimit(what, timeoutMs, deadline)
      // With paging parameters the files come only on the first page, all of them (up to 300);
      // per_page: 1 keeps the commit list we do not read small.
      const data = await dataOf(what, failure, () =>
        octokit.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead, per_page: 1, page: 1, request: { signal } })
      )
      const files = (data as { files?: unknown } | null)?.files
      if (!Array.isArray(files)) throw failure(what)
      return files as ApiFile[]
    },
    async pullFiles(pullNumber) {
      const what = `pull request ${pullNumber} files`
      const { signal, failure } = callLimit(what, timeoutMs, deadline)
      const files: ApiFile[] = []
      // Page by page rather than octokit.paginate, so that each page is checked.
      for (let page = 1; page <= PULL_FILES_LIMIT / PULL_FILES_PER_PAGE; page++) {
        const part = `${what}, page ${page}`
        const data = await dataOf(part, failure, () =>
          octokit.rest.pulls.listFiles({ owner, repo, pull_number: pullNumber, per_page: PULL_FILES_PER_PAGE, page, request: { signal } })
        )
        if (!Array.isArray(data)) throw failure(part)
        files.push(...(data as ApiFile[]))
        if (data.length < PULL_FILES_PER_PAGE) break
      }
      return files
    }
  }
}

/**
 * Loads the API client (only now) and binds it to one repository. Honours GITHUB_API_URL (GHES).
 * Each call ends by `deadline` (the run's `timeout`) at the latest.
 */
export async function makeChangesApi(token: string, owner: string, repo: string, deadline: Deadline = NO_DEADLINE): Promise<ChangesApi> {
  const github = await import('@actions/github')
  return changesApiFrom(octokitChanges(github.getOctokit(token), owner, repo, API_TIMEOUT_MS, deadline))
}
