/**
 * `base: last-success`: the head commit of the most recent successful run of this workflow on this
 * branch, from one GitHub REST API call (`GET /repos/{owner}/{repo}/actions/workflows/{file}/runs`
 * with `branch`, `status=success` and a small page). The answer is data: a run counts only when it
 * is not this run, is on this branch, concluded `success` and ran this repository's code, and its
 * head commit only when it is 40 hex digits. Whatever stops the look-up is a reason for the caller
 * to diff the event instead, except the run's deadline, which ends detection.
 */
import type { getOctokit } from '@actions/github'
import { shown } from '../external.js'
import { callLimit, dataOf, API_TIMEOUT_MS } from './github-api.js'
import { DetectionTimeoutError, NO_DEADLINE, type Deadline } from './deadline.js'

/** The `base` value that asks for the last successful run's commit. */
export const LAST_SUCCESS = 'last-success'

/** Runs asked for, and looked at: enough to step over this run and a few foreign ones. */
export const RUNS_PER_PAGE = 10

/** The commit found, or why there is none. `what` names the run for the log. */
export type LastSuccess = { sha: string; what: string } | { fallback: string }

/** Where this run stands, from the runner's environment and the event. */
export interface RunContext {
  /** The workflow's file name (`deploy.yml`), from GITHUB_WORKFLOW_REF; '' when unknown. */
  workflowFile: string
  /** The branch whose runs count; '' when the run is not on a branch (a tag). */
  branch: string
  /** GITHUB_RUN_ID: this run is never its own base. */
  runId: string
  /** GITHUB_REPOSITORY: a run of a fork's code (a pull request from it) is not a deploy of ours. */
  repository: string
}

/** The one call: the first page of successful runs, most recent first, as the API answered. */
export interface WorkflowRunsApi {
  successfulRuns(workflowFile: string, branch: string): Promise<unknown>
}

const WORKFLOW_REF = /^[^/]+\/[^/]+\/\.github\/workflows\/([^/]+?\.ya?ml)@/
const FULL_SHA1 = /^[0-9a-f]{40}$/
const MAX_NAME = 255

/** `name` when it is a string of at most MAX_NAME characters without controls, else ''. */
function usableName(name: unknown): string {
  return typeof name === 'string' && name.length <= MAX_NAME && !/[\x00-\x1f\x7f]/.test(name) ? name : ''
}

/** `owner/repo/.github/workflows/deploy.yml@refs/heads/main` → `deploy.yml`; '' for anything else. */
export function workflowFileFromRef(ref: string): string {
  return usableName(WORKFLOW_REF.exec(ref)?.[1] ?? '')
}

/**
 * The run's context. The branch: a pull request's head branch (GITHUB_HEAD_REF), else
 * GITHUB_REF_NAME unless GITHUB_REF_TYPE says tag, else the event's `refs/heads/…` ref.
 */
export function runContext(env: NodeJS.ProcessEnv, eventName: string, payload: any): RunContext {
  let branch = ''
  if (eventName === 'pull_request' || eventName === 'pull_request_target') {
    branch = usableName(env.GITHUB_HEAD_REF || payload?.pull_request?.head?.ref)
  } else if (env.GITHUB_REF_NAME && env.GITHUB_REF_TYPE !== 'tag' && !env.GITHUB_REF?.startsWith('refs/tags/')) {
    branch = usableName(env.GITHUB_REF_NAME)
  } else if (!env.GITHUB_REF_NAME && typeof payload?.ref === 'string' && payload.ref.startsWith('refs/heads/')) {
    branch = usableName(payload.ref.slice('refs/heads/'.length))
  }
  return {
    workflowFile: workflowFileFromRef(env.GITHUB_WORKFLOW_REF ?? ''),
    branch,
    runId: env.GITHUB_RUN_ID ?? '',
    repository: env.GITHUB_REPOSITORY ?? ''
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Finds the last successful run's head commit; `api` is null when no token is given. */
export async function findLastSuccess(context: RunContext, api: () => Promise<WorkflowRunsApi | null>): Promise<LastSuccess> {
  const { workflowFile, branch } = context
  if (workflowFile === '') return { fallback: 'GITHUB_WORKFLOW_REF names no workflow file' }
  if (branch === '') return { fallback: 'the run is not on a branch' }
  const client = await api()
  if (!client) return { fallback: "no 'github-token' (or no GITHUB_REPOSITORY) to ask the GitHub API for the last successful run" }
  const where = `${workflowFile} on ${shown(branch)}`
  let data: unknown
  try {
    data = await client.successfulRuns(workflowFile, branch)
  } catch (error) {
    if (error instanceof DetectionTimeoutError) throw error
    const status = (error as { status?: unknown })?.status
    const hint = status === 403 ? " (the job needs 'permissions: actions: read')" : ''
    return { fallback: `the GitHub API request for the runs of ${where} failed: ${errorMessage(error)}${hint}` }
  }
  const runs = (data as { workflow_runs?: unknown } | null)?.workflow_runs
  if (!Array.isArray(runs)) return { fallback: `the GitHub API's answer for the runs of ${where} holds no list of runs` }
  for (const run of runs.slice(0, RUNS_PER_PAGE) as Record<string, any>[]) {
    if (typeof run !== 'object' || run === null) continue
    if (String(run.id) === context.runId) continue
    if (run.head_branch !== branch || run.conclusion !== 'success') continue
    const headRepository = run.head_repository?.full_name
    if (typeof headRepository !== 'string' || headRepository.toLowerCase() !== context.repository.toLowerCase()) continue
    const id = Number.isSafeInteger(run.id) ? String(run.id) : '?'
    if (typeof run.head_sha !== 'string' || !FULL_SHA1.test(run.head_sha)) {
      return { fallback: `the last successful run (${id}) of ${where} names no valid head commit` }
    }
    return { sha: run.head_sha, what: `run ${id} of ${where}` }
  }
  return { fallback: `no successful run of ${where} yet (among the ${RUNS_PER_PAGE} most recent)` }
}

type Octokit = ReturnType<typeof getOctokit>

/** The call over a real Octokit, given up after `timeoutMs` or at `deadline`. */
export function octokitRuns(octokit: Octokit, owner: string, repo: string, timeoutMs = API_TIMEOUT_MS, deadline: Deadline = NO_DEADLINE): WorkflowRunsApi {
  return {
    async successfulRuns(workflowFile, branch) {
      const what = `workflow runs of ${workflowFile}`
      const { signal, failure } = callLimit(what, timeoutMs, deadline)
      const data = await dataOf(what, failure, () =>
        octokit.rest.actions.listWorkflowRuns({
          owner,
          repo,
          workflow_id: workflowFile,
          branch,
          status: 'success',
          per_page: RUNS_PER_PAGE,
          page: 1,
          request: { signal }
        })
      )
      // A body cut off by the timeout comes back as text, not as an error.
      if (signal.aborted) throw failure(what)
      return data
    }
  }
}

/** Loads the API client (only now) for one repository; honours GITHUB_API_URL (GHES). */
export async function makeRunsApi(token: string, owner: string, repo: string, deadline: Deadline = NO_DEADLINE): Promise<WorkflowRunsApi> {
  const github = await import('@actions/github')
  return octokitRuns(github.getOctokit(token), owner, repo, API_TIMEOUT_MS, deadline)
}
