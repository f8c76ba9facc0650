/** The API adapter: lazy loading of @actions/github, request shapes, caps and error mapping. */
import { describe, expect, it, jest } from '@jest/globals'
import type { ApiFile } from '../../src/changes/github-api.js'

/** A fake Octokit recording what it was asked; `pullFiles` is served 100 per page. */
function fakeOctokit(compareFiles: ApiFile[] | Error | { data: unknown }, pullFiles: ApiFile[] | { data: unknown } = []) {
  const calls: { method: string; params: Record<string, unknown> }[] = []
  const octokit = {
    rest: {
      repos: {
        compareCommitsWithBasehead: async (params: Record<string, unknown>) => {
          calls.push({ method: 'compare', params })
          if (compareFiles instanceof Error) throw compareFiles
          return Array.isArray(compareFiles) ? { data: { files: compareFiles } } : compareFiles
        }
      },
      pulls: {
        listFiles: async (params: Record<string, unknown>) => {
          calls.push({ method: 'pulls.listFiles', params })
          if (!Array.isArray(pullFiles)) return pullFiles
          const page = params.page as number
          return { data: pullFiles.slice((page - 1) * 100, page * 100) }
        }
      }
    }
  }
  return { octokit, calls }
}

let loaded = 0
let current = fakeOctokit([])
const getOctokit = jest.fn((_token: string) => current.octokit)
jest.unstable_mockModule('@actions/github', () => {
  loaded++
  return { getOctokit }
})

const { makeChangesApi, NoCommonAncestorError } = await import('../../src/changes/github-api.js')

describe('makeChangesApi', () => {
  it('loads @actions/github only when the API is first needed', async () => {
    expect(loaded).toBe(0)
    current = fakeOctokit([{ filename: 'a', status: 'added' }])
    await makeChangesApi('t0ken', 'octo', 'site')
    expect(loaded).toBe(1)
    expect(getOctokit).toHaveBeenCalledWith('t0ken')
  })

  it('compares base...head, mapping renames and flagging 300 files as possibly truncated', async () => {
    current = fakeOctokit([
      { filename: 'new.html', status: 'renamed', previous_filename: 'old.html' },
      { filename: 'same.html', status: 'unchanged' }
    ])
    const api = await makeChangesApi('t', 'octo', 'site')
    const list = await api.compare('aaa', 'bbb')
    expect(list).toEqual({
      files: [
        { path: 'old.html', status: 'deleted' },
        { path: 'new.html', status: 'added' }
      ],
      mayBeTruncated: false
    })
    expect(current.calls).toEqual([
      { method: 'compare', params: { owner: 'octo', repo: 'site', basehead: 'aaa...bbb', per_page: 1, page: 1, request: { signal: expect.any(AbortSignal) } } }
    ])

    current = fakeOctokit(Array.from({ length: 300 }, (_, i) => ({ filename: `f${i}`, status: 'modified' })))
    const full = await (await makeChangesApi('t', 'octo', 'site')).compare('aaa', 'bbb')
    expect(full.mayBeTruncated).toBe(true)
    current = fakeOctokit(Array.from({ length: 299 }, (_, i) => ({ filename: `f${i}`, status: 'modified' })))
    const under = await (await makeChangesApi('t', 'octo', 'site')).compare('aaa', 'bbb')
    expect(under.mayBeTruncated).toBe(false)
  })

  it('turns 404 "No common ancestor" into NoCommonAncestorError and passes other errors on', async () => {
    current = fakeOctokit(Object.assign(new Error('No common ancestor between main and abc.'), { status: 404 }))
    const api = await makeChangesApi('t', 'octo', 'site')
    await expect(api.compare('main', 'abc')).rejects.toBeInstanceOf(NoCommonAncestorError)

    current = fakeOctokit(Object.assign(new Error('Not Found'), { status: 404 }))
    const other = await makeChangesApi('t', 'octo', 'site')
    const error = await other.compare('main', 'abc').catch((e) => e)
    expect(error).not.toBeInstanceOf(NoCommonAncestorError)
    expect((error as Error).message).toBe('Not Found')
  })

  it('pages through pull request files, 100 at a time, flagging 3000 as possibly truncated', async () => {
    const signal = expect.any(AbortSignal)
    current = fakeOctokit(
      [],
      [
        { filename: 'x y.html', status: 'modified' },
        { filename: 'gone', status: 'removed' }
      ]
    )
    const api = await makeChangesApi('t', 'octo', 'site')
    expect(await api.pullFiles(12)).toEqual({
      files: [
        { path: 'x y.html', status: 'modified' },
        { path: 'gone', status: 'deleted' }
      ],
      mayBeTruncated: false
    })
    expect(current.calls).toEqual([
      { method: 'pulls.listFiles', params: { owner: 'octo', repo: 'site', pull_number: 12, per_page: 100, page: 1, request: { signal } } }
    ])

    current = fakeOctokit(
      [],
      Array.from({ length: 250 }, (_, i) => ({ filename: `f${i}`, status: 'added' }))
    )
    const some = await (await makeChangesApi('t', 'o', 'r')).pullFiles(1)
    expect(some.files).toHaveLength(250)
    expect(some.mayBeTruncated).toBe(false)
    expect(current.calls.map((c) => c.params.page)).toEqual([1, 2, 3])

    // 3000 is the cap: the 30th page is the last one asked for, and the list may be cut.
    current = fakeOctokit(
      [],
      Array.from({ length: 3100 }, (_, i) => ({ filename: `f${i}`, status: 'added' }))
    )
    const capped = await (await makeChangesApi('t', 'o', 'r')).pullFiles(1)
    expect(capped.files).toHaveLength(3000)
    expect(capped.mayBeTruncated).toBe(true)
    expect(current.calls).toHaveLength(30)
  })

  it.each([
    ['an empty string (a body cut off)', ''],
    ['null', null],
    ['an object without files', { status: 'ahead' }],
    ['partial JSON text', '{"files": [']
  ])('refuses a compare answer that is %s rather than reading it as no files', async (_, data) => {
    current = fakeOctokit({ data })
    const error = await (await makeChangesApi('t', 'octo', 'site')).compare('main', 'abc').catch((e: Error) => e)
    expect((error as Error).message).toBe('compare main...abc: the answer holds no file list')
  })

  it('refuses a pull request files page that is not a list', async () => {
    current = fakeOctokit([], { data: '' })
    const error = await (await makeChangesApi('t', 'octo', 'site')).pullFiles(3).catch((e: Error) => e)
    expect((error as Error).message).toBe('pull request 3 files, page 1: the answer holds no file list')
  })
})
