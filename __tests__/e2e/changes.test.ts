/**
 * End-to-end change detection without the API: dist/index.js in a depth-1 clone of a new branch,
 * with no github-token, against the ztgame emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { runAction } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'
import { commit, git, initRepo, TempDirs, ZERO_SHA } from '../changes/git-fixture.js'

const temp = new TempDirs()
let emulator: ZtgameEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
  await temp.cleanup()
})

describe('a new branch in a depth-1 checkout, no github-token', () => {
  it('deepens to the merge base, maps a name with a newline to %0A and purges every changed file', async () => {
    const origin = await temp.make('origin-')
    await initRepo(origin)
    await commit(origin, { 'public/index.html': '1', 'public/old.css': 'x' })
    await git(origin, 'branch', 'feature')
    // main moves on past the first deepening step (10 commits)
    for (let i = 0; i < 12; i++) await commit(origin, { 'public/main-only.html': String(i) })
    await git(origin, 'checkout', '-q', 'feature')
    const after = await commit(origin, { 'public/a\nb.html': 'odd', 'public/index.html': '2', 'public/old.css': null })
    await git(origin, 'checkout', '-q', 'main')
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', '--branch', 'feature', `file://${origin}`, work)

    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    const r = await runAction({
      inputs: {
        provider: 'ztgame',
        endpoint: emulator.url,
        token: 't',
        'github-token': '',
        rules: "- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://www.example.com/{path}'\n",
        'poll-interval': '0.1'
      },
      eventName: 'push',
      event: { ref: 'refs/heads/feature', before: ZERO_SHA, after, created: true, repository: { full_name: 'octo/site', default_branch: 'main' } },
      workspace: work,
      sha: after
    })

    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.urls).sort()).toEqual([
      'https://www.example.com/a%0Ab.html',
      'https://www.example.com/index.html',
      'https://www.example.com/old.css'
    ])
    expect(r.stdout).toMatch(/no 'github-token' is given for the GitHub compare API; fetching main and \w{7} from origin/)
    expect(r.stdout).toMatch(/git fetch --depth=10 origin main \w{7}: no merge base within depth 10/)
    expect(r.stdout).toMatch(/git fetch --deepen=90 origin main \w{7}: merge base \w{7} found with depth 100/)
    // The raw name never reaches the log: only its URL does.
    expect(r.stdout).not.toContain('a\nb')
  }, 60_000)
})
