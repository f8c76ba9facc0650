/**
 * Works out which files a run should purge, from the `files` input, the `base` input or the
 * event. Precedence: `urls` (handled by the caller, which then skips this stage) → `files` →
 * `base` → the event; except that a push deleting a branch always yields nothing to purge.
 *
 * Ways to a list, in the order they are tried:
 *
 * - Two known commits (push `before..after`, pull_request `synchronize`, `base..GITHUB_SHA`):
 *   1. local git, after fetching a missing commit with `git fetch --depth=1 origin <sha>` (a tree
 *      diff needs no history, so this works in actions/checkout's default depth-1 clone);
 *   2. the GitHub compare API, asked both ways, since it compares from the merge base: after a
 *      force push `before` is not an ancestor of `after`, and files the push reverted show up
 *      only in `after...before`. Each answer holds at most 300 files; a full one fails the run.
 * - A new branch (all-zero `before`): the diff from its merge base with the default branch —
 *   1. local git, when the checkout has history (not shallow) and holds the default branch;
 *   2. the compare API `<default>...<after>`, when a token is given: one request, nothing
 *      fetched, and a new branch rarely changes 300 files;
 *   3. local git after fetching the default branch and `after` from origin, deeper at each step
 *      (`DEEPEN_STEPS`: depth 10, 100, 1000, then the full history) until `git merge-base` finds
 *      the fork point: when there is no token, the API fails (an outage, GHES without API access
 *      from runners) or its list reaches 300 files;
 *   and when there is no merge base (an orphan branch, the default branch itself, no default
 *   branch in the payload) every tracked file counts as added.
 * - A pull request's files (`opened`, `reopened` and every other action but `synchronize`):
 *   1. local git `base...head`, when the checkout has history and holds both commits;
 *   2. the pull request files API, when a token is given (at most 3000 files);
 *   3. local git after fetching base and head deep enough for their merge base, as above.
 *
 * - `base: last-success`: the last successful run's head commit (looked up by `deps.lastSuccess`)
 *   to GITHUB_SHA as two known commits; with no such run, a failed look-up, or a commit that git
 *   cannot fetch and the compare API does not know (a force push), the event's own diff.
 *
 * Every fallback is logged, and ChangeSet.source says which way was taken and why. The run's
 * deadline is not a reason to fall back: the git runner and the API client given in `deps` carry
 * it, and a command or call it cuts off (DetectionTimeoutError) ends detection.
 */
import { lstat } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { ChangeDetectionError, InputError } from '../errors.js'
import { shown } from '../external.js'
import type { ChangedFile, ChangeSet } from '../model.js'
import {
  diffTrees,
  fetchCommit,
  fetchToMergeBase,
  inspectCheckout,
  isFullSha,
  isSafeBranch,
  isSafeRevision,
  isZeroSha,
  listTrackedFiles,
  mergeBase,
  resolveCommit,
  type CheckoutInfo,
  type GitRunner
} from './git.js'
import { DetectionTimeoutError } from './deadline.js'
import { COMPARE_FILE_LIMIT, NoCommonAncestorError, PULL_FILES_LIMIT, type ApiFileList, type ChangesApi } from './github-api.js'
import { LAST_SUCCESS, type LastSuccess } from './last-success.js'
import { count } from '../text.js'

export type { GitRunner } from './git.js'
export type { ChangesApi } from './github-api.js'

export interface DetectInput {
  /** GITHUB_EVENT_NAME. */
  eventName: string
  /** The parsed JSON of GITHUB_EVENT_PATH (read defensively: fields may be missing). */
  payload: any
  /** GITHUB_SHA. */
  sha: string
  /** The `files` input, split into repository-relative paths; empty when not given. */
  files: string[]
  /** The `base` input (a commit, branch or tag, or `last-success`); empty when not given. */
  base: string
  /** GITHUB_WORKSPACE: the checkout, where git runs. */
  workspace: string
}

export interface DetectDeps {
  git: GitRunner
  /** The API client, created on first use; null when no `github-token` was given. */
  api: () => Promise<ChangesApi | null>
  log: (line: string) => void
  /** For `base: last-success`: the last successful run's head commit, or why there is none. */
  lastSuccess?: () => Promise<LastSuccess>
}

/** What to tell the user when only a full history (or another input) can give a reliable list. */
const FIX_HISTORY = "check out with full history (actions/checkout with 'fetch-depth: 0') so git can diff locally, or give 'files' or 'urls'"

export async function detectChanges(input: DetectInput, deps: DetectDeps): Promise<ChangeSet> {
  if (input.files.length > 0) {
    if (input.base !== '') deps.log("'files' is given, so 'base' is not used")
    return changesFromFilesInput(input.files, input.workspace)
  }
  return new ChangeDetector(input, deps).detect()
}

/**
 * Checks and normalises the `files` input: strips a leading `./`; rejects absolute paths, `..`
 * segments and backslashes, which cannot name a file in the repository the way git does.
 */
export function normaliseFilesInput(files: string[]): string[] {
  const seen = new Set<string>()
  for (const given of files) {
    if (given.includes('\\')) {
      throw new InputError('files', `'${given}' contains a backslash; write repository paths with '/', e.g. 'docs/index.html'`)
    }
    if (isAbsolute(given) || /^[A-Za-z]:/.test(given)) {
      throw new InputError('files', `'${given}' is an absolute path; give paths relative to the repository root, e.g. 'docs/index.html'`)
    }
    let path = given
    while (path.startsWith('./')) path = path.slice(2)
    if (path.split('/').includes('..')) {
      throw new InputError('files', `'${given}' has a '..' segment; give paths inside the repository, relative to its root`)
    }
    if (path === '' || path === '.') throw new InputError('files', `'${given}' names no file`)
    seen.add(path)
  }
  return [...seen]
}

/**
 * The `files` input as a change list: every file counts as modified, except that in a git checkout
 * a file that is not in the workspace counts as deleted (purged, never prefetched).
 */
async function changesFromFilesInput(given: string[], workspace: string): Promise<ChangeSet> {
  const paths = normaliseFilesInput(given)
  const isCheckout = await exists(join(workspace, '.git'))
  const files: ChangedFile[] = []
  for (const path of paths) {
    const deleted = isCheckout && !(await exists(join(workspace, path)))
    files.push({ path, status: deleted ? 'deleted' : 'modified' })
  }
  const deletedCount = files.filter((f) => f.status === 'deleted').length
  const note = isCheckout
    ? deletedCount > 0
      ? `; ${deletedCount} not in the checkout, counted as deleted`
      : ''
    : '; the workspace is not a git checkout, so all count as modified'
  return { files, source: `'files' input: ${count(files.length, 'file')}${note}` }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

/**
 * The tree diff `base..head` from GitHub's two merge-base compares: `forward` is `base...head`
 * (merge base → head), `backward` is `head...base` (merge base → base). A path listed on either
 * side may differ between base and head; whether it exists on each side follows from the lists.
 * When base is an ancestor of head (a normal push) `backward` is empty and this is `forward`.
 */
export function treeDiffFromCompares(forward: ChangedFile[], backward: ChangedFile[]): ChangedFile[] {
  const toHead = new Map(forward.map((f) => [f.path, f.status]))
  const toBase = new Map(backward.map((f) => [f.path, f.status]))
  const paths = new Set([...toHead.keys(), ...toBase.keys()])
  const files: ChangedFile[] = []
  for (const path of paths) {
    const headSide = toHead.get(path)
    const baseSide = toBase.get(path)
    const inMergeBase = headSide !== undefined ? headSide !== 'added' : baseSide !== 'added'
    const inHead = headSide !== undefined ? headSide !== 'deleted' : inMergeBase
    const inBase = baseSide !== undefined ? baseSide !== 'deleted' : inMergeBase
    if (inHead && inBase) files.push({ path, status: 'modified' })
    else if (inHead) files.push({ path, status: 'added' })
    else if (inBase) files.push({ path, status: 'deleted' })
    // Neither side has it (both deleted it): nothing to purge.
  }
  return files
}

function capitalise(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1)
}

function short(rev: string): string {
  return isFullSha(rev) ? rev.slice(0, 7) : rev
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A commit present locally, or why it is not. */
type LocalCommit = { sha: string } | { missing: string }

class ChangeDetector {
  private checkout: CheckoutInfo | undefined
  private apiClient: Promise<ChangesApi | null> | undefined

  constructor(
    private readonly input: DetectInput,
    private readonly deps: DetectDeps
  ) {}

  async detect(): Promise<ChangeSet> {
    const { eventName, base, payload } = this.input
    // A deleted branch has no deployment left to refresh, whatever else was asked.
    if (eventName === 'push' && (payload?.deleted === true || isZeroSha(payload?.after))) {
      return { files: [], source: `push deleted ${text(payload?.ref) || 'a branch'}: nothing to purge` }
    }
    if (base === LAST_SUCCESS) return this.fromLastSuccess()
    if (base !== '') return this.fromBaseInput(base)
    return this.fromEvent()
  }

  private async fromEvent(): Promise<ChangeSet> {
    const { eventName } = this.input
    switch (eventName) {
      case 'push':
        return this.fromPush()
      case 'pull_request':
      case 'pull_request_target':
        return this.fromPullRequest()
      default:
        throw new InputError(
          'base',
          `the '${eventName}' event carries no list of changed files. Give 'files' (the paths to purge), ` +
            `'urls', or 'base' (a commit, branch or tag to diff GITHUB_SHA against).`
        )
    }
  }

  private head(): string {
    if (!isFullSha(this.input.sha)) {
      throw new ChangeDetectionError(`GITHUB_SHA '${this.input.sha}' is not a commit SHA`)
    }
    return this.input.sha
  }

  private async fromBaseInput(base: string): Promise<ChangeSet> {
    if (!isSafeRevision(base)) {
      throw new InputError('base', `'${base}' is not a single commit: give a SHA, branch or tag (no leading '-', spaces, '..' or ':')`)
    }
    const head = this.head()
    return this.diffCommits(base, head, `'base' input ${short(base)}..${short(head)}`)
  }

  /**
   * `base: last-success`: the tree diff from the last successful run's head commit, through git
   * (fetching that commit) or the compare API. No such run, a failed look-up, or a commit that is
   * gone (a force push) falls back to the event's own diff; a list the API may have cut does not.
   */
  private async fromLastSuccess(): Promise<ChangeSet> {
    const head = this.head()
    const found: LastSuccess = this.deps.lastSuccess ? await this.deps.lastSuccess() : { fallback: 'the workflow run is not known' }
    if ('fallback' in found) return this.eventInstead(found.fallback)
    const base = found.sha
    const label = `'base: last-success' ${short(base)}..${short(head)} (${found.what})`
    const local = await this.gitDiff(base, head, label)
    if ('files' in local) return local
    const whyNotGit = local.missing
    const api = await this.optionalApi()
    if (!api) return this.eventInstead(`${whyNotGit}, and no 'github-token' is given for the compare API`)
    this.deps.log(`${label}: ${whyNotGit}; asking the GitHub compare API instead`)
    const diff = await this.compareBothWays(api, base, head, label)
    if ('unrelated' in diff) return this.eventInstead(`${short(base)} shares no history with ${short(head)}`)
    if ('failed' in diff) return this.eventInstead(`${whyNotGit}, and the GitHub compare API failed: ${diff.failed}`)
    return { files: diff.files, source: `${label}: GitHub compare API ${short(base)}...${short(head)} (${whyNotGit})` }
  }

  /** The event's own diff, when `base: last-success` found no commit to diff from. */
  private async eventInstead(why: string): Promise<ChangeSet> {
    const { eventName } = this.input
    if (!['push', 'pull_request', 'pull_request_target'].includes(eventName)) {
      throw new ChangeDetectionError(
        `'base: last-success': ${why}, and the '${eventName}' event carries no list of changed files. ` + `Give 'files', 'urls', or a commit as 'base'.`
      )
    }
    this.deps.log(`'base: last-success': ${why}; using the event's own diff`)
    const changes = await this.fromEvent()
    return { ...changes, source: `${changes.source} ('base: last-success' found no commit to diff from)` }
  }

  private async fromPush(): Promise<ChangeSet> {
    const payload = this.input.payload ?? {}
    const ref = text(payload.ref)
    const after = isFullSha(payload.after) ? payload.after : this.head()
    if (isZeroSha(payload.before)) return this.fromNewBranch(ref, after)
    if (!isFullSha(payload.before)) {
      throw new ChangeDetectionError(`the push event has no 'before' commit to diff against; give 'base' (a commit to diff against) or 'files'`)
    }
    return this.diffCommits(payload.before, after, `push ${short(payload.before)}..${short(after)}`)
  }

  private async fromPullRequest(): Promise<ChangeSet> {
    const payload = this.input.payload ?? {}
    const action = text(payload.action)
    const number = Number(payload.number ?? payload.pull_request?.number)
    const label = `${this.input.eventName} #${Number.isInteger(number) ? number : '?'} (${action || 'no action'})`
    if (action === 'synchronize') {
      // What this push to the PR branch changed, so a preview purges only what was redeployed.
      if (isFullSha(payload.before) && isFullSha(payload.after) && !isZeroSha(payload.before)) {
        return this.diffCommits(payload.before, payload.after, `${label} ${short(payload.before)}..${short(payload.after)}`)
      }
      this.deps.log(`${label}: the event has no before/after commits; using all of the pull request's files`)
    }
    return this.pullRequestFiles(label, number)
  }

  /**
   * All files of the pull request: local git when the history is there; else the pull request
   * files API when a token is given; else (or when the API fails or caps its list) git after
   * fetching base and head deep enough for their merge base.
   */
  private async pullRequestFiles(label: string, number: number): Promise<ChangeSet> {
    const pr = this.input.payload?.pull_request ?? {}
    const baseSha: unknown = pr.base?.sha
    const headSha: unknown = pr.head?.sha
    const checkout = await this.checkoutInfo()
    const haveShas = isFullSha(baseSha) && isFullSha(headSha)
    let whyNotLocal: string
    if (!checkout.isRepository) whyNotLocal = 'the workspace is not a git checkout'
    else if (!haveShas) whyNotLocal = 'the event names no base and head commits'
    else if (checkout.isShallow) whyNotLocal = 'the checkout is shallow, so its history does not reach the merge base'
    else {
      const base = await resolveCommit(this.deps.git, baseSha)
      const head = await resolveCommit(this.deps.git, headSha)
      const common = base && head ? await mergeBase(this.deps.git, base, head) : null
      if (base && head && common) {
        const files = await diffTrees(this.deps.git, common, head)
        return { files, source: `${label}: the pull request's files, git diff ${short(base)}...${short(head)}` }
      }
      whyNotLocal = base && head ? `${short(base)} and ${short(head)} share no history in the checkout` : 'its base or head commit is not in the checkout'
    }

    const api = await this.optionalApi()
    let whyNotApi: string
    if (!api) whyNotApi = "no 'github-token' is given for the GitHub API"
    else if (!Number.isInteger(number) || number <= 0) whyNotApi = 'the event carries no pull request number for the GitHub API'
    else {
      this.deps.log(`${label}: ${whyNotLocal}; asking the GitHub API for the pull request's files (one request per 100 files)`)
      const list = await this.tryApi(() => api.pullFiles(number))
      if ('files' in list && !list.mayBeTruncated) {
        return { files: list.files, source: `${label}: the pull request's files from the GitHub API (${whyNotLocal})` }
      }
      whyNotApi =
        'files' in list
          ? `the GitHub API lists at most ${PULL_FILES_LIMIT} files of a pull request and this one reached that limit`
          : 'failed' in list
            ? `the GitHub API request failed: ${list.failed}`
            : 'the GitHub API found no merge base'
    }

    if (!checkout.isRepository || !haveShas) {
      throw new ChangeDetectionError(`${label}: ${whyNotLocal}, and ${whyNotApi}. Give 'github-token', or ${FIX_HISTORY}.`)
    }
    this.deps.log(`${label}: ${whyNotApi}; fetching base and head from origin, deeper at each step, until git finds their merge base`)
    const found = await fetchToMergeBase(this.deps.git, { sha: baseSha }, { sha: headSha }, this.deps.log)
    if ('error' in found) {
      throw new ChangeDetectionError(`${label}: ${whyNotLocal}; ${whyNotApi}; and ${found.error}. ${capitalise(FIX_HISTORY)}.`)
    }
    if (!found.mergeBase) {
      throw new ChangeDetectionError(
        `${label}: ${short(baseSha)} and ${short(headSha)} share no history, so the pull request has no files to diff; give 'files' or 'urls'`
      )
    }
    const files = await diffTrees(this.deps.git, found.mergeBase, found.head)
    return {
      files,
      source: `${label}: the pull request's files, git diff ${short(found.base)}...${short(found.head)} after fetching ${found.depth} (${whyNotApi})`
    }
  }

  /**
   * A branch was created: what it changed since it left the default branch. Local git when the
   * history is there; else the compare API when a token is given (one request, nothing fetched);
   * else (or when the API fails or caps its list) git after fetching both sides deep enough.
   */
  private async fromNewBranch(ref: string, after: string): Promise<ChangeSet> {
    const branch = ref.replace(/^refs\/heads\//, '') || 'a branch'
    // the ref comes from the event payload: shown bounded, control characters escaped
    const label = `push created ${shown(branch)}`
    const defaultBranch = text(this.input.payload?.repository?.default_branch)
    if (defaultBranch === '') return this.allTrackedFiles(`${label}; the event names no default branch to compare with`)
    if (defaultBranch === branch) return this.allTrackedFiles(`${label}, the default branch: there is nothing to compare with`)
    if (!isSafeBranch(defaultBranch)) {
      throw new ChangeDetectionError(`${label}: the default branch name ${JSON.stringify(defaultBranch)} is not usable`)
    }
    const unrelated = `${label}, which shares no history with ${defaultBranch}`

    const checkout = await this.checkoutInfo()
    let whyNotLocal: string
    if (!checkout.isRepository) whyNotLocal = 'the workspace is not a git checkout'
    else if (checkout.isShallow) whyNotLocal = 'the checkout is shallow, so its history does not reach the merge base'
    else {
      const head = await resolveCommit(this.deps.git, after)
      const target =
        (await resolveCommit(this.deps.git, `refs/remotes/origin/${defaultBranch}`)) ?? (await resolveCommit(this.deps.git, `refs/heads/${defaultBranch}`))
      if (head && target) {
        const common = await mergeBase(this.deps.git, target, head)
        if (!common) return this.allTrackedFiles(unrelated)
        const files = await diffTrees(this.deps.git, common, head)
        return {
          files,
          source: `${label}: git diff from its merge base with ${defaultBranch}, ${short(common)}..${short(head)}`
        }
      }
      whyNotLocal = head ? `${defaultBranch} is not in the checkout` : `${short(after)} is not in the checkout`
    }

    const api = await this.optionalApi()
    let whyNotApi: string
    if (!api) whyNotApi = "no 'github-token' is given for the GitHub compare API"
    else {
      this.deps.log(`${label}: ${whyNotLocal}; asking the GitHub compare API for the merge base with ${defaultBranch} (one request)`)
      const list = await this.tryApi(() => api.compare(defaultBranch, after))
      if ('unrelated' in list) return this.allTrackedFiles(unrelated)
      if ('files' in list && !list.mayBeTruncated) {
        return {
          files: list.files,
          source: `${label}: GitHub compare API ${defaultBranch}...${short(after)}, from its merge base with ${defaultBranch} (${whyNotLocal})`
        }
      }
      whyNotApi =
        'failed' in list
          ? `the GitHub compare API request failed: ${list.failed}`
          : `the GitHub compare API lists at most ${COMPARE_FILE_LIMIT} files and this comparison reached that limit`
    }

    if (!checkout.isRepository) {
      throw new ChangeDetectionError(`${label}: ${whyNotLocal}, and ${whyNotApi}. Give 'github-token', or ${FIX_HISTORY}.`)
    }
    this.deps.log(`${label}: ${whyNotApi}; fetching ${defaultBranch} and ${short(after)} from origin, deeper at each step, until git finds their merge base`)
    const found = await fetchToMergeBase(this.deps.git, { branch: defaultBranch }, { sha: after }, this.deps.log)
    if ('error' in found) {
      throw new ChangeDetectionError(`${label}: ${whyNotLocal}; ${whyNotApi}; and ${found.error}. ${capitalise(FIX_HISTORY)}.`)
    }
    if (!found.mergeBase) return this.allTrackedFiles(unrelated)
    const files = await diffTrees(this.deps.git, found.mergeBase, found.head)
    return {
      files,
      source: `${label}: git diff from its merge base with ${defaultBranch}, ${short(found.mergeBase)}..${short(found.head)}, after fetching ${found.depth} (${whyNotApi})`
    }
  }

  private async allTrackedFiles(why: string): Promise<ChangeSet> {
    this.deps.log(`${why}; every tracked file counts as added`)
    const paths = await listTrackedFiles(this.deps.git).catch((error: unknown) => {
      if (error instanceof DetectionTimeoutError) throw error
      throw new ChangeDetectionError(`${why}, so every tracked file counts as added, but ${errorMessage(error)}`)
    })
    return {
      files: paths.map((path) => ({ path, status: 'added' })),
      source: `${why}: every tracked file counts as added (${count(paths.length, 'file')})`
    }
  }

  /** The tree diff between two commits with local git (fetching what is missing), or why git cannot. */
  private async gitDiff(base: string, head: string, label: string): Promise<ChangeSet | { missing: string }> {
    const localBase = await this.localCommit(base)
    const localHead = 'sha' in localBase ? await this.localCommit(head) : localBase
    if ('sha' in localBase && 'sha' in localHead) {
      const files = await diffTrees(this.deps.git, localBase.sha, localHead.sha)
      return { files, source: `${label}: git diff ${short(localBase.sha)}..${short(localHead.sha)}` }
    }
    return { missing: 'missing' in localBase ? localBase.missing : (localHead as { missing: string }).missing }
  }

  /** The tree diff between two commits: local git (fetching what is missing), else the compare API. */
  private async diffCommits(base: string, head: string, label: string): Promise<ChangeSet> {
    const local = await this.gitDiff(base, head, label)
    if ('files' in local) return local
    const whyNotGit = local.missing
    this.deps.log(`${label}: ${whyNotGit}; asking the GitHub compare API instead`)
    const api = await this.requireApi(label, whyNotGit)
    const diff = await this.compareBothWays(api, base, head, label)
    if ('unrelated' in diff) {
      throw new ChangeDetectionError(`${label}: ${short(base)} and ${short(head)} share no history, so the GitHub compare API cannot diff them; ${FIX_HISTORY}`)
    }
    if ('failed' in diff) throw new ChangeDetectionError(`${label}: the GitHub API request failed: ${diff.failed}`)
    return { files: diff.files, source: `${label}: GitHub compare API ${short(base)}...${short(head)} (${whyNotGit})` }
  }

  /**
   * The tree diff `base..head` from the compare API, asked both ways (it compares from the merge
   * base: see treeDiffFromCompares). A list the API may have cut fails the run.
   */
  private async compareBothWays(
    api: ChangesApi,
    base: string,
    head: string,
    label: string
  ): Promise<{ files: ChangedFile[] } | { failed: string } | { unrelated: true }> {
    const lists: ApiFileList[] = []
    for (const [from, to] of [
      [base, head],
      [head, base]
    ]) {
      const list = await this.tryApi(() => api.compare(from, to))
      if (!('files' in list)) return list
      this.failIfTruncated(label, list)
      lists.push(list)
    }
    return { files: treeDiffFromCompares(lists[0].files, lists[1].files) }
  }

  /** Finds a commit locally, fetching it alone from origin when it is missing. */
  private async localCommit(rev: string): Promise<LocalCommit> {
    const checkout = await this.checkoutInfo()
    if (!checkout.isRepository) return { missing: 'the workspace is not a git checkout' }
    const present = await resolveCommit(this.deps.git, rev)
    if (present) return { sha: present }
    this.deps.log(`${short(rev)} is not in the checkout; fetching it: git fetch --depth=1 origin ${rev}`)
    const fetched = await fetchCommit(this.deps.git, rev)
    if ('error' in fetched) {
      this.deps.log(`git fetch of ${short(rev)} failed: ${fetched.error}`)
      return { missing: `${short(rev)} is not in the checkout and could not be fetched` }
    }
    // A SHA resolves to itself; a branch or tag to what the fetch brought (FETCH_HEAD).
    const sha = isFullSha(rev) ? await resolveCommit(this.deps.git, rev) : fetched.sha
    return sha ? { sha } : { missing: `${short(rev)} is still not in the checkout after fetching it` }
  }

  private async checkoutInfo(): Promise<CheckoutInfo> {
    this.checkout ??= await inspectCheckout(this.deps.git)
    return this.checkout
  }

  /** The API client, or null when no token is given. */
  private async optionalApi(): Promise<ChangesApi | null> {
    this.apiClient ??= this.deps.api()
    return this.apiClient
  }

  /** One API call whose failure is a reason to try git, not the end of the run (the deadline is). */
  private async tryApi(call: () => Promise<ApiFileList>): Promise<ApiFileList | { failed: string } | { unrelated: true }> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof DetectionTimeoutError) throw error
      if (error instanceof NoCommonAncestorError) return { unrelated: true }
      return { failed: errorMessage(error) }
    }
  }

  private async requireApi(label: string, whyNotGit: string): Promise<ChangesApi> {
    const api = await this.optionalApi()
    if (!api) {
      throw new ChangeDetectionError(
        `${label}: ${whyNotGit}, and without 'github-token' the GitHub API cannot be asked. ` + `Give 'github-token', or ${FIX_HISTORY}.`
      )
    }
    return api
  }

  private failIfTruncated(label: string, list: ApiFileList): void {
    if (list.mayBeTruncated) {
      throw new ChangeDetectionError(
        `${label}: the GitHub compare API lists at most ${COMPARE_FILE_LIMIT} files and this comparison ` +
          `reached that limit, so the list may be incomplete. To purge reliably, ${FIX_HISTORY}.`
      )
    }
  }
}
