import { afterEach, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { createTransport } from '../../src/http/transport.js'
import { realClock } from '../../src/engine/clock.js'
import { parseRules } from '../../src/plan/rules.js'
import { checkAtEdge, edgeFetch, fileDigest } from '../../src/verify/edge.js'

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function edge(handler: http.RequestListener) {
  const seen: http.IncomingMessage[] = []
  const server = http.createServer((req, res) => {
    seen.push(req)
    handler(req, res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

describe('edgeFetch', () => {
  it('sends a plain GET with Accept-Encoding: identity and nothing that identifies the caller, and hashes the body', async () => {
    const e = await edge((_, res) => res.end('new'))
    const t = createTransport({ timeoutMs: 2000 })
    cleanups.push(async () => t.close())
    const answer = await edgeFetch(t.request)(`${e.url}/a.js`)
    expect(answer).toEqual({ status: 200, sha256: sha('new'), bytes: 3, overCap: undefined })
    const req = e.seen[0]
    expect(req.method).toBe('GET')
    expect(req.url).toBe('/a.js')
    expect(req.headers['accept-encoding']).toBe('identity')
    expect(req.headers.authorization).toBeUndefined()
    expect(Object.keys(req.headers).filter((h) => /auth|token|key|sign|date|cookie/i.test(h))).toEqual([])
  })

  it('answers a redirect by its status (not followed) and a refused connection by its error, without throwing', async () => {
    const e = await edge((_, res) => {
      res.writeHead(301, { Location: 'https://elsewhere.example/a.js' })
      res.end()
    })
    const t = createTransport({ timeoutMs: 2000, maxAttempts: 1 })
    cleanups.push(async () => t.close())
    expect(await edgeFetch(t.request)(`${e.url}/a.js`)).toEqual({ status: 301 })
    expect(e.seen).toHaveLength(1)
    const refused = await edgeFetch(t.request)('http://127.0.0.1:1/x')
    expect(refused).toEqual({ error: expect.stringMatching(/ECONNREFUSED/) })
  })

  it('does not read a body whose Content-Length is over the cap', async () => {
    const e = await edge((_, res) => {
      res.writeHead(200, { 'Content-Length': '5000' })
      res.write('x')
    })
    const t = createTransport({ timeoutMs: 2000 })
    cleanups.push(async () => t.close())
    expect(await edgeFetch(t.request, 4096)(`${e.url}/big`)).toMatchObject({ status: 200, overCap: true })
  })
})

describe('fileDigest', () => {
  it('hashes a regular file; skips a missing one, a symbolic link and one over the cap', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-verify-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await mkdir(path.join(dir, 'site'))
    await writeFile(path.join(dir, 'site/a.js'), 'new')
    await writeFile(path.join(dir, 'site/big.bin'), Buffer.alloc(2000))
    await symlink('/etc/hostname', path.join(dir, 'site/link'))
    const digest = fileDigest(dir, 1000)
    expect(await digest('site/a.js')).toEqual({ sha256: sha('new'), bytes: 3 })
    expect(await digest('site/none.js')).toEqual({ skip: 'not in the workspace' })
    expect(await digest('site/link')).toEqual({ skip: 'not a regular file in the workspace' })
    expect(await digest('site/big.bin')).toEqual({ skip: expect.stringMatching(/^the file \(2000 bytes\) is over the .* cap; not fetched$/) })
  })
})

describe('checkAtEdge', () => {
  it('fetches nothing once the run deadline has passed: the URL counts as unreachable, like an item not final by then', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-verify-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await mkdir(path.join(dir, 'site'))
    await writeFile(path.join(dir, 'site/a.js'), 'new')
    const e = await edge((_, res) => res.end('new'))
    const rules = parseRules(`- files: 'site/**'\n  strip: 'site/'\n  urls: '${e.url}/{path}'`)
    const url = `${e.url}/a.js`
    const items = [
      { op: 'purge' as const, kind: 'url' as const, url, host: new URL(url).host, taskId: 't', state: 'success' as const, message: 'ok', seconds: 1 }
    ]
    const lines: string[] = []
    const run = (deadline: number) =>
      checkAtEdge(
        { items, mode: 'purge', files: [{ path: 'site/a.js', status: 'modified' }], rules, inputUrls: [] },
        { workspace: dir, clock: realClock, deadline, deadlineName: 'the timeout (1 s)', log: (l) => lines.push(l), debug: () => {} }
      )
    const late = await run(Date.now() - 1)
    expect(e.seen).toHaveLength(0)
    expect(late.items[0]).toMatchObject({
      state: 'unreachable',
      edge: { result: 'unreachable', detail: `GET ${url} not sent: the timeout (1 s) ran out (site/a.js)` }
    })
    const inTime = await run(Date.now() + 10_000)
    expect(inTime.items[0]).toMatchObject({ state: 'success', edge: { result: 'fresh' } })
    expect(inTime.summary).toMatchObject({ urls: 1, fresh: 1, rounds: 1 })
    expect(e.seen).toHaveLength(1)
  })

  it('says in the log when changed files are missing from the workspace (skipped, not compared), and fetches nothing for them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-verify-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const e = await edge((_, res) => res.end('new'))
    const rules = parseRules(`- files: 'site/**'\n  strip: 'site/'\n  urls: '${e.url}/{path}'`)
    const url = `${e.url}/a.js`
    const items = [
      { op: 'purge' as const, kind: 'url' as const, url, host: new URL(url).host, taskId: 't', state: 'success' as const, message: 'ok', seconds: 1 }
    ]
    const lines: string[] = []
    const r = await checkAtEdge(
      { items, mode: 'purge', files: [{ path: 'site/a.js', status: 'modified' }], rules, inputUrls: [] },
      { workspace: dir, clock: realClock, deadline: Date.now() + 10_000, deadlineName: 'the timeout', log: (l) => lines.push(l), debug: () => {} }
    )
    expect(r.items[0]).toMatchObject({ state: 'success', edge: { result: 'skipped', detail: 'not in the workspace (site/a.js)' } })
    expect(e.seen).toHaveLength(0)
    expect(lines).toContain('edge: 1 URL skipped: the changed file is not in the workspace; check out the pushed commit before this step to compare them')
  })
})
