/**
 * The run's deadline bounds change detection: git commands (their helpers included) are stopped
 * at it, and detection then ends with an error naming `timeout` instead of falling back.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { detectChanges } from '../../src/changes/detect.js'
import { DetectionTimeoutError, type Deadline } from '../../src/changes/deadline.js'
import { fetchCommit, makeGitRunner, type GitRunner } from '../../src/changes/git.js'
import { commit, fakeApi, git, initRepo, input, TempDirs, ZERO_SHA } from './git-fixture.js'

const temp = new TempDirs()
let silent: { server: Server; sockets: Socket[] } | null = null
const PATH = process.env.PATH
afterEach(async () => {
  process.env.PATH = PATH
  if (silent) {
    for (const s of silent.sockets) s.destroy()
    await new Promise((r) => silent!.server.close(r))
    silent = null
  }
  await temp.cleanup()
})

/** A deadline `ms` from now, named as main names it. */
function deadlineIn(ms: number): Deadline {
  return { at: Date.now() + ms, name: `the timeout (${ms / 1000} s)`, now: () => Date.now() }
}

/** A server on 127.0.0.1 that accepts connections and never answers; `closed` counts those the other side closed. */
async function silentServer(): Promise<{ url: string; opened: () => number; closed: () => number }> {
  const sockets: Socket[] = []
  let closed = 0
  const server = createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
    socket.on('close', () => closed++)
    // read (and drop) what comes, so that the other side closing is seen
    socket.resume()
  })
  silent = { server, sockets }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, opened: () => sockets.length, closed: () => closed }
}

/** A repository whose origin is a server that never answers. */
async function repoWithSilentOrigin(): Promise<{ dir: string; stall: Awaited<ReturnType<typeof silentServer>> }> {
  const dir = await temp.make('silent-origin-')
  await initRepo(dir)
  await commit(dir, { 'a.txt': '1' })
  const stall = await silentServer()
  await git(dir, 'remote', 'add', 'origin', `${stall.url}/repo`)
  return { dir, stall }
}

/** True while `pid` runs (a zombie, waiting to be reaped, no longer does). */
async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  return stat !== null && !/^\d+ \(.*\) Z /.test(stat)
}

const describeOnPosix = process.platform === 'win32' ? describe.skip : describe

describeOnPosix('the git runner at the deadline', () => {
  it('stops a git fetch from an origin that never answers, with its HTTP helper, and names the fetch and timeout', async () => {
    const { dir, stall } = await repoWithSilentOrigin()
    const sha = 'c'.repeat(40)
    const error = await fetchCommit(makeGitRunner(dir, deadlineIn(1500)), sha).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DetectionTimeoutError)
    expect((error as Error).message).toBe(
      `git fetch --depth=1 origin ${sha} did not finish before the timeout (1.5 s) ran out; raise 'timeout' or check the checkout's access to origin`
    )
    // git-remote-http held the connection: it is closed, so the helper has ended too.
    expect(stall.opened()).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 200))
    expect(stall.closed()).toBe(stall.opened())
  }, 30_000)

  it('kills, after a grace, a git that ignores SIGTERM and a child of it that holds the output open', async () => {
    const bin = await temp.make('fake-git-')
    const pidFile = join(bin, 'child.pid')
    // SIGTERM is ignored by the script and the sleep it starts, which keeps stdout open.
    await writeFile(join(bin, 'git'), `#!/bin/sh\ntrap '' TERM\nsleep 300 &\necho $! > '${pidFile}'\nwait\n`)
    await chmod(join(bin, 'git'), 0o755)
    process.env.PATH = `${bin}:${PATH}`
    const started = Date.now()
    const error = await makeGitRunner(bin, deadlineIn(500))(['fetch', 'origin', 'main']).catch((e: unknown) => e)
    const took = Date.now() - started
    expect(error).toBeInstanceOf(DetectionTimeoutError)
    expect((error as Error).message).toMatch(/^git fetch origin main did not finish before the timeout \(0\.5 s\) ran out/)
    // without the group kill the sleep would hold stdout for 300 s; the jest timeout is the real bound
    expect(took).toBeLessThan(20_000)
    const child = Number(await readFile(pidFile, 'utf8'))
    await new Promise((r) => setTimeout(r, 200))
    expect(await running(child)).toBe(false)
  }, 30_000)

  it('starts nothing once the deadline has passed', async () => {
    const bin = await temp.make('fake-git-')
    const marker = join(bin, 'started')
    await writeFile(join(bin, 'git'), `#!/bin/sh\ntouch '${marker}'\n`)
    await chmod(join(bin, 'git'), 0o755)
    process.env.PATH = `${bin}:${PATH}`
    const error = await makeGitRunner(bin, deadlineIn(-1))(['diff', 'a', 'b', '--']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DetectionTimeoutError)
    expect((error as Error).message).toBe(`git diff a b -- was not started: the timeout (-0.001 s) had run out; raise 'timeout'`)
    expect(await readFile(marker).catch(() => null)).toBeNull()
  })

  it('lets a command that ends in time answer as usual', async () => {
    const dir = await temp.make('in-time-')
    const result = await makeGitRunner(dir, deadlineIn(30_000))(['rev-parse', '--verify', 'no-such-ref'])
    expect(result.code).toBe(128)
  })
})

describeOnPosix('change detection at the deadline', () => {
  it('a push whose before commit is fetched from a silent origin: fails naming timeout, and does not turn to the API', async () => {
    const { dir } = await repoWithSilentOrigin()
    const after = (await git(dir, 'rev-parse', 'HEAD')).trim()
    const before = 'd'.repeat(40)
    const api = fakeApi({})
    const logs: string[] = []
    const error = await detectChanges(input(dir, { eventName: 'push', payload: { before, after }, sha: after }), {
      git: makeGitRunner(dir, deadlineIn(1000)),
      api: async () => api.api,
      log: (line) => logs.push(line)
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DetectionTimeoutError)
    expect((error as Error).message).toMatch(new RegExp(`^git fetch --depth=1 origin ${before} did not finish before the timeout \\(1 s\\) ran out`))
    expect(api.calls).toEqual([])
  }, 30_000)

  it('a new branch whose API call the deadline cuts: fails with that call, and starts no git fetch', async () => {
    const dir = await temp.make('shallow-')
    const commands: string[][] = []
    // a shallow checkout, so the API comes before fetching
    const gitRunner: GitRunner = async (args) => {
      commands.push(args)
      return { code: 0, stdout: args[1] === '--is-shallow-repository' ? 'true\n' : '', stderr: '' }
    }
    const deadline = deadlineIn(0)
    const cut = new DetectionTimeoutError('the GitHub API request compare main...x', deadline, true, "check the runner's access to the GitHub API")
    const api = fakeApi({ compare: { [`main...${'e'.repeat(40)}`]: cut } })
    const error = await detectChanges(
      input(dir, {
        eventName: 'push',
        payload: { ref: 'refs/heads/feature', before: ZERO_SHA, after: 'e'.repeat(40), repository: { default_branch: 'main' } }
      }),
      { git: gitRunner, api: async () => api.api, log: () => {} }
    ).catch((e: unknown) => e)
    expect(error).toBe(cut)
    expect(api.calls).toEqual([`compare main...${'e'.repeat(40)}`])
    expect(commands.filter((c) => c[0] === 'fetch')).toEqual([])
  })
})
