/** `base: last-success` in change detection, against real temporary git repositories. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { detectChanges, type ChangesApi } from '../../src/changes/detect.js'
import { NoCommonAncestorError } from '../../src/changes/github-api.js'
import type { LastSuccess } from '../../src/changes/last-success.js'
import { ChangeDetectionError } from '../../src/errors.js'
import { commit, fakeApi, git, harness, initRepo, input, sorted, TempDirs } from './git-fixture.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/** Commits A (deployed) → B (its deploy failed) → C (this run), each touching its own file. */
async function history(): Promise<{ origin: string; a: string; b: string; c: string }> {
  const origin = await temp.make('origin-')
  await initRepo(origin)
  const a = await commit(origin, { 'a.html': 'a', 'shared.css': '1', 'gone-in-b.html': 'x' })
  const b = await commit(origin, { 'b.html': 'b', 'shared.css': '2', 'gone-in-b.html': null })
  const c = await commit(origin, { 'c.html': 'c' })
  return { origin, a, b, c }
}

async function shallowClone(origin: string): Promise<string> {
  const work = join(await temp.make('clone-'), 'work')
  await git(origin, 'clone', '-q', '--depth=1', `file://${origin}`, work)
  return work
}

const push = (before: string, after: string) => ({
  eventName: 'push',
  sha: after,
  base: 'last-success',
  payload: { ref: 'refs/heads/main', before, after, repository: { default_branch: 'main' } }
})

/** The harness, with `found` as the look-up's answer. */
function withLastSuccess(workspace: string, found: LastSuccess, api: ChangesApi | null = null) {
  const h = harness(workspace, api)
  let lookups = 0
  h.deps.lastSuccess = async () => {
    lookups++
    return found
  }
  return { ...h, lookups: () => lookups }
}

const B_AND_C = [
  { path: 'b.html', status: 'added' },
  { path: 'c.html', status: 'added' },
  { path: 'gone-in-b.html', status: 'deleted' },
  { path: 'shared.css', status: 'modified' }
]

describe("'base: last-success'", () => {
  it("diffs from the last successful run's commit, fetching it into a depth-1 clone: the failed deploy's files are in", async () => {
    const { origin, a, b, c } = await history()
    const work = await shallowClone(origin)
    const h = withLastSuccess(work, { sha: a, what: 'run 5 of deploy.yml on main' })
    const changes = await detectChanges(input(work, push(b, c)), h.deps)
    expect(sorted(changes.files)).toEqual(B_AND_C)
    expect(changes.source).toBe(
      `'base: last-success' ${a.slice(0, 7)}..${c.slice(0, 7)} (run 5 of deploy.yml on main): git diff ${a.slice(0, 7)}..${c.slice(0, 7)}`
    )
    expect(h.logs).toContain(`${a.slice(0, 7)} is not in the checkout; fetching it: git fetch --depth=1 origin ${a}`)
    expect(h.lookups()).toBe(1)
    expect(h.apiRequests()).toBe(0)
  })

  it("with no successful run, uses the event's own diff and says so in one line", async () => {
    const { origin, b, c } = await history()
    const work = await shallowClone(origin)
    const h = withLastSuccess(work, { fallback: 'no successful run of deploy.yml on main yet (among the 10 most recent)' })
    const changes = await detectChanges(input(work, push(b, c)), h.deps)
    expect(changes.files).toEqual([{ path: 'c.html', status: 'added' }])
    expect(h.logs.filter((l) => l.startsWith("'base: last-success'"))).toEqual([
      "'base: last-success': no successful run of deploy.yml on main yet (among the 10 most recent); using the event's own diff"
    ])
    expect(changes.source).toMatch(/^push \w{7}\.\.\w{7}: git diff .* \('base: last-success' found no commit to diff from\)$/)
  })

  it("falls back to the event's diff when the run's commit is gone (force push) and there is no token", async () => {
    const { origin, b, c } = await history()
    const work = await shallowClone(origin)
    const gone = 'd'.repeat(40)
    const h = withLastSuccess(work, { sha: gone, what: 'run 5 of deploy.yml on main' })
    const changes = await detectChanges(input(work, push(b, c)), h.deps)
    expect(changes.files).toEqual([{ path: 'c.html', status: 'added' }])
    expect(h.logs).toContain(
      "'base: last-success': ddddddd is not in the checkout and could not be fetched, and no 'github-token' is given for the compare API; using the event's own diff"
    )
  })

  it('falls back when the compare API does not know the commit either (404)', async () => {
    const { origin, b, c } = await history()
    const work = await shallowClone(origin)
    const gone = 'd'.repeat(40)
    const api = fakeApi({ compare: { [`${gone}...${c}`]: Object.assign(new Error('No commit found for SHA: dddd'), { status: 404 }) } })
    const h = withLastSuccess(work, { sha: gone, what: 'run 5' }, api.api)
    const changes = await detectChanges(input(work, push(b, c)), h.deps)
    expect(changes.files).toEqual([{ path: 'c.html', status: 'added' }])
    expect(api.calls).toEqual([`compare ${gone}...${c}`])
    expect(h.logs).toContain(
      "'base: last-success': ddddddd is not in the checkout and could not be fetched, and the GitHub compare API failed: No commit found for SHA: dddd; using the event's own diff"
    )
  })

  it('falls back when the commit shares no history with GITHUB_SHA', async () => {
    const { origin, b, c } = await history()
    const work = await shallowClone(origin)
    const gone = 'e'.repeat(40)
    const api = fakeApi({ compare: { [`${gone}...${c}`]: new NoCommonAncestorError(gone, c) } })
    const h = withLastSuccess(work, { sha: gone, what: 'run 5' }, api.api)
    const changes = await detectChanges(input(work, push(b, c)), h.deps)
    expect(changes.files).toEqual([{ path: 'c.html', status: 'added' }])
    expect(h.logs).toContain(`'base: last-success': eeeeeee shares no history with ${c.slice(0, 7)}; using the event's own diff`)
  })

  it('outside a checkout, diffs through the compare API both ways', async () => {
    const { a, b, c } = await history()
    const api = fakeApi({
      compare: {
        [`${a}...${c}`]: {
          files: [
            { path: 'b.html', status: 'added' },
            { path: 'c.html', status: 'added' }
          ],
          mayBeTruncated: false
        }
      }
    })
    const h = withLastSuccess('/nonexistent', { sha: a, what: 'run 5' }, api.api)
    const changes = await detectChanges(input('/nonexistent', push(b, c)), h.deps)
    expect(sorted(changes.files)).toEqual([
      { path: 'b.html', status: 'added' },
      { path: 'c.html', status: 'added' }
    ])
    expect(api.calls).toEqual([`compare ${a}...${c}`, `compare ${c}...${a}`])
  })

  it('refuses a compare list that may be cut, rather than fall back to a smaller diff', async () => {
    const { a, b, c } = await history()
    const api = fakeApi({ compare: { [`${a}...${c}`]: { files: [], mayBeTruncated: true } } })
    const h = withLastSuccess('/nonexistent', { sha: a, what: 'run 5' }, api.api)
    const error = await detectChanges(input('/nonexistent', push(b, c)), h.deps).catch((e: Error) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toContain('the GitHub compare API lists at most 300 files')
  })

  it('an event without a diff of its own: the fall-back is an error naming the fix', async () => {
    const { origin, c } = await history()
    const h = withLastSuccess(origin, { fallback: 'no successful run of deploy.yml on main yet' })
    const error = await detectChanges(input(origin, { eventName: 'workflow_dispatch', sha: c, base: 'last-success' }), h.deps).catch((e: Error) => e)
    expect(error).toBeInstanceOf(ChangeDetectionError)
    expect((error as Error).message).toBe(
      "'base: last-success': no successful run of deploy.yml on main yet, and the 'workflow_dispatch' event carries no list of changed files. Give 'files', 'urls', or a commit as 'base'."
    )
  })

  it('a workflow_dispatch run diffs from the last success like a push', async () => {
    const { origin, a, c } = await history()
    const h = withLastSuccess(origin, { sha: a, what: 'run 5' })
    const changes = await detectChanges(input(origin, { eventName: 'workflow_dispatch', sha: c, base: 'last-success' }), h.deps)
    expect(sorted(changes.files)).toEqual(B_AND_C)
  })

  it('a push deleting the branch looks nothing up', async () => {
    const { origin, c } = await history()
    const h = withLastSuccess(origin, { sha: c, what: 'run 5' })
    const changes = await detectChanges(input(origin, { ...push(c, '0'.repeat(40)), sha: c }), h.deps)
    expect(changes.files).toEqual([])
    expect(h.lookups()).toBe(0)
  })

  it("'files' wins over it, and nothing is looked up", async () => {
    const { origin, b, c } = await history()
    const h = withLastSuccess(origin, { sha: c, what: 'run 5' })
    const changes = await detectChanges(input(origin, { ...push(b, c), files: ['c.html'] }), h.deps)
    expect(changes.files).toEqual([{ path: 'c.html', status: 'modified' }])
    expect(h.lookups()).toBe(0)
  })
})
