/**
 * End-to-end: `timeout` bounds change detection too. A git remote and a GitHub API that accept
 * the connection and never answer end a `timeout: 5` run soon after 5 s, with dist/index.js run
 * as the runner runs it, and nothing reaches the provider.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { runAction } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'
import { commit, git, initRepo, TempDirs } from '../changes/git-fixture.js'

/** A generous bound for a run whose `timeout` is 5 s (before the fix: 60 s on the API, unbounded on git). */
const ENDS_WITHIN_MS = 20_000

const RULES = "- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://www.example.com/{path}'\n"

const temp = new TempDirs()
let emulator: ZtgameEmulator | null = null
let silent: { server: Server; sockets: Socket[] } | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
  if (silent) {
    for (const s of silent.sockets) s.destroy()
    await new Promise((r) => silent!.server.close(r))
    silent = null
  }
  await temp.cleanup()
})

/** A server on 127.0.0.1 that accepts connections and never says a word. */
async function silentServer(): Promise<{ url: string; connections: () => number }> {
  const sockets: Socket[] = []
  const server = createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => {})
  })
  silent = { server, sockets }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => sockets.length }
}

async function timed<T>(run: () => Promise<T>): Promise<T & { ms: number }> {
  const started = Date.now()
  const r = await run()
  return { ...r, ms: Date.now() - started }
}

describe('timeout bounds change detection', () => {
  it('git fetch from an origin that never answers: timeout 5 ends the run soon after 5 s, naming the fetch and timeout', async () => {
    const origin = await temp.make('origin-')
    await initRepo(origin)
    const before = await commit(origin, { 'public/a.html': '1' })
    const after = await commit(origin, { 'public/a.html': '2' })
    const work = join(await temp.make('clone-'), 'work')
    await git(origin, 'clone', '-q', '--depth=1', `file://${origin}`, work)
    const stall = await silentServer()
    await git(work, 'remote', 'set-url', 'origin', `${stall.url}/repo`)
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })

    const r = await timed(() =>
      runAction({
        inputs: {
          provider: 'ztgame',
          endpoint: emulator!.url,
          token: 't',
          'github-token': '',
          rules: RULES,
          timeout: '5'
        },
        eventName: 'push',
        event: { ref: 'refs/heads/main', before, after, repository: { full_name: 'octo/site', default_branch: 'main' } },
        workspace: work,
        sha: after
      })
    )
    process.stderr.write(`git fetch from a silent origin, timeout 5: ${r.ms} ms\n`)
    expect(stall.connections()).toBeGreaterThan(0)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      new RegExp(
        `::error::git fetch --depth=1 origin ${before} did not finish before the timeout \\(5 s\\) ran out; raise 'timeout' or check the checkout's access to origin$`,
        'm'
      )
    )
    expect(emulator.requests).toHaveLength(0)
    expect(r.ms).toBeLessThan(ENDS_WITHIN_MS)
  }, 200_000)

  it('a GitHub API that never answers: timeout 5 ends the run soon after 5 s, naming the call and timeout', async () => {
    const stall = await silentServer()
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    const [before, after] = ['a'.repeat(40), 'b'.repeat(40)]
    const r = await timed(() =>
      runAction({
        inputs: { provider: 'ztgame', endpoint: emulator!.url, token: 't', 'github-token': 'gh-token', rules: RULES, timeout: '5' },
        eventName: 'push',
        // the workspace is no git checkout: only the API can answer
        event: { ref: 'refs/heads/main', before, after },
        sha: after,
        env: { GITHUB_API_URL: stall.url }
      })
    )
    process.stderr.write(`GitHub API that never answers, timeout 5: ${r.ms} ms\n`)
    expect(stall.connections()).toBeGreaterThan(0)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /::error::the GitHub API request compare a{40}\.\.\.b{40} did not finish before the timeout \(5 s\) ran out; raise 'timeout' or check the runner's access to the GitHub API$/m
    )
    expect(emulator.requests).toHaveLength(0)
    expect(r.ms).toBeLessThan(ENDS_WITHIN_MS)
  }, 200_000)
})
