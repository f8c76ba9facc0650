/** The API adapter: lazy loading of @actions/github, request shapes, caps and error mapping. */
import { describe, expect, it, jest } from '@jest/globals'
import type { ApiFile } from '../../src/changes/github-api.js'

/** A fake Octokit recording what it was asked. */
function fakeOctokit(compareFiles: ApiFile[] | Error, pullFiles: ApiFile[] = []) {
  const calls: { method: string; params: Record<string, unknown> }[] = []
  const listFiles = { endpoint: 'pulls.listFiles' }
  const octokit = {
    rest: {
      repos: {
        compareCommitsWithBasehead: async (params: Record<string, unknown>) => {
          calls.push({ method: 'compare', params })
          if (compareFiles instanceof Error) throw compareFiles
          return { data: { files: compareFiles } }
        }
      },
      pulls: { listFiles }
    },
    paginate: async (route: unknown, params: Record<string, unknown>) => {
      calls.push({ method: route === listFiles ? 'paginate pulls.listFiles' : 'paginate ?', params })
      return pullFiles
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
    expect(current.calls).toEqual([{ method: 'compare', params: { owner: 'octo', repo: 'site', basehead: 'aaa...bbb', per_page: 1, page: 1 } }])

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
    expect(current.calls).toEqual([{ method: 'paginate pulls.listFiles', params: { owner: 'octo', repo: 'site', pull_number: 12, per_page: 100 } }])

    current = fakeOctokit(
      [],
      Array.from({ length: 3000 }, (_, i) => ({ filename: `f${i}`, status: 'added' }))
    )
    expect((await (await makeChangesApi('t', 'o', 'r')).pullFiles(1)).mayBeTruncated).toBe(true)
  })
})
