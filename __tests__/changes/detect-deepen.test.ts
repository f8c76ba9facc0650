/**
 * Change detection without the API: a depth-1 clone fetches history in bounded steps until git
 * finds the merge base, for a new branch and for a pull request; and file names with control
 * characters go through detection and the plan like any other.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { detectChanges } from '../../src/changes/detect.js'
import { fetchToMergeBase, type GitResult } from '../../src/changes/git.js'
import type { ChangedFile } from '../../src/model.js'
import { buildPlan } from '../../src/plan/plan.js'
import { parseRules } from '../../src/plan/rules.js'
import { commit, fakeApi, git, harness, initRepo, input, sorted, TempDirs, ZERO_SHA } from './git-fixture.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())
/** The origin, built once: the tests only clone it. */
const shared = new TempDirs()
afterAll(() => shared.cleanup())

/** How many files the branch adds: more than the compare API's 300. */
const ADDED = 350
/** Commits on main after the branch left it: more than the first deepening step (10). */
const MAIN_AHEAD = 25

/**
 * origin: main c0 → fork point → MAIN_AHEAD commits touching main-only.txt; feature from the
 * fork point: adds ADDED pages, modifies shared.txt, deletes old.txt, in three commits; orphan:
 * a branch with history of its own.
 */
async function originWithWideBranch(): Promise<{ origin: string; feature: string; orphan: string; expected: ChangedFile[] }> {
  const origin = await shared.make('origin-')
  await initRepo(origin)
  await commit(origin, { 'shared.txt': 'v1', 'old.txt': 'x', 'main-only.txt': '0' })
  await commit(origin, { 'shared.txt': 'v1.1' }, 'fork point')
  await git(origin, 'branch', 'feature')
  for (let i = 1; i <= MAIN_AHEAD; i++) await commit(origin, { 'main-only.txt': String(i) })
  await git(origin, 'checkout', '-q', 'feature')
  const pages = Object.fromEntries(Array.from({ length: ADDED }, (_, i) => [`site/p${i}.html`, `page ${i}`]))
  await commit(origin, pages)
  await commit(origin, { 'shared.txt': 'v2 on feature' })
  const feature = await commit(origin, { 'old.txt': null })
  await git(origin, 'checkout', '-q', '--orphan', 'orphan')
  await git(origin, 'rm', '-rq', '--cached', '.')
  await git(origin, 'clean', '-fdq')
  const orphan = await commit(origin, { 'o.txt': '1', 'dir/p.html': '2' }, 'orphan root')
  await git(origin, 'checkout', '-q', 'main')
  const expected: ChangedFile[] = [
    ...Object.keys(pages).map((path): ChangedFile => ({ path, status: 'added' })),
    { path: 'shared.txt', status: 'modified' },
    { path: 'old.txt', status: 'deleted' }
  ]
  return { origin, feature, orphan, expected }
}

let fixture: Awaited<ReturnType<typeof originWithWideBranch>>
beforeAll(async () => {
  fixture = await originWithWideBranch()
}, 60_000)

async function depthOneClone(origin: string, branch: string): Promise<string> {
  const work = join(await temp.make('clone-'), 'work')
  await git(origin, 'clone', '-q', '--depth=1', '--branch', branch, `file://${origin}`, work)
  return work
}

const created = (branch: string, after: string) =>
  input('', {
    eventName: 'push',
    sha: after,
    payload: { ref: `refs/heads/${branch}`, before: ZERO_SHA, after, created: true, repository: { default_branch: 'main' } }
  })

const isShallow = async (dir: string) => (await git(dir, 'rev-parse', '--is-shallow-repository')).trim() === 'true'

describe('a new branch pushed into a depth-1 checkout', () => {
  it('deepens to the merge base and diffs with git when the API is unreachable, past 300 files', async () => {
    const { origin, feature, expected } = fixture
    const work = await depthOneClone(origin, 'feature')
    const { api, calls } = fakeApi({ compare: { [`main...${feature}`]: new Error('connect ECONNREFUSED 10.0.0.1:443') } })
    const h = harness(work, api)

    const changes = await detectChanges({ ...created('feature', feature), workspace: work }, h.deps)

    expect(calls).toEqual([`compare main...${feature}`])
    expect(changes.files).toHaveLength(ADDED + 2)
    // main-only.txt changed on main after the fork point: not this branch's change.
    expect(sorted(changes.files)).toEqual(sorted(expected))
    expect(changes.source).toMatch(
      /^push created feature: git diff from its merge base with main, \w{7}\.\.\w{7}, after fetching depth 100 \(the GitHub compare API request failed: connect ECONNREFUSED/
    )
    const log = h.logs.join('\n')
    expect(log).toMatch(/asking the GitHub compare API for the merge base with main \(one request\)/)
    expect(log).toMatch(/the GitHub compare API request failed: connect ECONNREFUSED .*; fetching main and \w{7} from origin, deeper at each step/)
    expect(log).toMatch(/git fetch --depth=10 origin main \w{7}: no merge base within depth 10/)
    expect(log).toMatch(/git fetch --deepen=90 origin main \w{7}: merge base \w{7} found with depth 100/)
    // Bounded: it stopped at the step that found the merge base.
    expect(log).not.toMatch(/--deepen=900|--unshallow|git fetch origin/)
  })

  it('goes to git directly when no token is given, and says so', async () => {
    const { origin, feature, expected } = fixture
    const work = await depthOneClone(origin, 'feature')
    const h = harness(work, null)
    const changes = await detectChanges({ ...created('feature', feature), workspace: work }, h.deps)
    expect(sorted(changes.files)).toEqual(sorted(expected))
    expect(changes.source).toMatch(/after fetching depth 100 \(no 'github-token' is given for the GitHub compare API\)$/)
    expect(h.logs.join('\n')).not.toMatch(/asking the GitHub/)
  })

  it('replaces a compare answer capped at 300 files with the full list from git', async () => {
    const { origin, feature, expected } = fixture
    const work = await depthOneClone(origin, 'feature')
    const capped = expected.slice(0, 300)
    const { api } = fakeApi({ compare: { [`main...${feature}`]: { files: capped, mayBeTruncated: true } } })
    const h = harness(work, api)
    const changes = await detectChanges({ ...created('feature', feature), workspace: work }, h.deps)
    expect(sorted(changes.files)).toEqual(sorted(expected))
    expect(changes.source).toMatch(/\(the GitHub compare API lists at most 300 files and this comparison reached that limit\)$/)
  })

  it('takes a complete API answer without fetching anything', async () => {
    const { origin, feature } = fixture
    const work = await depthOneClone(origin, 'feature')
    const fromApi: ChangedFile[] = [{ path: 'shared.txt', status: 'modified' }]
    const { api } = fakeApi({ compare: { [`main...${feature}`]: { files: fromApi, mayBeTruncated: false } } })
    const h = harness(work, api)
    const changes = await detectChanges({ ...created('feature', feature), workspace: work }, h.deps)
    expect(changes.files).toEqual(fromApi)
    expect(changes.source).toMatch(/GitHub compare API main\.\.\.\w{7}/)
    expect(h.logs.join('\n')).not.toMatch(/git fetch/)
    expect(await git(work, 'for-each-ref', 'refs/remotes/origin/main')).toBe('')
  })

  it('fetches the whole history before counting an unrelated branch as all new', async () => {
    const { origin, orphan } = fixture
    const work = await depthOneClone(origin, 'orphan')
    const h = harness(work, null)
    const changes = await detectChanges({ ...created('orphan', orphan), workspace: work }, h.deps)
    expect(sorted(changes.files)).toEqual([
      { path: 'dir/p.html', status: 'added' },
      { path: 'o.txt', status: 'added' }
    ])
    expect(changes.source).toMatch(/shares no history with main: every tracked file counts as added \(2 files\)/)
    const log = h.logs.join('\n')
    // The fixture's history is short: complete after --deepen=900, so the last fetch needs no --unshallow.
    for (const step of ['--depth=10 ', '--deepen=90 ', '--deepen=900 ', '']) expect(log).toContain(`git fetch ${step}origin main`)
    expect(log).toMatch(/no merge base within the full history/)
    expect(await isShallow(work)).toBe(false)
  })

  it('fetches the default branch once, without a depth, into a full single-branch clone', async () => {
    const { origin, feature, expected } = fixture
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--single-branch', '--branch', 'feature', `file://${origin}`, work)
    const h = harness(work, null)
    const changes = await detectChanges({ ...created('feature', feature), workspace: work }, h.deps)
    expect(sorted(changes.files)).toEqual(sorted(expected))
    expect(changes.source).toMatch(/after fetching the full history/)
    expect(h.logs.join('\n')).toMatch(/git fetch origin main \w{7}: merge base/)
    // A depth would have made the full clone shallow.
    expect(await isShallow(work)).toBe(false)
  })
})

describe('fetchToMergeBase steps', () => {
  /** A git that is shallow until --unshallow, fetches fine, and finds a merge base only at `foundAt`. */
  function scriptedGit(foundAt: string | null, shallow = true) {
    const fetches: string[] = []
    let isShallow = shallow
    let lastDepth = ''
    const ok = (stdout = ''): GitResult => ({ stdout, stderr: '', code: 0 })
    const runner = async (args: string[]): Promise<GitResult> => {
      if (args[0] === 'rev-parse' && args[1] === '--is-shallow-repository') return ok(`${isShallow}\n`)
      if (args[0] === 'rev-parse') return ok('a'.repeat(40))
      if (args[0] === 'fetch') {
        fetches.push(args.join(' '))
        const depth = args.find((a) => a.startsWith('--depth=') || a.startsWith('--deepen=') || a === '--unshallow')
        lastDepth = depth ?? 'plain'
        if (depth === '--unshallow') isShallow = false
        return ok()
      }
      if (args[0] === 'merge-base') return lastDepth === foundAt ? ok('b'.repeat(40)) : { stdout: '', stderr: '', code: 1 }
      throw new Error(`unexpected git ${args.join(' ')}`)
    }
    return { runner, fetches }
  }

  const sha = 'c'.repeat(40)
  const refspecs = `origin +refs/heads/main:refs/remotes/origin/main ${sha}`

  it.each([
    ['--depth=10', ['--depth=10']],
    ['--deepen=90', ['--depth=10', '--deepen=90']],
    ['--deepen=900', ['--depth=10', '--deepen=90', '--deepen=900']],
    ['--unshallow', ['--depth=10', '--deepen=90', '--deepen=900', '--unshallow']],
    [null, ['--depth=10', '--deepen=90', '--deepen=900', '--unshallow']]
  ])('stops at the step that finds the merge base (%s)', async (foundAt, steps) => {
    const { runner, fetches } = scriptedGit(foundAt)
    const found = await fetchToMergeBase(runner, { branch: 'main' }, { sha }, () => {})
    expect(fetches).toEqual(steps.map((step) => `fetch --no-tags --no-recurse-submodules ${step} ${refspecs}`))
    expect(found).toMatchObject({ mergeBase: foundAt === null ? null : 'b'.repeat(40) })
  })

  it('fetches once without a depth in a full checkout', async () => {
    const { runner, fetches } = scriptedGit('plain', false)
    const found = await fetchToMergeBase(runner, { branch: 'main' }, { sha }, () => {})
    expect(fetches).toEqual([`fetch --no-tags --no-recurse-submodules ${refspecs}`])
    expect(found).toMatchObject({ depth: 'the full history', mergeBase: 'b'.repeat(40) })
  })

  it('stops at the first failed fetch with git’s reason', async () => {
    const fetches: string[] = []
    const runner = async (args: string[]): Promise<GitResult> => {
      if (args[0] === 'fetch') {
        fetches.push(args.join(' '))
        return { stdout: '', stderr: "fatal: unable to access 'https://ghe.example.com/o/r/': Could not resolve host\nmore", code: 128 }
      }
      return { stdout: 'true\n', stderr: '', code: 0 }
    }
    const found = await fetchToMergeBase(runner, { sha: 'd'.repeat(40) }, { sha }, () => {})
    expect(fetches).toHaveLength(1)
    expect(found).toEqual({
      error: `git fetch --depth=10 origin ddddddd ccccccc failed: fatal: unable to access 'https://ghe.example.com/o/r/': Could not resolve host`
    })
  })
})

describe('a file name with a control character', () => {
  it('is diffed from a push and maps to %0A while the other files map too', async () => {
    const origin = await temp.make('origin-')
    await initRepo(origin)
    const before = await commit(origin, { 'public/index.html': '1' })
    const after = await commit(origin, { 'public/a\nb.html': 'x', 'public/tab\there.css': 'y', 'public/index.html': '2', 'public/plain.js': 'z' })
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', `file://${origin}`, work)
    const h = harness(work, null)
    const changes = await detectChanges(
      input(work, { eventName: 'push', sha: after, payload: { ref: 'refs/heads/main', before, after, repository: { default_branch: 'main' } } }),
      h.deps
    )
    expect(changes.files.map((f) => f.path)).toContain('public/a\nb.html')
    // Nothing detection logs carries the raw name.
    expect(h.logs.join('\n')).not.toContain('a\nb')
    const rules = parseRules("- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://cdn.example.com/{path}'\n")
    const { plan } = buildPlan(changes.files, rules, 'purge')
    expect(plan.purgeUrls.sort()).toEqual([
      'https://cdn.example.com/a%0Ab.html',
      'https://cdn.example.com/index.html',
      'https://cdn.example.com/plain.js',
      'https://cdn.example.com/tab%09here.css'
    ])
  })
})
