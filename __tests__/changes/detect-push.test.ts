/** Push events against real temporary git repositories (full and depth-1 clones). */
import { afterEach, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { detectChanges } from '../../src/changes/detect.js'
import { NoCommonAncestorError } from '../../src/changes/github-api.js'
import { ChangeDetectionError, InputError } from '../../src/errors.js'
import type { ChangedFile } from '../../src/model.js'
import { commit, fakeApi, git, harness, hasCommit, initRepo, input, sorted, TempDirs, ZERO_SHA } from './git-fixture.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/** The names a push must carry through byte for byte. */
const ODD_NAMES = ['a file.txt', 'new\nline.txt', 'ünïcödé.html', '-dash.txt', '$(id).txt']

/** An origin with two commits: `before` and `after`, which adds, modifies, deletes and renames. */
async function originWithPush(): Promise<{ origin: string; before: string; after: string; expected: ChangedFile[] }> {
  const origin = await temp.make('origin-')
  await initRepo(origin)
  const before = await commit(origin, {
    'keep.txt': 'same',
    'mod.txt': 'one',
    'del.txt': 'bye',
    'old-name.txt': 'moving',
    'link.txt': 'a file that becomes a symlink',
    'docs/index.html': '<p>1</p>'
  })
  const after = await commit(origin, {
    'mod.txt': 'two',
    'del.txt': null,
    'old-name.txt': null,
    'new-name.txt': 'moving',
    'link.txt': { link: 'keep.txt' },
    'docs/index.html': '<p>2</p>',
    ...Object.fromEntries(ODD_NAMES.map((name) => [name, `content of ${name}`]))
  })
  const expected: ChangedFile[] = [
    { path: 'mod.txt', status: 'modified' },
    { path: 'del.txt', status: 'deleted' },
    { path: 'old-name.txt', status: 'deleted' },
    { path: 'new-name.txt', status: 'added' },
    { path: 'link.txt', status: 'modified' },
    { path: 'docs/index.html', status: 'modified' },
    ...ODD_NAMES.map((path): ChangedFile => ({ path, status: 'added' }))
  ]
  return { origin, before, after, expected }
}

async function shallowClone(origin: string): Promise<string> {
  const work = join(await temp.make('clone-'), 'work')
  await git(origin, 'clone', '-q', '--depth=1', `file://${origin}`, work)
  return work
}

const pushEvent = (before: string, after: string, extra: object = {}) => ({
  eventName: 'push',
  sha: after,
  payload: { ref: 'refs/heads/main', before, after, repository: { default_branch: 'main' }, ...extra }
})

describe('push with local history', () => {
  it('diffs before..after with git, every name byte-exact, renames as delete + add', async () => {
    const { origin, before, after, expected } = await originWithPush()
    const h = harness(origin)
    const changes = await detectChanges(input(origin, pushEvent(before, after)), h.deps)
    expect(sorted(changes.files)).toEqual(sorted(expected))
    expect(changes.source).toBe(`push ${before.slice(0, 7)}..${after.slice(0, 7)}: git diff ${before.slice(0, 7)}..${after.slice(0, 7)}`)
    expect(h.apiRequests()).toBe(0)
  })

  it("uses the 'base' input instead of the event's before, diffing base..GITHUB_SHA", async () => {
    const { origin, after } = await originWithPush()
    const third = await commit(origin, { 'third.txt': '3' })
    const h = harness(origin)
    // The event says after..third; base (HEAD~2, the first commit) widens it to first..third.
    const changes = await detectChanges(input(origin, { ...pushEvent(after, third), base: 'HEAD~2' }), h.deps)
    expect(changes.files.map((f) => f.path)).toContain('mod.txt')
    expect(changes.files.map((f) => f.path)).toContain('third.txt')
    expect(changes.source).toMatch(/^'base' input HEAD~2\.\./)
  })

  it("rejects a 'base' that git could read as an option or a range", async () => {
    const { origin, after } = await originWithPush()
    for (const base of ['--output=/tmp/pwned', 'a..b', 'main:file']) {
      const error = await detectChanges(input(origin, { ...pushEvent(after, after), base }), harness(origin).deps).catch((e) => e)
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).input).toBe('base')
    }
  })

  it.each([
    ['deleted: true and an all-zero after', { deleted: true, after: ZERO_SHA }],
    ['an all-zero after alone', { after: ZERO_SHA }],
    ['deleted: true alone', { deleted: true, after: 'c'.repeat(40) }]
  ])("returns nothing, with a reason, for a push that deleted a branch (%s; even with 'base'), without running git", async (_, fields) => {
    const calls: string[][] = []
    const changes = await detectChanges(
      input('/nonexistent', {
        eventName: 'push',
        sha: 'a'.repeat(40),
        payload: { ref: 'refs/heads/gone', before: 'a'.repeat(40), ...fields },
        base: 'main'
      }),
      {
        git: async (args) => {
          calls.push(args)
          return { stdout: '', stderr: '', code: 1 }
        },
        api: async () => null,
        log: () => {}
      }
    )
    expect(changes).toEqual({ files: [], source: 'push deleted refs/heads/gone: nothing to purge' })
    expect(calls).toEqual([])
  })
})

describe('push in a depth-1 clone', () => {
  it('fetches the missing before commit alone and diffs with git', async () => {
    const { origin, before, after, expected } = await originWithPush()
    const work = await shallowClone(origin)
    expect(await hasCommit(work, before)).toBe(false)
    const { api, calls } = fakeApi({})
    const h = harness(work, api)

    const changes = await detectChanges(input(work, pushEvent(before, after)), h.deps)

    expect(sorted(changes.files)).toEqual(sorted(expected))
    expect(changes.source).toMatch(/: git diff /)
    expect(h.logs.join('\n')).toContain(`git fetch --depth=1 origin ${before}`)
    expect(await hasCommit(work, before)).toBe(true)
    // Still shallow: the fetch brought one commit, not its history.
    expect((await git(work, 'rev-parse', '--is-shallow-repository')).trim()).toBe('true')
    expect(calls).toEqual([])
  })

  it('falls back to the compare API when the fetch fails, asking both ways', async () => {
    const { origin, before, after } = await originWithPush()
    const work = await shallowClone(origin)
    await git(work, 'remote', 'remove', 'origin')
    const fromApi: ChangedFile[] = [
      { path: 'mod.txt', status: 'modified' },
      { path: 'new\nline.txt', status: 'added' }
    ]
    const { api, calls } = fakeApi({ compare: { [`${before}...${after}`]: { files: fromApi, mayBeTruncated: false } } })
    const h = harness(work, api)

    const changes = await detectChanges(input(work, pushEvent(before, after)), h.deps)

    expect(changes.files).toEqual(fromApi)
    expect(calls).toEqual([`compare ${before}...${after}`, `compare ${after}...${before}`])
    expect(changes.source).toMatch(/GitHub compare API .*could not be fetched/)
    const log = h.logs.join('\n')
    expect(log).toMatch(/git fetch of \w+ failed: /)
    expect(log).toMatch(/asking the GitHub compare API instead/)
  })

  it('brings back files a force push reverted when only the API can answer', async () => {
    const { origin, before, after } = await originWithPush()
    const work = await shallowClone(origin)
    await git(work, 'remote', 'remove', 'origin')
    const { api } = fakeApi({
      compare: {
        [`${before}...${after}`]: { files: [{ path: 'new.txt', status: 'added' }], mayBeTruncated: false },
        // The old head had added dropped.txt; the forced push no longer has it.
        [`${after}...${before}`]: { files: [{ path: 'dropped.txt', status: 'added' }], mayBeTruncated: false }
      }
    })
    const changes = await detectChanges(input(work, pushEvent(before, after, { forced: true })), harness(work, api).deps)
    expect(changes.files).toEqual([
      { path: 'new.txt', status: 'added' },
      { path: 'dropped.txt', status: 'deleted' }
    ])
  })

  it.each([
    ['forward', true, false],
    ['backward', false, true]
  ])('fails naming fetch-depth: 0 when the %s compare may be truncated', async (_side, forwardFull, backwardFull) => {
    const { origin, before, after } = await originWithPush()
    const work = await shallowClone(origin)
    await git(work, 'remote', 'remove', 'origin')
    const many = Array.from({ length: 300 }, (_, i): ChangedFile => ({ path: `f${i}`, status: 'modified' }))
    const { api } = fakeApi({
      compare: {
        [`${before}...${after}`]: { files: forwardFull ? many : [], mayBeTruncated: forwardFull },
        [`${after}...${before}`]: { files: backwardFull ? many : [], mayBeTruncated: backwardFull }
      }
    })
    const error = await detectChanges(input(work, pushEvent(before, after)), harness(work, api).deps).catch((e) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toContain('fetch-depth: 0')
    expect((error as Error).message).toContain('at most 300 files')
  })

  it('fails naming github-token and fetch-depth: 0 when there is no API to fall back to', async () => {
    const { origin, before, after } = await originWithPush()
    const work = await shallowClone(origin)
    await git(work, 'remote', 'remove', 'origin')
    const error = await detectChanges(input(work, pushEvent(before, after)), harness(work, null).deps).catch((e) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toMatch(/github-token/)
    expect((error as Error).message).toMatch(/fetch-depth: 0/)
  })

  it('turns an API failure into a ChangeDetectionError', async () => {
    const { origin, before, after } = await originWithPush()
    const work = await shallowClone(origin)
    await git(work, 'remote', 'remove', 'origin')
    const { api } = fakeApi({ compare: { [`${before}...${after}`]: new Error('HttpError: Bad credentials') } })
    const error = await detectChanges(input(work, pushEvent(before, after)), harness(work, api).deps).catch((e) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toMatch(/GitHub API request failed: HttpError: Bad credentials/)
  })

  it('explains that unrelated commits cannot be compared through the API', async () => {
    const { origin, before, after } = await originWithPush()
    const work = await shallowClone(origin)
    await git(work, 'remote', 'remove', 'origin')
    const { api } = fakeApi({ compare: { [`${before}...${after}`]: new NoCommonAncestorError(before, after) } })
    const error = await detectChanges(input(work, pushEvent(before, after)), harness(work, api).deps).catch((e) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toMatch(/share no history.*fetch-depth: 0/)
  })
})

describe('push that created a branch (all-zero before)', () => {
  /** origin: main (c1 → c2), feature from c1 (adds, modifies); orphan with unrelated history. */
  async function originWithBranches() {
    const origin = await temp.make('origin-')
    await initRepo(origin)
    await commit(origin, { 'shared.txt': 'v1', 'main-only.txt': 'v1', 'gone.txt': 'x' })
    await git(origin, 'branch', 'feature')
    await commit(origin, { 'main-only.txt': 'v2 on main after the branch' })
    await git(origin, 'checkout', '-q', 'feature')
    const feature = await commit(origin, { 'shared.txt': 'v2 on feature', 'feature.txt': 'new', 'gone.txt': null })
    await git(origin, 'checkout', '-q', '--orphan', 'orphan')
    await git(origin, 'rm', '-rq', '--cached', '.')
    await git(origin, 'clean', '-fdq')
    const orphan = await commit(origin, { 'o 1.txt': '1', 'dir/ö2.txt': '2' }, 'orphan root')
    await git(origin, 'checkout', '-q', 'main')
    return { origin, feature, orphan }
  }

  async function fullCloneAt(origin: string, branch: string): Promise<string> {
    const work = join(await temp.make('full-'), 'work')
    await git(origin, 'clone', '-q', '--branch', branch, `file://${origin}`, work)
    return work
  }

  const created = (branch: string, after: string, defaultBranch: string | null = 'main') => ({
    eventName: 'push',
    sha: after,
    payload: {
      ref: `refs/heads/${branch}`,
      before: ZERO_SHA,
      after,
      created: true,
      repository: defaultBranch ? { default_branch: defaultBranch } : {}
    }
  })

  it('diffs from the merge base with the default branch using local history', async () => {
    const { origin, feature } = await originWithBranches()
    const work = await fullCloneAt(origin, 'feature')
    const h = harness(work)
    const changes = await detectChanges(input(work, created('feature', feature)), h.deps)
    // main-only.txt changed on main after the branch point: not this branch's change.
    expect(sorted(changes.files)).toEqual([
      { path: 'feature.txt', status: 'added' },
      { path: 'gone.txt', status: 'deleted' },
      { path: 'shared.txt', status: 'modified' }
    ])
    expect(changes.source).toMatch(/^push created feature: git diff from its merge base with main/)
    expect(h.apiRequests()).toBe(0)
  })

  it('counts every tracked file as added when the branch shares no history with the default branch', async () => {
    const { origin, orphan } = await originWithBranches()
    const work = await fullCloneAt(origin, 'orphan')
    const h = harness(work)
    const changes = await detectChanges(input(work, created('orphan', orphan)), h.deps)
    expect(sorted(changes.files)).toEqual([
      { path: 'dir/ö2.txt', status: 'added' },
      { path: 'o 1.txt', status: 'added' }
    ])
    expect(changes.source).toMatch(/shares no history with main: every tracked file counts as added \(2 files\)/)
    expect(h.logs.join('\n')).toMatch(/every tracked file counts as added/)
  })

  it('counts every tracked file as added when the event names no default branch', async () => {
    const { origin, feature } = await originWithBranches()
    const work = await fullCloneAt(origin, 'feature')
    const changes = await detectChanges(input(work, created('feature', feature, null)), harness(work).deps)
    expect(sorted(changes.files).map((f) => f.path)).toEqual(['feature.txt', 'main-only.txt', 'shared.txt'])
    expect(changes.files.every((f) => f.status === 'added')).toBe(true)
    expect(changes.source).toMatch(/names no default branch/)
  })

  it('asks the compare API for <default>...<after> in a shallow clone', async () => {
    const { origin, feature } = await originWithBranches()
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', '--branch', 'feature', `file://${origin}`, work)
    const fromApi: ChangedFile[] = [{ path: 'feature.txt', status: 'added' }]
    const { api, calls } = fakeApi({ compare: { [`main...${feature}`]: { files: fromApi, mayBeTruncated: false } } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, created('feature', feature)), h.deps)
    expect(changes.files).toEqual(fromApi)
    expect(calls).toEqual([`compare main...${feature}`])
    expect(changes.source).toMatch(/GitHub compare API main\.\.\.\w+, from its merge base with main \(the checkout is shallow/)
  })

  it('counts every tracked file as added when the API finds no common ancestor', async () => {
    const { origin, orphan } = await originWithBranches()
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', '--branch', 'orphan', `file://${origin}`, work)
    const { api } = fakeApi({ compare: { [`main...${orphan}`]: new NoCommonAncestorError('main', orphan) } })
    const changes = await detectChanges(input(work, created('orphan', orphan)), harness(work, api).deps)
    expect(sorted(changes.files).map((f) => f.path)).toEqual(['dir/ö2.txt', 'o 1.txt'])
  })

  it('fetches history and diffs with git when the API list for a new branch may be truncated', async () => {
    const { origin, feature } = await originWithBranches()
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', '--branch', 'feature', `file://${origin}`, work)
    const { api, calls } = fakeApi({ compare: { [`main...${feature}`]: { files: [], mayBeTruncated: true } } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, created('feature', feature)), h.deps)
    expect(calls).toEqual([`compare main...${feature}`])
    expect(sorted(changes.files)).toEqual([
      { path: 'feature.txt', status: 'added' },
      { path: 'gone.txt', status: 'deleted' },
      { path: 'shared.txt', status: 'modified' }
    ])
    expect(changes.source).toMatch(
      /git diff from its merge base with main, \w+\.\.\w+, after fetching depth 10 \(the GitHub compare API lists at most 300 files/
    )
  })

  it('fails naming github-token and fetch-depth: 0 when neither the API nor a fetch can answer', async () => {
    const { origin, feature } = await originWithBranches()
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', '--branch', 'feature', `file://${origin}`, work)
    await git(work, 'remote', 'remove', 'origin')
    const error = await detectChanges(input(work, created('feature', feature)), harness(work, null).deps).catch((e) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toMatch(/no 'github-token'/)
    expect((error as Error).message).toMatch(/git fetch --depth=10 origin main \w+ failed/)
    expect((error as Error).message).toContain('fetch-depth: 0')
  })
})
