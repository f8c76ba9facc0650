/** The real Octokit against an API that stalls or drops the body: the call is bounded and fails. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getOctokit } from '@actions/github'
import { changesApiFrom, octokitChanges } from '../../src/changes/github-api.js'

let server: Server | null = null
const held: ServerResponse[] = []
afterEach(async () => {
  for (const res of held.splice(0)) res.destroy()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = null
})

/** Sends the headers and the start of a body, then nothing (or, with `reset`, drops the connection). */
async function stallingApi(reset = false): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
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
