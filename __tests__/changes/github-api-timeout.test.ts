/** The real Octokit against an API that stalls or drops the body: the call is bounded and fails. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getOctokit } from '@actions/github'
import { DetectionTimeoutError, type Deadline } from '../../src/changes/deadline.js'
import { changesApiFrom, octokitChanges } from '../../src/changes/github-api.js'

let server: Server | null = null
const held: ServerResponse[] = []
afterEach(async () => {
  for (const res of held.splice(0)) res.destroy()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = null
})

/**
 * Sends the headers and the start of a body, then nothing (or, with `reset`, drops the connection;
 * with `silent`, sends nothing at all).
 */
async function stallingApi(reset = false, silent = false): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    if (silent) return void held.push(res)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"files": [')
    if (reset) setTimeout(() => res.socket?.destroy(), 20)
    else held.push(res)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests }
}

describe('octokitChanges timeout', () => {
  it.each([
    ['compare', (api: ReturnType<typeof changesApiFrom>) => api.compare('main', 'a'.repeat(40)), /\/repos\/octo\/site\/compare\/main\.\.\.a+/],
    ['pull request files', (api: ReturnType<typeof changesApiFrom>) => api.pullFiles(7), /\/repos\/octo\/site\/pulls\/7\/files/]
  ])(
    'aborts a stalled %s call after its timeout',
    async (_, call, path) => {
      const { url, requests } = await stallingApi()
      const api = changesApiFrom(octokitChanges(getOctokit('t', { baseUrl: url }), 'octo', 'site', 300))
      const error = await call(api).catch((e: unknown) => e)
      // Octokit alone would have answered with the text it got ('{'); the call must fail instead.
      expect((error as Error).message).toMatch(/: no complete answer within 0.3 s$/)
      expect(requests).toHaveLength(1)
      expect(requests[0]).toMatch(path)
    },
    20_000
  )

  it('fails a compare whose connection is reset in the middle of the body, rather than reading no files', async () => {
    const { url } = await stallingApi(true)
    const api = changesApiFrom(octokitChanges(getOctokit('t', { baseUrl: url }), 'octo', 'site', 10_000))
    const error = await api.compare('main', 'b'.repeat(40)).catch((e: unknown) => e)
    expect((error as Error).message).toMatch(/^compare main\.\.\.b+: the answer holds no file list$/)
  }, 20_000)
})

describe('octokitChanges at the run deadline', () => {
  const deadlineIn = (ms: number): Deadline => ({ at: Date.now() + ms, name: 'the timeout (5 s)', now: () => Date.now() })
  const calls = [
    ['compare', (api: ReturnType<typeof changesApiFrom>) => api.compare('main', 'a'.repeat(40)), `compare main...${'a'.repeat(40)}`],
    ['pull request files', (api: ReturnType<typeof changesApiFrom>) => api.pullFiles(7), 'pull request 7 files, page 1']
  ] as const

  it.each(
    calls.flatMap(([name, call, what]) => [true, false].map((silent) => [name, silent ? 'sends nothing' : 'stalls the body', call, what, silent] as const))
  )(
    'a %s call whose server %s is cut at the deadline, before its own 60 s, with an error naming timeout',
    async (_, __, call, what, silent) => {
      const { url, requests } = await stallingApi(false, silent)
      const api = changesApiFrom(octokitChanges(getOctokit('t', { baseUrl: url }), 'octo', 'site', 60_000, deadlineIn(300)))
      const error = await call(api).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DetectionTimeoutError)
      expect((error as Error).message).toBe(
        `the GitHub API request ${what} did not finish before the timeout (5 s) ran out; raise 'timeout' or check the runner's access to the GitHub API`
      )
      expect(requests).toHaveLength(1)
    },
    20_000
  )

  it.each(calls)('sends no %s call once the deadline has passed', async (_, call, what) => {
    const { url, requests } = await stallingApi()
    const api = changesApiFrom(octokitChanges(getOctokit('t', { baseUrl: url }), 'octo', 'site', 60_000, deadlineIn(-1)))
    const error = await call(api).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DetectionTimeoutError)
    expect((error as Error).message).toBe(
      `the GitHub API request ${what.replace(', page 1', '')} was not started: the timeout (5 s) had run out; raise 'timeout' or check the runner's access to the GitHub API`
    )
    expect(requests).toHaveLength(0)
  })

  it('a call that ends its own 60 s first (the deadline further off) fails as before, without naming timeout', async () => {
    const { url } = await stallingApi(false, true)
    const api = changesApiFrom(octokitChanges(getOctokit('t', { baseUrl: url }), 'octo', 'site', 300, deadlineIn(60_000)))
    const error = await api.compare('main', 'c'.repeat(40)).catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(DetectionTimeoutError)
    expect((error as Error).message).toMatch(/^compare main\.\.\.c+: no complete answer within 0.3 s$/)
  }, 20_000)
})
