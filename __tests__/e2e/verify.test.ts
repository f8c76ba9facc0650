/**
 * End-to-end: `verify` through dist/index.js, against the ztgame emulator and a local edge
 * server that serves the new bytes for some URLs and the old bytes for others.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { runAction } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'

const require = createRequire(import.meta.url)
const Ajv2020 = require('ajv/dist/2020.js')
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync('docs/report-schema.json', 'utf8')))

/** The pushed files, as the workspace holds them. */
const FILES: Record<string, string> = {
  'site/fresh.js': 'console.log("new")',
  'site/stale.css': 'body{color:red}',
  'site/missing.txt': 'new text',
  'site/docs/index.html': '<h1>new</h1>',
  'site/slow.js': 'slow new'
}

interface EdgeRequest {
  url: string
  method: string
  headers: http.IncomingHttpHeaders
}

let workspace: string
let edge: http.Server
let edgePort: number
const edgeRequests: EdgeRequest[] = []
let emulator: ZtgameEmulator | null = null

/**
 * The edge: fresh.js and the docs page new; stale.css old for good; missing.txt 404; slow.js old
 * on its first fetch and new after (an edge converging); /health 200 (a `urls` input URL).
 */
function serveEdge(req: http.IncomingMessage, res: http.ServerResponse): void {
  edgeRequests.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers })
  const send = (body: string): void => void res.end(body)
  switch (req.url) {
    case '/fresh.js':
      return send(FILES['site/fresh.js'])
    case '/stale.css':
      return send('body{color:blue}')
    case '/docs/index.html':
    case '/docs/':
      return send(FILES['site/docs/index.html'])
    case '/slow.js':
      return send(edgeRequests.filter((r) => r.url === '/slow.js').length === 1 ? 'slow old' : FILES['site/slow.js'])
    case '/health':
      return send('ok')
    default:
      res.statusCode = 404
      res.end('not found')
  }
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'cdn-verify-e2e-'))
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true })
    await writeFile(path.join(workspace, file), text)
  }
  edge = http.createServer(serveEdge)
  await new Promise<void>((r) => edge.listen(0, '127.0.0.1', r))
  edgePort = (edge.address() as AddressInfo).port
})
afterAll(async () => {
  edge.closeAllConnections()
  await new Promise((r) => edge.close(r))
  await rm(workspace, { recursive: true, force: true })
})
afterEach(async () => {
  await emulator?.close()
  emulator = null
  edgeRequests.length = 0
})

const at = (p: string) => `http://127.0.0.1:${edgePort}${p}`

async function run(inputs: Record<string, string>) {
  await emulator?.close()
  emulator = await startZtgameEmulator({ tokens: ['edge-e2e-token'], completeAfterMs: 0 })
  const rules = `- files: 'site/**'\n  strip: 'site/'\n  urls: 'http://127.0.0.1:${edgePort}/{path}'\n  index: index.html`
  return runAction({
    inputs: {
      provider: 'ztgame',
      endpoint: emulator.url,
      token: 'edge-e2e-token',
      rules,
      files: Object.keys(FILES).join(' '),
      urls: at('/health'),
      'poll-interval': '0.1',
      'github-token': '',
      ...inputs
    },
    eventName: 'workflow_dispatch',
    workspace
  })
}

describe('verify end to end', () => {
  it('fails the stale and unreachable URLs, names them, and rates them against min-success-rate', async () => {
    const r = await run({ verify: 'true' })
    expect(r.code).toBe(1)
    const state = (p: string) => r.report.items.find((i: { url: string }) => i.url === at(p))?.state
    expect(state('/fresh.js')).toBe('success')
    expect(state('/docs/index.html')).toBe('success')
    expect(state('/docs/')).toBe('success')
    expect(state('/slow.js')).toBe('success')
    expect(state('/health')).toBe('success')
    expect(state('/stale.css')).toBe('stale')
    expect(state('/missing.txt')).toBe('unreachable')
    // 5 of 7 items
    expect(r.outputs['success-rate']).toBe('71.43')
    expect(r.report.edge).toMatchObject({ urls: 7, fresh: 4, answered: 1, stale: 1, unreachable: 1, skipped: 0, rounds: 4 })
    expect(r.report.items.find((i: { url: string }) => i.url === at('/stale.css')).edge).toEqual({
      result: 'stale',
      detail: expect.stringMatching(/^sha256 \w{12} \(16 bytes\) at the edge, \w{12} \(15 bytes\) in the workspace \(site\/stale\.css\)$/)
    })
    expect(validate(r.report)).toBe(true)

    // log, annotations, failure message, summary
    expect(r.stdout).toContain('::group::Check at the edge (verify)')
    expect(r.stdout).toMatch(new RegExp(`edge stale: ${at('/stale.css').replace(/[.?]/g, '\\$&')} \\(site/stale\\.css\\)`))
    expect(r.stdout).toContain(`edge unreachable: ${at('/missing.txt')} (site/missing.txt): HTTP 404`)
    expect(r.stdout).toContain('::error title=CDN purge stale at the edge for 1 URL::purge: stale at the edge')
    expect(r.stdout).toContain('::error title=CDN purge unreachable at the edge for 1 URL::')
    expect(r.stdout).toMatch(/::error::Success rate 71\.43%25 is below min-success-rate 100%25: 2 of 7 items failed/)
    expect(r.summary).toContain('### Checked at the edge (`verify`)')
    expect(r.summary).toContain('from the one edge location it is routed to')
    expect(r.summary).toContain('**Stale at the edge:**')

    // every fetch a plain GET with no credential; slow.js converged on its second fetch
    expect(edgeRequests.every((q) => q.method === 'GET' && q.headers['accept-encoding'] === 'identity')).toBe(true)
    expect(edgeRequests.some((q) => JSON.stringify(q.headers).includes('edge-e2e-token') || q.headers['x-auth-token'] !== undefined)).toBe(false)
    expect(edgeRequests.every((q) => !q.url.includes('?'))).toBe(true)
    expect(edgeRequests.filter((q) => q.url === '/slow.js')).toHaveLength(2)
    expect(edgeRequests.filter((q) => q.url === '/stale.css')).toHaveLength(4)
    expect(edgeRequests.filter((q) => q.url === '/fresh.js')).toHaveLength(1)
  }, 60_000)

  it('passes at a threshold the fresh URLs meet', async () => {
    const r = await run({ verify: 'true', 'min-success-rate': '70' })
    expect(r.code).toBe(0)
    expect(r.outputs['success-rate']).toBe('71.43')
  }, 60_000)

  it('sends no request at all to the edge when verify is off, or in a dry run', async () => {
    const off = await run({})
    expect(off.code).toBe(0)
    expect(off.report.edge).toBeUndefined()
    expect(off.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    const dry = await run({ verify: 'true', 'dry-run': 'true' })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toContain('verify: a dry run fetches nothing at the edge')
    expect(edgeRequests).toEqual([])
  }, 60_000)
})
