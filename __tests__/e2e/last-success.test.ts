/**
 * End-to-end `base: last-success`: dist/index.js in a depth-1 clone, GITHUB_API_URL pointed at the
 * GitHub API emulator, against the ztgame emulator. Commits A (deployed) → B (its deploy failed)
 * → C (this run).
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { startGithubEmulator, type GithubEmulator, type GithubRun } from '../../emulators/github.js'
import { runAction } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'
import { commit, git, initRepo, TempDirs } from '../changes/git-fixture.js'

const RULES = "- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://www.example.com/{path}'\n"
const GH_TOKEN = 'ghs_e2eSecretToken123'
const SITE = 'https://www.example.com'

const temp = new TempDirs()
let cdn: ZtgameEmulator | null = null
let github: GithubEmulator | null = null
afterEach(async () => {
  await cdn?.close()
  await github?.close()
  cdn = github = null
  await temp.cleanup()
})

/** The origin with A → B → C, and a depth-1 clone of C. */
async function repository(): Promise<{ work: string; a: string; b: string; c: string }> {
  const origin = await temp.make('origin-')
  await initRepo(origin)
  const a = await commit(origin, { 'public/index.html': 'a', 'public/site.css': '1', 'public/old.html': 'x' })
  const b = await commit(origin, { 'public/b.html': 'b', 'public/site.css': '2', 'public/old.html': null })
  const c = await commit(origin, { 'public/c.html': 'c' })
  const work = join(await temp.make('clone-'), 'work')
  await git(origin, 'clone', '-q', '--depth=1', `file://${origin}`, work)
  return { work, a, b, c }
}

const run = (id: number, head_sha: string, conclusion: string | null, extra: Partial<GithubRun> = {}): GithubRun => ({
  id,
  workflow: 'deploy.yml',
  head_sha,
  head_branch: 'main',
  status: conclusion === null ? 'in_progress' : 'completed',
  conclusion,
  ...extra
})

/** Runs the action at `c` (run 13, on push B → C) with `base: last-success`. */
async function deployAt(work: string, b: string, c: string) {
  cdn = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
  return runAction({
    inputs: { provider: 'ztgame', endpoint: cdn.url, token: 't', 'github-token': GH_TOKEN, base: 'last-success', rules: RULES, 'poll-interval': '0.1' },
    eventName: 'push',
    event: { ref: 'refs/heads/main', before: b, after: c, repository: { full_name: 'octo/site', default_branch: 'main' } },
    workspace: work,
    sha: c,
    env: {
      GITHUB_API_URL: github!.url,
      GITHUB_WORKFLOW_REF: 'octo/site/.github/workflows/deploy.yml@refs/heads/main',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
      GITHUB_RUN_ID: '13'
    }
  })
}

/** The token reaches the runner only to be masked: nowhere else in the log, the summary or the report. */
function expectNoToken(r: { stdout: string; stderr: string; summary: string; report: unknown }): void {
  expect(r.stdout).toContain(`::add-mask::${GH_TOKEN}`)
  const visible = [...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')), r.stderr, r.summary, JSON.stringify(r.report)]
  for (const text of visible) expect(text).not.toContain(GH_TOKEN)
}

describe('base: last-success, end to end', () => {
  it("purges the failed deploy's files with the next run: A deployed, B failed, C purges B's and C's", async () => {
    const { work, a, b, c } = await repository()
    github = await startGithubEmulator({
      tokens: { [GH_TOKEN]: ['actions:read', 'contents:read'] },
      runs: [
        run(13, c, null), // this run
        run(12, b, 'failure'),
        run(11, a, 'success'),
        run(10, 'f'.repeat(40), 'success'),
        run(9, b, 'success', { workflow: 'lint.yml' }),
        run(8, b, 'success', { head_branch: 'feature' })
      ]
    })
    const r = await deployAt(work, b, c)

    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.urls).sort()).toEqual([`${SITE}/b.html`, `${SITE}/c.html`, `${SITE}/old.html`, `${SITE}/site.css`])
    expect(r.stdout).toContain(`'base: last-success' ${a.slice(0, 7)}..${c.slice(0, 7)} (run 11 of deploy.yml on main): git diff`)
    expect(r.stdout).toContain(`git fetch --depth=1 origin ${a}`)
    // one call, the documented path and query, with the token
    expect(github.requests.map((q) => `${q.method} ${q.path}`)).toEqual(['GET /repos/octo/site/actions/workflows/deploy.yml/runs'])
    const [query] = github.requests
    expect(Object.fromEntries(query.query)).toEqual({ branch: 'main', status: 'success', per_page: '10', page: '1' })
    expect(query.headers.authorization).toBe(`token ${GH_TOKEN}`)
    expectNoToken(r)
  }, 120_000)

  it("falls back to the event's diff when there is no successful run yet, saying so", async () => {
    const { work, b, c } = await repository()
    github = await startGithubEmulator({ tokens: { [GH_TOKEN]: ['actions:read'] }, runs: [run(13, c, null), run(12, b, 'failure')] })
    const r = await deployAt(work, b, c)

    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.urls)).toEqual([`${SITE}/c.html`])
    expect(r.stdout).toContain("'base: last-success': no successful run of deploy.yml on main yet (among the 10 most recent); using the event's own diff")
    expect(github.requests).toHaveLength(1)
    expectNoToken(r)
  }, 120_000)

  it("falls back likewise on the workflow's first run, when the API lists no runs at all", async () => {
    const { work, b, c } = await repository()
    github = await startGithubEmulator({ tokens: { [GH_TOKEN]: ['actions:read'] }, workflows: ['deploy.yml'] })
    const r = await deployAt(work, b, c)

    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.urls)).toEqual([`${SITE}/c.html`])
    expect(r.stdout).toContain("'base: last-success': no successful run of deploy.yml on main yet (among the 10 most recent); using the event's own diff")
    expectNoToken(r)
  }, 120_000)

  it('falls back when the run’s commit is gone (a force push): git cannot fetch it, the compare API answers 404', async () => {
    const { work, b, c } = await repository()
    const gone = 'd'.repeat(40)
    github = await startGithubEmulator({ tokens: { [GH_TOKEN]: ['actions:read'] }, runs: [run(11, gone, 'success')] })
    const r = await deployAt(work, b, c)

    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.urls)).toEqual([`${SITE}/c.html`])
    expect(r.stdout).toMatch(
      /'base: last-success': ddddddd is not in the checkout and could not be fetched, and the GitHub compare API failed: Not Found.*; using the event's own diff/
    )
    expect(github.requests.map((q) => q.path)).toEqual(['/repos/octo/site/actions/workflows/deploy.yml/runs', `/repos/octo/site/compare/${gone}...${c}`])
    expectNoToken(r)
  }, 120_000)

  it('falls back when the token lacks actions: read, naming the permission', async () => {
    const { work, b, c } = await repository()
    github = await startGithubEmulator({ tokens: { [GH_TOKEN]: ['contents:read'] }, runs: [run(11, c, 'success')] })
    const r = await deployAt(work, b, c)

    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.urls)).toEqual([`${SITE}/c.html`])
    expect(r.stdout).toMatch(
      /'base: last-success': the GitHub API request for the runs of deploy\.yml on main failed: Resource not accessible by integration.* \(the job needs 'permissions: actions: read'\); using the event's own diff/
    )
    expectNoToken(r)
  }, 120_000)
})
