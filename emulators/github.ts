/**
 * The one GitHub REST API call `base: last-success` makes, for tests that point GITHUB_API_URL
 * here: "List workflow runs for a workflow",
 * `GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs`
 * (https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow).
 * Every other path answers 404 as GitHub does for what it does not know, so a compare of a
 * commit this emulator has never heard of fails like one that a force push removed.
 */
import { startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from './server.js'

/** A workflow run as the API lists it (the fields the action reads, and a few more). */
export interface GithubRun {
  id: number
  /** The workflow file the run belongs to, e.g. `deploy.yml`. */
  workflow: string
  head_sha: string
  head_branch: string
  /** `queued`, `in_progress` or `completed`. */
  status: string
  /** `success`, `failure`, … once completed; null before. */
  conclusion: string | null
  event?: string
  /** The repository whose code ran: `owner/repo` (a fork's for a pull request from it). */
  head_repository?: string
}

export interface GithubEmulatorOptions {
  /** `owner/repo` served. */
  repository?: string
  /** token → the permissions it holds for the repository (e.g. `['actions:read', 'contents:read']`). */
  tokens?: Record<string, string[]>
  runs?: GithubRun[]
  /** Workflow files that exist besides those with runs (a workflow not run yet lists no runs, not 404). */
  workflows?: string[]
  port?: number
}

export interface GithubEmulator extends RunningEmulator {
  runs: GithubRun[]
}

const DOCS = 'https://docs.github.com/rest'
const message = (status: number, text: string): EmulatorResponse => ({ status, body: { message: text, documentation_url: DOCS } })

/** The `status` filter's values (docs: "status or conclusion that you specify"). */
const STATUS_VALUES = new Set([
  'completed',
  'action_required',
  'cancelled',
  'failure',
  'neutral',
  'skipped',
  'stale',
  'success',
  'timed_out',
  'in_progress',
  'queued',
  'requested',
  'waiting',
  'pending'
])

export async function startGithubEmulator(options: GithubEmulatorOptions = {}): Promise<GithubEmulator> {
  const repository = options.repository ?? 'octo/site'
  const tokens = options.tokens ?? { 'gh-token': ['actions:read', 'contents:read'] }
  const runs = options.runs ?? []

  function authorise(req: RecordedRequest): EmulatorResponse | string {
    // "Authorization: Bearer <token>" or "token <token>" (docs: Authenticating to the REST API).
    const header = req.headers.authorization
    if (header === undefined) return message(401, 'Requires authentication')
    const m = /^(?:token|bearer) (\S+)$/i.exec(String(header))
    const permissions = m ? tokens[m[1]] : undefined
    if (!permissions) return message(401, 'Bad credentials')
    return permissions.join(' ')
  }

  function listRuns(req: RecordedRequest, workflowId: string): EmulatorResponse {
    const auth = authorise(req)
    if (typeof auth !== 'string') return auth
    // A GITHUB_TOKEN without `actions: read` (docs: "Fine-grained access tokens ... Actions repository permissions (read)").
    if (!auth.split(' ').includes('actions:read')) return message(403, 'Resource not accessible by integration')
    // workflow_id: "The ID of the workflow. You can also pass the workflow file name as a string."
    const known = new Set([...(options.workflows ?? []), ...runs.map((r) => r.workflow)])
    if (!known.has(workflowId)) return message(404, 'Not Found')
    const status = req.query.get('status')
    if (status !== null && !STATUS_VALUES.has(status)) return message(422, `Invalid request. ${status} is not a member of the status enum.`)
    // per_page: "The number of results per page (max 100)", default 30. Over the maximum "GitHub
    // does not return an error. Instead, the value is automatically reduced to the maximum"
    // (docs: Using pagination in the REST API, "Changing the number of items per page").
    const perPage = Math.min(100, Number(req.query.get('per_page') ?? '30'))
    const page = Number(req.query.get('page') ?? '1')
    // Not documented: a page or size that is not a positive integer is refused, so a client bug shows.
    if (!Number.isInteger(perPage) || perPage < 1 || !Number.isInteger(page) || page < 1) return message(422, 'Invalid paging')
    const branch = req.query.get('branch')
    const matching = runs
      .filter((r) => r.workflow === workflowId)
      .filter((r) => branch === null || r.head_branch === branch)
      .filter((r) => status === null || r.status === status || r.conclusion === status)
      // most recent first
      .sort((a, b) => b.id - a.id)
    const shown = matching.slice((page - 1) * perPage, page * perPage).map((r) => ({
      id: r.id,
      name: r.workflow.replace(/\.ya?ml$/, ''),
      path: `.github/workflows/${r.workflow}`,
      head_branch: r.head_branch,
      head_sha: r.head_sha,
      event: r.event ?? 'push',
      status: r.status,
      conclusion: r.conclusion,
      head_repository: { full_name: r.head_repository ?? repository },
      repository: { full_name: repository }
    }))
    return { status: 200, body: { total_count: matching.length, workflow_runs: shown } }
  }

  const server = await startServer(
    (req) => {
      const prefix = `/repos/${repository}/actions/workflows/`
      if (req.method === 'GET' && req.path.startsWith(prefix) && req.path.endsWith('/runs')) {
        const workflowId = decodeURIComponent(req.path.slice(prefix.length, -'/runs'.length))
        if (!workflowId.includes('/')) return listRuns(req, workflowId)
      }
      return message(404, 'Not Found')
    },
    { port: options.port }
  )
  return Object.assign(server, { runs })
}
