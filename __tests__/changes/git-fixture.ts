/** Real temporary git repositories and fakes for the change-detection tests. */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { ChangesApi, DetectDeps, DetectInput } from '../../src/changes/detect.js'
import { makeGitRunner } from '../../src/changes/git.js'
import type { ApiFileList } from '../../src/changes/github-api.js'
import type { ChangedFile } from '../../src/model.js'

const run = promisify(execFile)

export const ZERO_SHA = '0'.repeat(40)

/** Git for building fixtures, independent of the user's configuration. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com'
    }
  })
  return stdout
}

/** Temporary directories, removed by `cleanup()` (call it in afterEach/afterAll). */
export class TempDirs {
  private dirs: string[] = []

  async make(prefix = 'changes-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `cdn-purge-${prefix}`))
    this.dirs.push(dir)
    return dir
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.map((dir) => rm(dir, { recursive: true, force: true })))
    this.dirs = []
  }
}

/** A file's new content, `null` to delete it, or `{ link }` to make it a symlink. */
export type FileChange = string | null | { link: string }

export async function writeTree(dir: string, files: Record<string, FileChange>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path)
    if (content === null) {
      await unlink(full)
      continue
    }
    await mkdir(dirname(full), { recursive: true })
    if (typeof content === 'string') {
      await writeFile(full, content)
    } else {
      await rm(full, { force: true })
      await symlink(content.link, full)
    }
  }
}

/** Applies the changes, commits everything and returns the new commit's SHA. */
export async function commit(dir: string, files: Record<string, FileChange>, message = 'change'): Promise<string> {
  await writeTree(dir, files)
  await git(dir, 'add', '-A')
  await git(dir, 'commit', '-q', '--allow-empty', '-m', message)
  return (await git(dir, 'rev-parse', 'HEAD')).trim()
}

/** A new repository on `main` that allows fetching any commit by SHA, as GitHub does. */
export async function initRepo(dir: string): Promise<void> {
  await git(dir, 'init', '-q', '-b', 'main')
  await git(dir, 'config', 'uploadpack.allowAnySHA1InWant', 'true')
}

export async function hasCommit(dir: string, sha: string): Promise<boolean> {
  return git(dir, 'cat-file', '-e', `${sha}^{commit}`).then(
    () => true,
    () => false
  )
}

/** Sorts a change list so tests can compare it regardless of order. */
export function sorted(files: ChangedFile[]): ChangedFile[] {
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.status.localeCompare(b.status)))
}

export interface FakeApi {
  api: ChangesApi
  /** Every call, as `compare base...head` or `pullFiles n`. */
  calls: string[]
}

/** A ChangesApi answering from tables; an unknown comparison lists no files. */
export function fakeApi(answers: { compare?: Record<string, ApiFileList | Error>; pullFiles?: Record<number, ApiFileList | Error> }): FakeApi {
  const calls: string[] = []
  const answer = async (found: ApiFileList | Error | undefined): Promise<ApiFileList> => {
    if (found instanceof Error) throw found
    return found ?? { files: [], mayBeTruncated: false }
  }
  return {
    calls,
    api: {
      async compare(base, head) {
        calls.push(`compare ${base}...${head}`)
        return answer(answers.compare?.[`${base}...${head}`])
      },
      async pullFiles(n) {
        calls.push(`pullFiles ${n}`)
        return answer(answers.pullFiles?.[n])
      }
    }
  }
}

export interface Harness {
  deps: DetectDeps
  logs: string[]
  /** How many times the API factory was called. */
  apiRequests: () => number
}

/** Real git in `workspace`, the given API (or none), and a captured log. */
export function harness(workspace: string, api: ChangesApi | null = null): Harness {
  const logs: string[] = []
  let requests = 0
  return {
    logs,
    apiRequests: () => requests,
    deps: {
      git: makeGitRunner(workspace),
      api: async () => {
        requests++
        return api
      },
      log: (line) => logs.push(line)
    }
  }
}

export function input(workspace: string, fields: Partial<DetectInput>): DetectInput {
  return { eventName: 'push', payload: {}, sha: '', files: [], base: '', workspace, ...fields }
}
