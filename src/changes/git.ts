/**
 * Local git: a runner that never goes through a shell, the pure parsers for its `-z` output, and
 * the handful of commands change detection needs. Every revision handed to git here has been
 * checked by `isSafeRevision` (or is a hex SHA), and every command ends its revisions with `--`,
 * so no user data can be read as an option or a path.
 */
import { ChangeDetectionError } from '../errors.js'
import type { ChangedFile } from '../model.js'
import { DetectionTimeoutError, NO_DEADLINE, remainingMs, type Deadline } from './deadline.js'

export interface GitResult {
  stdout: string
  code: number
  stderr: string
}

/**
 * Runs `git <args>` in the workspace, without a shell. Resolves with the exit code (never rejects
 * for a failing command); rejects with DetectionTimeoutError when the deadline cuts it off.
 */
export interface GitRunner {
  (args: string[]): Promise<GitResult>
}

/** Output limit for one git command (`ls-files` of a large repository can be big). */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024
/** After SIGTERM (which lets git remove its lock files), how long before SIGKILL. */
const KILL_GRACE_MS = 1000
/**
 * git in a process group of its own, so that the deadline stops its helpers too (`git fetch`
 * over HTTP runs `git-remote-http`, which holds the connection). Not on Windows: no groups.
 */
const OWN_GROUP = process.platform !== 'win32'

/** How a command is named in a message: without the `--no-…` switches every fetch carries. */
function gitCommandShown(args: string[]): string {
  return ['git', ...args.filter((a) => !a.startsWith('--no-'))].join(' ')
}

/**
 * `spawn('git', args, { cwd })`: arguments go to git as they are, nothing is interpreted. Each
 * command gets the time left before `deadline`; at the deadline its process group gets SIGTERM
 * (git then removes its lock files), SIGKILL after KILL_GRACE_MS, and the command rejects once
 * git has ended. (spawn rather than execFile, which does not pass `detached` on.)
 */
export function makeGitRunner(cwd: string, deadline: Deadline = NO_DEADLINE): GitRunner {
  return async (args) => {
    const what = gitCommandShown(args)
    const fix = args[0] === 'fetch' ? "check the checkout's access to origin" : ''
    const left = remainingMs(deadline)
    if (left <= 0) throw new DetectionTimeoutError(what, deadline, false, fix)
    // Loaded on first use: runs that name their files or URLs never start git.
    const { spawn } = await import('node:child_process')
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd,
        // A fetch must fail, not wait for a password nobody will type.
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: OWN_GROUP
      })
      const out: Buffer[] = []
      const err: Buffer[] = []
      let bytes = 0
      let failure: string | null = null
      const signal = (name: NodeJS.Signals) => {
        try {
          if (OWN_GROUP && child.pid !== undefined) return void process.kill(-child.pid, name)
        } catch {
          // no such group (git and its helpers have ended): signalling git alone is then a no-op
        }
        child.kill(name)
      }
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes > MAX_OUTPUT_BYTES) {
          failure ??= `git output is over ${MAX_OUTPUT_BYTES} bytes`
          signal('SIGKILL')
          return
        }
        into.push(chunk)
      }
      child.stdout.on('data', collect(out))
      child.stderr.on('data', collect(err))
      let cut = false
      let hard: NodeJS.Timeout | undefined
      // No timer without a deadline (`timeout` is at most 6 hours, well within setTimeout's range).
      const timer = Number.isFinite(left)
        ? setTimeout(() => {
            cut = true
            signal('SIGTERM')
            hard = setTimeout(() => {
              signal('SIGKILL')
              // A helper that left the group may still hold the pipes: stop reading them.
              child.stdout.destroy()
              child.stderr.destroy()
            }, KILL_GRACE_MS)
          }, left)
        : undefined
      // A failed spawn (git missing, bad cwd) emits 'error' and then 'close'.
      child.on('error', (error) => (failure ??= error.message))
      child.on('close', (code) => {
        clearTimeout(timer)
        clearTimeout(hard)
        if (cut) return reject(new DetectionTimeoutError(what, deadline, true, fix))
        const stdout = Buffer.concat(out).toString('utf8')
        const stderr = Buffer.concat(err).toString('utf8')
        if (failure !== null) return resolve({ stdout, stderr: stderr || failure, code: -1 })
        // killed by a signal from elsewhere: no exit code
        resolve({ stdout, stderr, code: code ?? -1 })
      })
    })
  }
}

/** How git reports a status letter, mapped onto the model (anything unexpected counts as modified). */
function statusFromLetter(letter: string): ChangedFile['status'] {
  switch (letter) {
    case 'A':
      return 'added'
    case 'D':
      return 'deleted'
    default:
      // M, T (type change), U, X, B and anything newer: the path exists and may differ.
      return 'modified'
  }
}

/**
 * Parses `git diff --name-status -z` output: `<status>\0<path>\0` per file, where a rename or copy
 * (`R<score>`/`C<score>`, only without `--no-renames`) carries two paths. Paths come back
 * byte-for-byte as git wrote them. Throws ChangeDetectionError on anything malformed rather than
 * guessing, since a misread list would purge the wrong URLs.
 */
export function parseNameStatus(output: string): ChangedFile[] {
  if (output === '') return []
  if (!output.endsWith('\0')) {
    throw new ChangeDetectionError('Unexpected git diff output: it does not end with a NUL byte (truncated?)')
  }
  const fields = output.slice(0, -1).split('\0')
  const files: ChangedFile[] = []
  let i = 0
  const takePath = (status: string): string => {
    const path = fields[i++]
    if (path === undefined || path === '') {
      throw new ChangeDetectionError(`Unexpected git diff output: status '${status}' is not followed by a path`)
    }
    return path
  }
  while (i < fields.length) {
    const status = fields[i++]
    if (!/^[A-Z][0-9]{0,3}$/.test(status)) {
      throw new ChangeDetectionError(`Unexpected git diff output: '${status.slice(0, 40)}' is not a status letter`)
    }
    const letter = status[0]
    if (letter === 'R' || letter === 'C') {
      const from = takePath(status)
      const to = takePath(status)
      if (letter === 'R') files.push({ path: from, status: 'deleted' })
      files.push({ path: to, status: 'added' })
    } else {
      files.push({ path: takePath(status), status: statusFromLetter(letter) })
    }
  }
  return files
}

/** Splits NUL-terminated output (`ls-files -z`) into its entries. */
export function parseNulList(output: string): string[] {
  if (output === '') return []
  if (!output.endsWith('\0')) {
    throw new ChangeDetectionError('Unexpected git output: it does not end with a NUL byte (truncated?)')
  }
  return output.slice(0, -1).split('\0')
}

/** An all-zero SHA marks a branch that did not exist before (`before`) or no longer exists (`after`). */
export function isZeroSha(sha: unknown): boolean {
  return typeof sha === 'string' && /^0+$/.test(sha)
}

/** A full commit SHA (SHA-1 or SHA-256) as event payloads carry them. */
export function isFullSha(sha: unknown): sha is string {
  return typeof sha === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(sha)
}

/**
 * A revision from user input that git can only read as a revision: no leading `-` (an option),
 * no whitespace or control characters, no `..` (a range), no `:` (a path inside a tree).
 */
export function isSafeRevision(rev: string): boolean {
  return rev !== '' && !rev.startsWith('-') && !/[\s\x00-\x1f\x7f:]/.test(rev) && !rev.includes('..')
}

/** The first line of git's complaint, for a log line. */
export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? ''
}

/** What kind of checkout the workspace holds. */
export interface CheckoutInfo {
  isRepository: boolean
  /** Cloned with a depth (actions/checkout's default is 1): history is cut off. */
  isShallow: boolean
}

export async function inspectCheckout(git: GitRunner): Promise<CheckoutInfo> {
  const result = await git(['rev-parse', '--is-shallow-repository'])
  if (result.code !== 0) return { isRepository: false, isShallow: false }
  return { isRepository: true, isShallow: result.stdout.trim() === 'true' }
}

/** The full SHA of a commit that is present locally, or null. `rev` must pass `isSafeRevision`. */
export async function resolveCommit(git: GitRunner, rev: string): Promise<string | null> {
  const result = await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`])
  const sha = result.stdout.trim()
  return result.code === 0 && sha !== '' ? sha : null
}

/**
 * Fetches one commit (or ref) from origin without history: a tree diff needs none. Resolves to the
 * fetched commit's SHA, or to the reason it failed.
 */
export async function fetchCommit(git: GitRunner, rev: string): Promise<{ sha: string } | { error: string }> {
  const result = await git(['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', 'origin', rev])
  if (result.code !== 0) return { error: firstLine(result.stderr) || `git fetch exited with ${result.code}` }
  const sha = await resolveCommit(git, 'FETCH_HEAD')
  return sha ? { sha } : { error: 'git fetch succeeded but FETCH_HEAD is not a commit' }
}

/** The merge base of two local commits, or null when they share no history (as far as it is present). */
export async function mergeBase(git: GitRunner, a: string, b: string): Promise<string | null> {
  const result = await git(['merge-base', a, b, '--'])
  if (result.code === 1) return null
  if (result.code !== 0) throw new ChangeDetectionError(`git merge-base ${a} ${b} failed: ${firstLine(result.stderr)}`)
  return result.stdout.trim()
}

/** Files that differ between two local commits' trees (renames as a deletion plus an addition). */
export async function diffTrees(git: GitRunner, base: string, head: string): Promise<ChangedFile[]> {
  const result = await git(['diff', '--name-status', '-z', '--no-renames', '--no-color', '--no-ext-diff', base, head, '--'])
  if (result.code !== 0) {
    throw new ChangeDetectionError(`git diff ${base} ${head} failed: ${firstLine(result.stderr)}`)
  }
  return parseNameStatus(result.stdout)
}

/** Every tracked file, with repository-relative paths. */
export async function listTrackedFiles(git: GitRunner): Promise<string[]> {
  const result = await git(['ls-files', '-z', '--full-name'])
  if (result.code !== 0) throw new ChangeDetectionError(`git ls-files failed: ${firstLine(result.stderr)}`)
  return parseNulList(result.stdout)
}

/** One side of a merge-base search: a branch of origin, or a commit by SHA. */
export type FetchTarget = { branch: string } | { sha: string }

/**
 * Depths tried, in commits from each tip, before the whole history (`--unshallow`). A branch
 * usually leaves its base a few commits back, so the first step mostly suffices; each later one
 * is ten times the last, so a fork point n commits back costs at most about 10·n commits.
 */
const DEEPEN_STEPS: readonly number[] = [10, 100, 1000]

/** Where a merge-base search ended: both commits, and their merge base or null (no shared history). */
export interface MergeBaseFound {
  base: string
  head: string
  mergeBase: string | null
  /** How much history it took: `depth 10`, …, `the full history`. */
  depth: string
}

/**
 * A branch name git can only read as a branch in a refspec: a safe revision without the
 * characters git forbids in ref names (`*` would make the refspec a pattern).
 */
export function isSafeBranch(name: string): boolean {
  return isSafeRevision(name) && !/[*?[\\^~]/.test(name)
}

function targetRefspec(target: FetchTarget): string {
  return 'sha' in target ? target.sha : `+refs/heads/${target.branch}:refs/remotes/origin/${target.branch}`
}

function targetRevision(target: FetchTarget): string {
  return 'sha' in target ? target.sha : `refs/remotes/origin/${target.branch}`
}

function targetName(target: FetchTarget): string {
  return 'sha' in target ? target.sha.slice(0, 7) : target.branch
}

/**
 * Fetches both sides from origin with more history at each step (`DEEPEN_STEPS`, then
 * `--unshallow`) until `git merge-base` finds their fork point. A checkout that is not shallow
 * gets one plain fetch: a depth would make it shallow. Resolves to the merge base, or to null
 * for it when even the whole history has none, or to why a fetch failed. `log` hears each step.
 * Branch names must pass `isSafeBranch`, SHAs `isFullSha`.
 */
export async function fetchToMergeBase(
  git: GitRunner,
  base: FetchTarget,
  head: FetchTarget,
  log: (line: string) => void
): Promise<MergeBaseFound | { error: string }> {
  const refspecs = [targetRefspec(base), targetRefspec(head)]
  const names = `${targetName(base)} ${targetName(head)}`
  const shallow = (await inspectCheckout(git)).isShallow
  const steps: (number | 'all')[] = shallow ? [...DEEPEN_STEPS, 'all'] : ['all']
  for (let i = 0; ; i++) {
    const step = steps[i]
    let depthArgs: string[]
    let depth: string
    if (step === 'all') {
      // The last step, or the only one in a full checkout: everything origin has for both sides.
      depthArgs = (await inspectCheckout(git)).isShallow ? ['--unshallow'] : []
      depth = 'the full history'
    } else {
      // `--depth` brings tips that are missing; once they are here it fetches nothing more, so
      // later steps deepen from the shallow boundary instead.
      depthArgs = i === 0 ? [`--depth=${step}`] : [`--deepen=${step - (steps[i - 1] as number)}`]
      depth = `depth ${step}`
    }
    const command = ['fetch', '--no-tags', '--no-recurse-submodules', ...depthArgs, 'origin', ...refspecs]
    const shown = `git fetch${depthArgs.map((a) => ` ${a}`).join('')} origin ${names}`
    const result = await git(command)
    if (result.code !== 0) return { error: `${shown} failed: ${firstLine(result.stderr) || `exit code ${result.code}`}` }
    const baseSha = await resolveCommit(git, targetRevision(base))
    const headSha = await resolveCommit(git, targetRevision(head))
    if (!baseSha || !headSha) return { error: `${shown} did not bring ${baseSha ? targetName(head) : targetName(base)}` }
    const common = await mergeBase(git, baseSha, headSha)
    if (common) {
      log(`${shown}: merge base ${common.slice(0, 7)} found with ${depth}`)
      return { base: baseSha, head: headSha, mergeBase: common, depth }
    }
    log(`${shown}: no merge base within ${depth}`)
    if (i === steps.length - 1) return { base: baseSha, head: headSha, mergeBase: null, depth }
  }
}
