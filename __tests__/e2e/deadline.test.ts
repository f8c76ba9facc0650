/**
 * End-to-end: `timeout` bounds the whole run (submits, retries, stalled answers), and
 * answers are read up to a cap, with dist/index.js run as the runner runs it.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { distEntry, runAction } from '../../emulators/runner.js'
import { startUcloudEmulator, type UcloudEmulator } from '../../emulators/ucloud.js'

const W = 'https://www.example.com'
/** A generous bound for a run whose `timeout` is a few seconds (today such runs take 90–155 s). */
const ENDS_WITHIN_MS = 20_000

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void
const servers: http.Server[] = []
let ucloud: UcloudEmulator | null = null
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
  await ucloud?.close()
  ucloud = null
})

/** A stand-in CDN API on 127.0.0.1 that answers by `handler` once the request body is in. */
async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => handler(req, res))
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Headers, then nothing: the body never comes. */
const stallAfterHeaders: Handler = (_, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' })
  res.flushHeaders()
}

/** Runs dist/index.js through a wrapper that prints the process's peak RSS (KiB) on exit. */
async function runMeasured(options: Parameters<typeof runAction>[0]) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-action-rss-'))
  const entry = path.join(dir, 'measure.mjs')
  await writeFile(
    entry,
    `process.on('exit', () => process.stderr.write('maxrss-kib ' + process.resourceUsage().maxRSS + '\\n'))\nawait import(${JSON.stringify(pathToFileURL(distEntry).href)})\n`
  )
  try {
    const started = Date.now()
    const r = await runAction({ ...options, entry })
    const rssKib = Number(/maxrss-kib (\d+)/.exec(r.stderr)?.[1] ?? NaN)
    return { ...r, ms: Date.now() - started, rssMib: Math.round(rssKib / 1024) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function ztgameUrls(endpoint: string, inputs: Record<string, string>, urls = `${W}/a.js\n${W}/b.css\n`) {
  return runMeasured({
    inputs: { provider: 'ztgame', endpoint, urls, 'poll-interval': '0.2', ...inputs },
    eventName: 'workflow_dispatch'
  })
}

describe('timeout bounds the whole run', () => {
  it('a token request answered with headers and then nothing: timeout 5 ends the run soon after 5 s, naming the call', async () => {
    const endpoint = await serve(stallAfterHeaders)
    const r = await ztgameUrls(endpoint, { username: 'u', password: 'p', timeout: '5' })
    process.stderr.write(`stalled token request, timeout 5: ${r.ms} ms\n`)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::POST http:\/\/127\.0\.0\.1:\d+\/cdn_api\/tokens got no complete answer before the timeout \(5 s\) ran out/)
    expect(r.ms).toBeLessThan(ENDS_WITHIN_MS)
  }, 200_000)

  it('status calls answered with headers and then nothing: timeout 5 ends the run, the unfinished URLs named', async () => {
    let statusCalls = 0
    const endpoint = await serve((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ zt_api: { ret: 0, msg: 'ok', reqId: 'task-1' } }))
        return
      }
      statusCalls++
      stallAfterHeaders(req, res)
    })
    const r = await ztgameUrls(endpoint, { token: 't', timeout: '5' })
    process.stderr.write(`stalled status calls, timeout 5: ${r.ms} ms, ${statusCalls} status calls\n`)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /::error::Success rate 0%25 is below min-success-rate 100%25: 2 of 2 items failed\. Cause: purge not final when the timeout ran out .* — 2 URLs, first https:\/\/www\.example\.com\/a\.js$/m
    )
    expect(r.report.items.map((i: { state: string }) => i.state)).toEqual(['timeout', 'timeout'])
    expect(r.ms).toBeLessThan(ENDS_WITHIN_MS)
  }, 200_000)

  it('a ucloud submit that stalls: timeout 3 ends the run, its URLs reported as timed out', async () => {
    ucloud = await startUcloudEmulator({ keys: { pk: 'sk-secret' } })
    ucloud.injectFaults(Array.from({ length: 50 }, () => ({ kind: 'stall-after-headers' as const })))
    const started = Date.now()
    const r = await runAction({
      inputs: { provider: 'ucloud', endpoint: ucloud.url, 'public-key': 'pk', 'private-key': 'sk-secret', urls: `${W}/a.js\n${W}/b.css\n`, timeout: '3' },
      eventName: 'workflow_dispatch'
    })
    const ms = Date.now() - started
    process.stderr.write(`stalled ucloud submit, timeout 3: ${ms} ms\n`)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /::error::Success rate 0%25 is below min-success-rate 100%25: 2 of 2 items failed\. Cause: purge: .* — 2 URLs, first https:\/\/www\.example\.com\/a\.js$/m
    )
    expect(r.stdout).toMatch(/the timeout \(3 s\) ran out/)
    expect(r.report.items[0].message).toMatch(/got no complete answer before the timeout \(3 s\) ran out; it may or may not have been acted on$/)
    expect(r.report.items.map((i: { state: string }) => i.state)).toEqual(['timeout', 'timeout'])
    expect(ms).toBeLessThan(ENDS_WITHIN_MS)
  }, 200_000)

  it('a ucloud prefetch rate limited (RetCode 153) again and again: its 10 s pause ends at timeout 1', async () => {
    ucloud = await startUcloudEmulator({ keys: { pk: 'sk-secret' } })
    const limited = JSON.stringify({ RetCode: 153, Message: 'Request too frequently' })
    ucloud.injectFaults(Array.from({ length: 10 }, () => ({ status: 200, body: limited, headers: { 'Content-Type': 'application/json' } })))
    const started = Date.now()
    const r = await runAction({
      inputs: { provider: 'ucloud', endpoint: ucloud.url, 'public-key': 'pk', 'private-key': 'sk-secret', urls: `${W}/a.js\n`, mode: 'prefetch', timeout: '1' },
      eventName: 'workflow_dispatch'
    })
    const ms = Date.now() - started
    process.stderr.write(`ucloud prefetch rate limited, timeout 1: ${ms} ms, ${ucloud.requests.length} calls\n`)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/pausing 10 s before attempt 2/)
    expect(r.report.items).toMatchObject([{ url: `${W}/a.js`, state: 'timeout', message: expect.stringMatching(/not sent: the timeout \(1 s\) ran out/) }])
    expect(ucloud.requests).toHaveLength(1)
    // the pause alone would take 10 s
    expect(ms).toBeLessThan(9_000)
  }, 200_000)
})

describe('answers are read up to a cap', () => {
  const MB = 1024 * 1024
  it('four 200 MB answers streamed at once without Content-Length: errors naming the cap, and memory stays low', async () => {
    let sent = 0
    let calls = 0
    const endpoint = await serve((_, res) => {
      calls++
      let mine = 0
      res.writeHead(200, { 'Content-Type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 'a')
      const pump = () => {
        while (mine < 200 * MB && !res.destroyed) {
          mine += chunk.length
          sent += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      pump()
    })
    // 40 URLs of 4 hosts: four submit calls of 10 (ztgame's limit), in flight together
    const urls = Array.from({ length: 40 }, (_, i) => `https://h${i % 4}.example.com/f${i}.js`).join('\n')
    const r = await ztgameUrls(endpoint, { token: 't' }, urls)
    process.stderr.write(`4 × 200 MB streamed answers: ${r.ms} ms, peak RSS ${r.rssMib} MiB, ${Math.round(sent / MB)} MiB sent\n`)
    expect(r.code).toBe(1)
    // a submit answer over the cap may hide a task (ambiguous): each batch is sent again, 5 sends in all
    expect(calls).toBe(4 * 5)
    expect(r.stdout).toMatch(/answer is more than the 8 MiB cap/)
    expect(r.stdout).toMatch(/gave up after 5 sends/)
    // reading all four would take over 800 MB (one alone took 678 MiB before the cap)
    expect(r.rssMib).toBeLessThan(250)
  }, 120_000)

  it('Content-Length of 1 GB: refused without reading, the size named', async () => {
    let written = 0
    const endpoint = await serve((_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(1024 * MB) })
      // a trickle: reading it all would take far longer than the test allows
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        written += 1024
        res.write(Buffer.alloc(1024, 'a'))
      }, 10)
      res.on('close', () => clearInterval(timer))
    })
    const r = await ztgameUrls(endpoint, { token: 't' })
    process.stderr.write(`1 GB Content-Length: ${r.ms} ms, peak RSS ${r.rssMib} MiB\n`)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/answer of 1073741824 bytes is over the 8 MiB cap/)
    expect(written).toBeLessThan(8 * MB)
  }, 120_000)
})
