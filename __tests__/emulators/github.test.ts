/** The GitHub API emulator is as strict as the API about the one call it serves. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { startGithubEmulator, type GithubEmulator } from '../../emulators/github.js'

let emulator: GithubEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
})

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)

async function get(path: string, token: string | null = 'gh-token'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${emulator!.url}${path}`, { headers: token === null ? {} : { Authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json() }
}

describe('GitHub API emulator', () => {
  const RUNS = '/repos/octo/site/actions/workflows/deploy.yml/runs'

  it('lists the runs of a workflow, most recent first, filtered by branch and status or conclusion', async () => {
    emulator = await startGithubEmulator({
      runs: [
        { id: 1, workflow: 'deploy.yml', head_sha: A, head_branch: 'main', status: 'completed', conclusion: 'success' },
        { id: 3, workflow: 'deploy.yml', head_sha: B, head_branch: 'main', status: 'completed', conclusion: 'success' },
        { id: 2, workflow: 'deploy.yml', head_sha: B, head_branch: 'main', status: 'completed', conclusion: 'failure' },
        { id: 4, workflow: 'deploy.yml', head_sha: B, head_branch: 'dev', status: 'completed', conclusion: 'success' },
        { id: 5, workflow: 'other.yml', head_sha: B, head_branch: 'main', status: 'completed', conclusion: 'success' }
      ]
    })
    const r = await get(`${RUNS}?branch=main&status=success&per_page=10&page=1`)
    expect(r.status).toBe(200)
    expect(r.body.total_count).toBe(2)
    expect(r.body.workflow_runs.map((w: { id: number }) => w.id)).toEqual([3, 1])
    expect(r.body.workflow_runs[0]).toMatchObject({ head_sha: B, head_branch: 'main', conclusion: 'success', head_repository: { full_name: 'octo/site' } })
    expect((await get(`${RUNS}?status=completed&per_page=2`)).body.workflow_runs.map((w: { id: number }) => w.id)).toEqual([4, 3])
  })

  it('reduces a per_page over 100 to 100, as GitHub does, instead of refusing it', async () => {
    const runs = Array.from({ length: 105 }, (_, i) => ({
      id: i + 1,
      workflow: 'deploy.yml',
      head_sha: A,
      head_branch: 'main',
      status: 'completed',
      conclusion: 'success'
    }))
    emulator = await startGithubEmulator({ runs })
    const r = await get(`${RUNS}?per_page=500`)
    expect(r.status).toBe(200)
    expect(r.body.total_count).toBe(105)
    expect(r.body.workflow_runs).toHaveLength(100)
    expect((await get(`${RUNS}?per_page=100&page=2`)).body.workflow_runs.map((w: { id: number }) => w.id)).toEqual([5, 4, 3, 2, 1])
  })

  it('lists no runs, not 404, for a workflow that exists but has not run', async () => {
    emulator = await startGithubEmulator({ workflows: ['deploy.yml'] })
    expect(await get(`${RUNS}?branch=main&status=success`)).toMatchObject({ status: 200, body: { total_count: 0, workflow_runs: [] } })
    expect((await get('/repos/octo/site/actions/workflows/missing.yml/runs')).status).toBe(404)
  })

  it('refuses what GitHub refuses', async () => {
    emulator = await startGithubEmulator({
      tokens: { 'gh-token': ['actions:read'], 'no-actions': ['contents:read'] },
      runs: [{ id: 1, workflow: 'deploy.yml', head_sha: A, head_branch: 'main', status: 'completed', conclusion: 'success' }]
    })
    expect(await get(RUNS, null)).toMatchObject({ status: 401, body: { message: 'Requires authentication' } })
    expect(await get(RUNS, 'wrong')).toMatchObject({ status: 401, body: { message: 'Bad credentials' } })
    expect(await get(RUNS, 'no-actions')).toMatchObject({ status: 403, body: { message: 'Resource not accessible by integration' } })
    expect((await get('/repos/octo/site/actions/workflows/missing.yml/runs')).status).toBe(404)
    expect((await get('/repos/octo/other/actions/workflows/deploy.yml/runs')).status).toBe(404)
    expect((await get(`${RUNS}?status=great`)).status).toBe(422)
    expect((await get(`${RUNS}?per_page=0`)).status).toBe(422)
    expect((await get(`/repos/octo/site/compare/${A}...${B}`)).status).toBe(404)
  })
})
