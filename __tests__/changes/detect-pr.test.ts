/** pull_request and pull_request_target events against real temporary git repositories. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { detectChanges } from '../../src/changes/detect.js'
import { ChangeDetectionError } from '../../src/errors.js'
import type { ChangedFile } from '../../src/model.js'
import { commit, fakeApi, git, harness, initRepo, input, sorted, TempDirs } from './git-fixture.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/**
 * origin: main c1 → c2 (c2 changes base-only.txt after the PR branched);
 * pr from c1: p1 adds first.txt, p2 modifies page.html and adds "two words.txt".
 */
let origin: string
let c2: string
let p1: string
let p2: string
beforeEach(async () => {
  origin = await temp.make('origin-')
  await initRepo(origin)
  await commit(origin, { 'page.html': 'v1', 'base-only.txt': 'v1' })
  await git(origin, 'branch', 'pr')
  c2 = await commit(origin, { 'base-only.txt': 'v2' })
  await git(origin, 'checkout', '-q', 'pr')
  p1 = await commit(origin, { 'first.txt': 'first push' })
  p2 = await commit(origin, { 'page.html': 'v2', 'two words.txt': 'second push' })
  await git(origin, 'checkout', '-q', 'main')
})

async function cloneOfPr(depth: 'shallow' | 'full'): Promise<string> {
  const work = join(await temp.make('clone-'), 'work')
  const args = depth === 'shallow' ? ['--depth=1'] : []
  await git(origin, 'clone', '-q', ...args, '--branch', 'pr', `file://${origin}`, work)
  return work
}

const prEvent = (action: string, extra: object = {}, eventName = 'pull_request') => ({
  eventName,
  sha: p2,
  payload: {
    action,
    number: 7,
    pull_request: { number: 7, base: { ref: 'main', sha: c2 }, head: { ref: 'pr', sha: p2 } },
    repository: { default_branch: 'main' },
    ...extra
  }
})

const PR_FILES: ChangedFile[] = [
  { path: 'first.txt', status: 'added' },
  { path: 'page.html', status: 'modified' },
  { path: 'two words.txt', status: 'added' }
]

describe('synchronize', () => {
  it('purges only what this push changed, fetching the missing before commit', async () => {
    const work = await cloneOfPr('shallow')
    const { api, calls } = fakeApi({ pullFiles: { 7: { files: PR_FILES, mayBeTruncated: false } } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, prEvent('synchronize', { before: p1, after: p2 })), h.deps)
    expect(sorted(changes.files)).toEqual([
      { path: 'page.html', status: 'modified' },
      { path: 'two words.txt', status: 'added' }
    ])
    expect(changes.source).toMatch(/^pull_request #7 \(synchronize\) \w+\.\.\w+: git diff /)
    expect(h.logs.join('\n')).toContain(`git fetch --depth=1 origin ${p1}`)
    expect(calls).toEqual([])
  })

  it('uses the compare API when the before commit cannot be fetched', async () => {
    const work = await cloneOfPr('shallow')
    await git(work, 'remote', 'remove', 'origin')
    const pushed: ChangedFile[] = [{ path: 'page.html', status: 'modified' }]
    const { api, calls } = fakeApi({ compare: { [`${p1}...${p2}`]: { files: pushed, mayBeTruncated: false } } })
    const changes = await detectChanges(input(work, prEvent('synchronize', { before: p1, after: p2 })), harness(work, api).deps)
    expect(changes.files).toEqual(pushed)
    expect(calls).toEqual([`compare ${p1}...${p2}`, `compare ${p2}...${p1}`])
  })

  it("falls back to all of the PR's files when the event lacks before/after", async () => {
    const work = await cloneOfPr('shallow')
    const { api, calls } = fakeApi({ pullFiles: { 7: { files: PR_FILES, mayBeTruncated: false } } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, prEvent('synchronize')), h.deps)
    expect(changes.files).toEqual(PR_FILES)
    expect(calls).toEqual(['pullFiles 7'])
    expect(h.logs.join('\n')).toMatch(/no before\/after commits/)
  })
})

describe.each(['opened', 'reopened', 'ready_for_review'])('%s', (action) => {
  it("takes the PR's files from local git when the checkout has history", async () => {
    const work = await cloneOfPr('full')
    const h = harness(work, fakeApi({}).api)
    const changes = await detectChanges(input(work, prEvent(action)), h.deps)
    // base-only.txt changed on main, not in the PR: base...head leaves it out.
    expect(sorted(changes.files)).toEqual(PR_FILES)
    expect(changes.source).toBe(`pull_request #7 (${action}): the pull request's files, git diff ${c2.slice(0, 7)}...${p2.slice(0, 7)}`)
    expect(h.apiRequests()).toBe(0)
  })

  it('asks the pull request files API in a shallow checkout', async () => {
    const work = await cloneOfPr('shallow')
    const { api, calls } = fakeApi({ pullFiles: { 7: { files: PR_FILES, mayBeTruncated: false } } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, prEvent(action)), h.deps)
    expect(changes.files).toEqual(PR_FILES)
    expect(calls).toEqual(['pullFiles 7'])
    expect(changes.source).toMatch(/the pull request's files from the GitHub API \(the checkout is shallow/)
    expect(h.logs.join('\n')).toMatch(/asking the GitHub API for the pull request's files/)
  })
})

describe('pull request files from the API', () => {
  it('fetches base and head and diffs with git when the list may be truncated at 3000 files', async () => {
    const work = await cloneOfPr('shallow')
    const many = Array.from({ length: 3000 }, (_, i): ChangedFile => ({ path: `f${i}.html`, status: 'modified' }))
    const { api, calls } = fakeApi({ pullFiles: { 7: { files: many, mayBeTruncated: true } } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, prEvent('opened')), h.deps)
    expect(calls).toEqual(['pullFiles 7'])
    expect(sorted(changes.files)).toEqual(PR_FILES)
    expect(changes.source).toMatch(/git diff \w+\.\.\.\w+ after fetching depth 10 \(the GitHub API lists at most 3000 files/)
    const log = h.logs.join('\n')
    expect(log).toMatch(/at most 3000 files .*; fetching base and head from origin/)
    expect(log).toMatch(/git fetch --depth=10 origin \w{7} \w{7}: merge base \w{7} found with depth 10/)
  })

  it('fetches base and head and diffs with git when no token is given', async () => {
    const work = await cloneOfPr('shallow')
    const h = harness(work, null)
    const changes = await detectChanges(input(work, prEvent('opened')), h.deps)
    expect(sorted(changes.files)).toEqual(PR_FILES)
    expect(changes.source).toMatch(/after fetching depth 10 \(no 'github-token' is given/)
  })

  it('fetches base and head when the API fails', async () => {
    const work = await cloneOfPr('shallow')
    const { api } = fakeApi({ pullFiles: { 7: new Error('connect ECONNREFUSED 127.0.0.1:443') } })
    const h = harness(work, api)
    const changes = await detectChanges(input(work, prEvent('opened')), h.deps)
    expect(sorted(changes.files)).toEqual(PR_FILES)
    expect(changes.source).toMatch(/\(the GitHub API request failed: connect ECONNREFUSED/)
  })

  it('fails naming github-token and fetch-depth: 0 when there is no token and nothing can be fetched', async () => {
    const work = await cloneOfPr('shallow')
    await git(work, 'remote', 'remove', 'origin')
    const error = await detectChanges(input(work, prEvent('opened')), harness(work, null).deps).catch((e) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toMatch(/no 'github-token'.*git fetch --depth=10 .* failed.*fetch-depth: 0/)
  })

  it('serves pull_request_target the same way', async () => {
    const work = await cloneOfPr('shallow')
    const { api, calls } = fakeApi({ pullFiles: { 7: { files: PR_FILES, mayBeTruncated: false } } })
    const changes = await detectChanges(input(work, prEvent('opened', {}, 'pull_request_target')), harness(work, api).deps)
    expect(changes.files).toEqual(PR_FILES)
    expect(calls).toEqual(['pullFiles 7'])
    expect(changes.source).toMatch(/^pull_request_target #7 \(opened\)/)
  })

  it('uses the API when the head commit is not in a full checkout', async () => {
    const work = await cloneOfPr('full')
    const unknownHead = 'f'.repeat(40)
    const { api, calls } = fakeApi({ pullFiles: { 7: { files: PR_FILES, mayBeTruncated: false } } })
    const event = prEvent('opened')
    event.payload.pull_request.head.sha = unknownHead
    const changes = await detectChanges(input(work, event), harness(work, api).deps)
    expect(calls).toEqual(['pullFiles 7'])
    expect(changes.source).toMatch(/its base or head commit is not in the checkout/)
  })
})
