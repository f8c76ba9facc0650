/**
 * What `verify` costs for 1,000 URLs: `checkAtEdge`, as the action runs it (its transport, its
 * concurrency, its rechecks, the real clock), against a loopback edge that answers each GET after
 * a fixed latency. The same stage with every URL fresh, and with 10 of them stale (rechecked 3
 * times over 10 s).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { realClock } from '../src/engine/clock.js'
import type { ChangedFile, ItemResult } from '../src/model.js'
import { parseRules } from '../src/plan/rules.js'
import { checkAtEdge, EDGE_CONCURRENCY } from '../src/verify/edge.js'
import { check, median, seconds, type Figure } from './figures.js'

export const VERIFY_URLS = 1000
/** Added to every edge answer: a nearby edge's round trip. */
export const EDGE_LATENCY_MS = 20
const STALE = 10
const RUNS = 3

/** Seeded file sizes, 1–32 KiB (about 16 MiB in all). */
function sizes(n: number): number[] {
  let seed = 0x9e3779b9
  return Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return 1024 + (seed % (31 * 1024))
  })
}

export const VERIFY_DESCRIPTION = `${VERIFY_URLS} URLs of 1–32 KiB (seeded), a loopback edge answering each GET after ${EDGE_LATENCY_MS} ms, ${EDGE_CONCURRENCY} fetches at once`

export async function verifyCost(options: { log: (line: string) => void }): Promise<{ figures: Figure[]; details: object }> {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'cdn-bench-verify-'))
  const bodies = new Map<string, Buffer>()
  const files: ChangedFile[] = []
  sizes(VERIFY_URLS).forEach((size, i) => {
    const file = `site/d${i % 10}/f${i}.js`
    const body = createHash('sha256')
      .update(String(i))
      .digest()
      .toString('hex')
      .repeat(Math.ceil(size / 64))
      .slice(0, size)
    mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true })
    writeFileSync(path.join(workspace, file), body)
    bodies.set(`/${file.slice('site/'.length)}`, Buffer.from(body))
    files.push({ path: file, status: 'modified' })
  })
  let stale = new Set<string>()
  let requests = 0
  let bytes = 0
  const server = http.createServer((req, res) => {
    requests++
    const body = bodies.get(req.url ?? '')
    setTimeout(() => {
      if (!body) return void res.writeHead(404).end()
      const sent = stale.has(req.url ?? '') ? Buffer.from('old') : body
      bytes += sent.length
      res.writeHead(200, { 'Content-Length': String(sent.length) }).end(sent)
    }, EDGE_LATENCY_MS)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  const rules = parseRules(`- files: 'site/**'\n  strip: 'site/'\n  urls: 'http://127.0.0.1:${port}/{path}'`)
  const items: ItemResult[] = [...bodies.keys()].map((p) => ({
    op: 'purge',
    kind: 'url',
    url: `http://127.0.0.1:${port}${p}`,
    host: `127.0.0.1:${port}`,
    taskId: 't',
    state: 'success',
    message: 'success',
    seconds: 1
  }))
  const once = async () => {
    requests = 0
    bytes = 0
    const cpu = process.cpuUsage()
    const started = performance.now()
    const r = await checkAtEdge(
      { items, mode: 'purge', files, rules, inputUrls: [] },
      { workspace, clock: realClock, deadline: Date.now() + 120_000, deadlineName: 'the bench deadline', log: () => {}, debug: () => {} }
    )
    const used = process.cpuUsage(cpu)
    return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, requests, bytes, summary: r.summary }
  }
  try {
    const fresh: Awaited<ReturnType<typeof once>>[] = []
    for (let i = 0; i < RUNS; i++) {
      fresh.push(await once())
      options.log(`verify: ${VERIFY_URLS} fresh URLs in ${Math.round(fresh[i].ms)} ms`)
    }
    stale = new Set([...bodies.keys()].slice(0, STALE))
    const withStale = await once()
    options.log(`verify: ${VERIFY_URLS} URLs, ${STALE} stale, in ${Math.round(withStale.ms)} ms`)
    const freshMs = median(fresh.map((r) => r.ms))
    // every fetch waits the latency: the least a run with this concurrency can take
    const floorMs = (VERIFY_URLS / EDGE_CONCURRENCY) * EDGE_LATENCY_MS
    const section = `Verify at the edge (${VERIFY_DESCRIPTION})`
    const figures: Figure[] = [
      {
        section,
        name: `${VERIFY_URLS} URLs, all fresh (median of ${RUNS})`,
        measured: seconds(freshMs),
        target: `≤ 2 × ${seconds(floorMs)} (the latency floor)`,
        verdict: check(freshMs <= 2 * floorMs),
        value: freshMs,
        note: `${fresh[0].requests} GETs, ${(fresh[0].bytes / 1048576).toFixed(1)} MiB fetched and hashed, and as much read and hashed from the workspace; CPU ${Math.round(median(fresh.map((r) => r.cpuMs)))} ms`
      },
      {
        section,
        name: `${VERIFY_URLS} URLs, ${STALE} stale`,
        measured: seconds(withStale.ms),
        target: '≤ 10 s of rechecks + 2 × the floor',
        verdict: check(withStale.ms <= 10_000 + 2 * floorMs),
        value: withStale.ms,
        note: `${withStale.requests} GETs (${STALE} stale rechecked 3 times); ${withStale.summary.stale} reported stale; CPU ${Math.round(withStale.cpuMs)} ms`
      }
    ]
    return { figures, details: { workload: VERIFY_DESCRIPTION, fresh, withStale, floorMs } }
  } finally {
    server.closeAllConnections()
    server.close()
    rmSync(workspace, { recursive: true, force: true })
  }
}
