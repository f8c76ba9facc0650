/** The `files` and `base` inputs, and events that carry no change list. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { detectChanges, type DetectDeps } from '../../src/changes/detect.js'
import type { GitRunner } from '../../src/changes/git.js'
import { InputError } from '../../src/errors.js'
import { commit, git, harness, initRepo, input, TempDirs } from './git-fixture.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/** Deps that record whether git or the API was touched at all. */
function untouchable(): { deps: DetectDeps; gitCalls: string[][]; apiCalls: () => number } {
  const gitCalls: string[][] = []
  let apiCalls = 0
  const git: GitRunner = async (args) => {
    gitCalls.push(args)
    return { stdout: '', stderr: 'not expected', code: 128 }
  }
  return {
    gitCalls,
    apiCalls: () => apiCalls,
    deps: {
      git,
      api: async () => {
        apiCalls++
        return null
      },
      log: () => {}
    }
  }
}

describe('events without a change list', () => {
  it.each(['workflow_dispatch', 'schedule', 'release', 'repository_dispatch'])("%s without 'base' asks for files, urls or base", async (eventName) => {
    const { deps, gitCalls, apiCalls } = untouchable()
    const error = await detectChanges(input('/nonexistent', { eventName, sha: 'a'.repeat(40) }), deps).catch((e) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('base')
    const message = (error as Error).message
    expect(message).toContain(`'${eventName}' event carries no list of changed files`)
    for (const name of ["'files'", "'urls'", "'base'"]) expect(message).toContain(name)
    expect(gitCalls).toEqual([])
    expect(apiCalls()).toBe(0)
  })

  it("workflow_dispatch with 'base' diffs base..GITHUB_SHA", async () => {
    const repo = await temp.make('repo-')
    await initRepo(repo)
    const first = await commit(repo, { 'a.html': '1', 'b.html': '1' })
    await commit(repo, { 'a.html': '2' })
    const head = await commit(repo, { 'b.html': null, 'c.html': '3' })
    const h = harness(repo)
    const changes = await detectChanges(input(repo, { eventName: 'workflow_dispatch', sha: head, base: first }), h.deps)
    expect(changes.files).toEqual([
      { path: 'a.html', status: 'modified' },
      { path: 'b.html', status: 'deleted' },
      { path: 'c.html', status: 'added' }
    ])
    expect(changes.source).toBe(`'base' input ${first.slice(0, 7)}..${head.slice(0, 7)}: git diff ${first.slice(0, 7)}..${head.slice(0, 7)}`)
  })

  it("workflow_dispatch with a branch name as 'base'", async () => {
    const repo = await temp.make('repo-')
    await initRepo(repo)
    await commit(repo, { 'a.html': '1', 'old.html': 'o' })
    await git(repo, 'branch', 'release')
    await commit(repo, { 'a.html': '2' })
    const head = await commit(repo, { 'new.html': 'n', 'old.html': null })
    const changes = await detectChanges(input(repo, { eventName: 'workflow_dispatch', sha: head, base: 'release' }), harness(repo).deps)
    expect(changes.files).toEqual([
      { path: 'a.html', status: 'modified' },
      { path: 'new.html', status: 'added' },
      { path: 'old.html', status: 'deleted' }
    ])
  })
})

describe("the 'files' input", () => {
  it('takes precedence over the event and never runs git or the API', async () => {
    const { deps, gitCalls, apiCalls } = untouchable()
    const dir = await temp.make('plain-')
    const changes = await detectChanges(
      input(dir, { eventName: 'push', payload: { before: 'garbage', after: 'garbage' }, files: ['./a.html', 'b c.html'], base: 'main' }),
      deps
    )
    expect(changes.files).toEqual([
      { path: 'a.html', status: 'modified' },
      { path: 'b c.html', status: 'modified' }
    ])
    expect(changes.source).toMatch(/not a git checkout, so all count as modified/)
    expect(gitCalls).toEqual([])
    expect(apiCalls()).toBe(0)
  })

  it('says 1 file, not 1 file(s)', async () => {
    const { deps } = untouchable()
    const dir = await temp.make('plain-')
    const changes = await detectChanges(input(dir, { eventName: 'workflow_dispatch', files: ['a.html'] }), deps)
    expect(changes.source).toMatch(/^'files' input: 1 file; /)
  })

  it('counts files missing from a git checkout as deleted', async () => {
    const repo = await temp.make('repo-')
    await initRepo(repo)
    await commit(repo, { 'here.html': 'x', 'sub/-dash.html': 'y', 'ü $(id).html': 'z' })
    await mkdir(join(repo, 'untracked'), { recursive: true })
    await writeFile(join(repo, 'untracked/file.css'), 'not committed but present')
    const { deps } = harness(repo)
    const changes = await detectChanges(
      input(repo, {
        eventName: 'workflow_dispatch',
        files: ['here.html', './sub/-dash.html', 'ü $(id).html', 'gone.html', 'untracked/file.css', 'sub/missing.js']
      }),
      deps
    )
    expect(changes.files).toEqual([
      { path: 'here.html', status: 'modified' },
      { path: 'sub/-dash.html', status: 'modified' },
      { path: 'ü $(id).html', status: 'modified' },
      { path: 'gone.html', status: 'deleted' },
      { path: 'untracked/file.css', status: 'modified' },
      { path: 'sub/missing.js', status: 'deleted' }
    ])
    expect(changes.source).toBe("'files' input: 6 files; 2 not in the checkout, counted as deleted")
  })

  it.each([
    ['/abs/path.html', /absolute path/],
    ['../up.html', /'\.\.' segment/],
    ['dir\\file.html', /backslash/]
  ])('rejects %j on the files input', async (bad, message) => {
    const { deps } = untouchable()
    const error = await detectChanges(input('/nonexistent', { files: ['fine.html', bad] }), deps).catch((e) => e)
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('files')
    expect((error as Error).message).toMatch(message)
  })
})
