/** `base: last-success`: the run context, the look-up over an injected API, and the Octokit call. */
import { describe, expect, it } from '@jest/globals'
import { DetectionTimeoutError, type Deadline } from '../../src/changes/deadline.js'
import {
  findLastSuccess,
  octokitRuns,
  runContext,
  RUNS_PER_PAGE,
  workflowFileFromRef,
  type RunContext,
  type WorkflowRunsApi
} from '../../src/changes/last-success.js'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const CONTEXT: RunContext = { workflowFile: 'deploy.yml', branch: 'main', runId: '900', repository: 'octo/site' }

/** A successful run of octo/site on main, with `fields` changed. */
const run = (id: number, head_sha: string, fields: object = {}) => ({
  id,
  head_sha,
  head_branch: 'main',
  status: 'completed',
  conclusion: 'success',
  head_repository: { full_name: 'octo/site' },
  ...fields
})

/** An API answering `data` (or throwing it), recording what it was asked. */
function api(data: unknown): { api: () => Promise<WorkflowRunsApi>; calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    api: async () => ({
      async successfulRuns(file, branch) {
        calls.push(`${file} ${branch}`)
        if (data instanceof Error) throw data
        return data
      }
    })
  }
}

describe('workflowFileFromRef', () => {
  it.each([
    ['octo/site/.github/workflows/deploy.yml@refs/heads/main', 'deploy.yml'],
    ['octo/site/.github/workflows/Deploy Site.yaml@refs/tags/v1', 'Deploy Site.yaml'],
    ['octo/site/.github/workflows/a@b.yml@refs/heads/x', 'a@b.yml'],
    ['octo/site/.github/workflows/nested/deploy.yml@refs/heads/main', ''],
    ['octo/site/.github/workflows/deploy.yml', ''],
    ['octo/site/other/deploy.yml@refs/heads/main', ''],
    ['octo/site/.github/workflows/bad\n.yml@refs/heads/main', ''],
    ['', '']
  ])('%j → %j', (ref, file) => {
    expect(workflowFileFromRef(ref)).toBe(file)
  })
})

describe('runContext', () => {
  const env = { GITHUB_WORKFLOW_REF: 'octo/site/.github/workflows/deploy.yml@refs/heads/main', GITHUB_RUN_ID: '77', GITHUB_REPOSITORY: 'octo/site' }

  it('a push: the branch from GITHUB_REF_NAME', () => {
    expect(runContext({ ...env, GITHUB_REF_NAME: 'main', GITHUB_REF_TYPE: 'branch', GITHUB_REF: 'refs/heads/main' }, 'push', {})).toEqual({
      workflowFile: 'deploy.yml',
      branch: 'main',
      runId: '77',
      repository: 'octo/site'
    })
  })

  it("a pull request: its head branch, not GITHUB_REF_NAME's '12/merge'", () => {
    const pr = { ...env, GITHUB_REF_NAME: '12/merge', GITHUB_REF: 'refs/pull/12/merge', GITHUB_HEAD_REF: 'feature' }
    expect(runContext(pr, 'pull_request', {}).branch).toBe('feature')
    expect(runContext({ ...env, GITHUB_REF_NAME: '12/merge' }, 'pull_request', { pull_request: { head: { ref: 'topic' } } }).branch).toBe('topic')
  })

  it('a tag is no branch; without GITHUB_REF_NAME the event ref counts', () => {
    expect(runContext({ ...env, GITHUB_REF_NAME: 'v1', GITHUB_REF_TYPE: 'tag', GITHUB_REF: 'refs/tags/v1' }, 'push', {}).branch).toBe('')
    expect(runContext(env, 'push', { ref: 'refs/heads/dev' }).branch).toBe('dev')
    expect(runContext(env, 'push', { ref: 'refs/tags/v1' }).branch).toBe('')
  })
})

describe('findLastSuccess', () => {
  it("takes the most recent successful run's head commit, asking for this workflow on this branch", async () => {
    const fake = api({ total_count: 2, workflow_runs: [run(800, A), run(700, B)] })
    expect(await findLastSuccess(CONTEXT, fake.api)).toEqual({ sha: A, what: 'run 800 of deploy.yml on main' })
    expect(fake.calls).toEqual(['deploy.yml main'])
  })

  it('steps over this run, other branches, other conclusions and runs of a fork', async () => {
    const runs = [
      run(900, A), // this run (a re-run of a successful one)
      run(899, A, { head_branch: 'other' }),
      run(898, A, { conclusion: 'failure' }),
      run(897, A, { head_repository: { full_name: 'mallory/site' } }),
      run(896, A, { head_repository: null }),
      null,
      'junk',
      run(895, B, { head_repository: { full_name: 'Octo/Site' } })
    ]
    expect(await findLastSuccess(CONTEXT, api({ workflow_runs: runs }).api)).toEqual({ sha: B, what: 'run 895 of deploy.yml on main' })
  })

  it(`looks at no more than ${RUNS_PER_PAGE} runs`, async () => {
    // a page of this run's own entries (the API repeats nothing, but the answer is data), then one more
    const runs = [...Array.from({ length: RUNS_PER_PAGE }, () => run(900, A)), run(1, B)]
    const found = await findLastSuccess(CONTEXT, api({ workflow_runs: runs }).api)
    expect(found).toEqual({ fallback: `no successful run of deploy.yml on main yet (among the ${RUNS_PER_PAGE} most recent)` })
  })

  it.each([
    ['short', 'abc1234'],
    ['upper case', 'A'.repeat(40)],
    ['64 hex', 'a'.repeat(64)],
    ['an option', '--output=/tmp/x'],
    ['a number', 1234]
  ])('falls back when the head commit is %s', async (_, sha) => {
    const found = await findLastSuccess(CONTEXT, api({ workflow_runs: [run(800, 'x', { head_sha: sha }), run(700, B)] }).api)
    expect(found).toEqual({ fallback: 'the last successful run (800) of deploy.yml on main names no valid head commit' })
  })

  it.each([
    ['no runs', { total_count: 0, workflow_runs: [] }, 'no successful run of deploy.yml on main yet (among the 10 most recent)'],
    ['no list', { total_count: 0 }, "the GitHub API's answer for the runs of deploy.yml on main holds no list of runs"],
    ['text', '{"workflow_runs": [', "the GitHub API's answer for the runs of deploy.yml on main holds no list of runs"],
    ['null', null, "the GitHub API's answer for the runs of deploy.yml on main holds no list of runs"]
  ])('falls back on an answer with %s', async (_, data, why) => {
    expect(await findLastSuccess(CONTEXT, api(data).api)).toEqual({ fallback: why })
  })

  it('falls back when the API fails, naming the permission on a 403', async () => {
    const forbidden = Object.assign(new Error('Resource not accessible by integration'), { status: 403 })
    expect(await findLastSuccess(CONTEXT, api(forbidden).api)).toEqual({
      fallback:
        "the GitHub API request for the runs of deploy.yml on main failed: Resource not accessible by integration (the job needs 'permissions: actions: read')"
    })
    const down = await findLastSuccess(CONTEXT, api(new Error('connect ECONNREFUSED 127.0.0.1:1')).api)
    expect(down).toEqual({ fallback: 'the GitHub API request for the runs of deploy.yml on main failed: connect ECONNREFUSED 127.0.0.1:1' })
  })

  it('falls back without a token, a workflow file or a branch, asking nothing', async () => {
    let asked = 0
    const none = async () => {
      asked++
      return null
    }
    expect(await findLastSuccess(CONTEXT, none)).toEqual({
      fallback: "no 'github-token' (or no GITHUB_REPOSITORY) to ask the GitHub API for the last successful run"
    })
    expect(asked).toBe(1)
    expect(await findLastSuccess({ ...CONTEXT, workflowFile: '' }, none)).toEqual({ fallback: 'GITHUB_WORKFLOW_REF names no workflow file' })
    expect(await findLastSuccess({ ...CONTEXT, branch: '' }, none)).toEqual({ fallback: 'the run is not on a branch' })
    expect(asked).toBe(1)
  })

  it('lets the deadline end detection instead of falling back', async () => {
    const deadline: Deadline = { at: 0, name: 'the timeout (5 s)', now: () => 1 }
    const cut = new DetectionTimeoutError('the GitHub API request workflow runs of deploy.yml', deadline, true, '')
    await expect(findLastSuccess(CONTEXT, api(cut).api)).rejects.toBe(cut)
  })
})

describe('octokitRuns', () => {
  function fakeOctokit(answer: (params: Record<string, unknown>) => Promise<unknown>) {
    const calls: Record<string, unknown>[] = []
    const octokit = {
      rest: {
        actions: {
          listWorkflowRuns: async (params: Record<string, unknown>) => {
            calls.push(params)
            return { data: await answer(params) }
          }
        }
      }
    }
    return { octokit: octokit as any, calls }
  }

  it('asks for one small page of successful runs of the workflow file on the branch', async () => {
    const fake = fakeOctokit(async () => ({ workflow_runs: [] }))
    expect(await octokitRuns(fake.octokit, 'octo', 'site').successfulRuns('deploy.yml', 'main')).toEqual({ workflow_runs: [] })
    expect(fake.calls).toEqual([
      {
        owner: 'octo',
        repo: 'site',
        workflow_id: 'deploy.yml',
        branch: 'main',
        status: 'success',
        per_page: RUNS_PER_PAGE,
        page: 1,
        request: { signal: expect.any(AbortSignal) }
      }
    ])
  })

  it('gives up after its own timeout, and at the deadline with DetectionTimeoutError', async () => {
    const stalls = fakeOctokit(
      (params) =>
        new Promise((_, reject) => {
          const signal = (params.request as { signal: AbortSignal }).signal
          signal.addEventListener('abort', () => reject(new Error('aborted')))
        })
    )
    const timedOut = await octokitRuns(stalls.octokit, 'o', 'r', 50)
      .successfulRuns('deploy.yml', 'main')
      .catch((e: Error) => e)
    expect((timedOut as Error).message).toBe('workflow runs of deploy.yml: no complete answer within 0.05 s')

    const start = Date.now()
    const deadline: Deadline = { at: start + 50, name: 'the timeout (5 s)', now: () => Date.now() }
    const cut = await octokitRuns(stalls.octokit, 'o', 'r', 60_000, deadline)
      .successfulRuns('deploy.yml', 'main')
      .catch((e: Error) => e)
    expect(cut).toBeInstanceOf(DetectionTimeoutError)
  }, 20_000)
})
