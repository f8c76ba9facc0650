/** `verify`: the real fetch and file digest, and the stage `run()` calls after the CDN work. */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat } from 'node:fs/promises'
import path from 'node:path'
import { shown } from '../external.js'
import type { Clock } from '../engine/clock.js'
import { createTransport, HttpError, type Transport } from '../http/transport.js'
import type { ChangedFile, ItemResult, Mode } from '../model.js'
import type { CompiledRule } from '../plan/rules.js'
import { checkTargets, type EdgeCheckDeps } from './check.js'
import { applyChecks, summarise, type EdgeAnswer, type EdgeSummary, type FileDigest } from './outcome.js'
import { count } from '../text.js'
import { checkedOperation, edgeTargets, urlsOfFiles, type FileOf } from './targets.js'

/** Fetches in flight at once: fixed and small, so one runner does not look like a flood to the edge. */
export const EDGE_CONCURRENCY = 8
/** Largest body compared; a larger file (or answer) is skipped, not downloaded. */
export const EDGE_MAX_BODY_BYTES = 16 * 1024 * 1024
/** Pauses before the rechecks of stale and unreachable URLs: 3 rechecks over 10 s. */
export const EDGE_RECHECK_DELAYS_MS = [2000, 3000, 5000] as const
/** One attempt's limit, and the transport's retries, for edge fetches. */
export const EDGE_TRANSPORT = { timeoutMs: 15_000, maxAttempts: 2, retryBudgetMs: 10_000, maxBodyBytes: EDGE_MAX_BODY_BYTES }

/** Why a file is not compared when the workspace does not hold it. */
const NOT_IN_WORKSPACE = 'not in the workspace'

/** Stale and unreachable URLs named in the log before the rest is counted. */
const EDGE_LINES = 50

const sizeText = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MiB`

/**
 * A plain GET through the CDN: no credentials and no provider headers, no cache-busting query,
 * `Accept-Encoding: identity` so the bytes are the file's; the body is hashed as it streams.
 */
export function edgeFetch(request: Transport, maxBodyBytes = EDGE_MAX_BODY_BYTES): (url: string) => Promise<EdgeAnswer> {
  return async (url) => {
    try {
      const res = await request({ method: 'GET', url, headers: { 'Accept-Encoding': 'identity' }, sha256: true, maxBodyBytes })
      return { status: res.status, sha256: res.sha256, bytes: res.bytes, overCap: res.overCap }
    } catch (err) {
      // the transport's redirect message speaks of credentials: none are sent here
      if (err instanceof HttpError && err.status !== null) return { status: err.status }
      return { error: err instanceof Error ? err.message : String(err) }
    }
  }
}

/** The SHA-256 of a regular file under `workspace`, or why it is not compared. */
export function fileDigest(workspace: string, maxBodyBytes = EDGE_MAX_BODY_BYTES): (file: string) => Promise<FileDigest> {
  return async (file) => {
    const full = path.join(workspace, file)
    try {
      const stat = await lstat(full)
      // a symbolic link may point outside the workspace, and the origin may serve it otherwise
      if (!stat.isFile()) return { skip: 'not a regular file in the workspace' }
      if (stat.size > maxBodyBytes) return { skip: `the file (${stat.size} bytes) is over the ${sizeText(maxBodyBytes)} cap; not fetched` }
      const hash = createHash('sha256')
      let bytes = 0
      for await (const chunk of createReadStream(full)) {
        bytes += (chunk as Buffer).length
        hash.update(chunk as Buffer)
      }
      return { sha256: hash.digest('hex'), bytes }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      return { skip: code === 'ENOENT' ? NOT_IN_WORKSPACE : `cannot be read (${code ?? 'error'})` }
    }
  }
}

interface VerifyInput {
  items: ItemResult[]
  mode: Mode
  /** URL → workspace file (or files), from `urlsOfFiles`. */
  fileOf: FileOf
  /** The `urls` input's URLs (no file: 2xx is enough). */
  inputUrls: readonly string[]
}

/**
 * Checks the run's done items at the edge and returns them with the stale and unreachable ones
 * failed, and the counts. Lines for the log go to `deps.log`, stale and unreachable URLs named.
 */
async function verifyAtEdge(input: VerifyInput, deps: EdgeCheckDeps): Promise<{ items: ItemResult[]; summary: EdgeSummary }> {
  const { targets, notChecked, notDone } = edgeTargets(input.items, input.fileOf, input.inputUrls, input.mode)
  const withFile = targets.filter((t) => t.file !== null).length
  deps.log(
    `edge: fetching ${count(targets.length, 'URL')} from this runner (${withFile} compared with their workspace files, ${targets.length - withFile} checked for 2xx), ${EDGE_CONCURRENCY} at once`
  )
  if (notDone > 0) deps.log(`edge: ${notDone} not checked: their ${checkedOperation(input.mode)} did not succeed`)
  if (notChecked > 0) deps.log(`edge: ${notChecked} not checked: URLs of deleted files, or directories with no changed file under them`)
  const { checks, rounds, seconds } = await checkTargets(targets, deps, { concurrency: EDGE_CONCURRENCY, recheckDelaysMs: EDGE_RECHECK_DELAYS_MS })
  const named: string[] = []
  let failing = 0
  checks.forEach((check, i) => {
    if (check.result !== 'stale' && check.result !== 'unreachable') return
    const { url, file } = targets[i]
    if (failing++ < EDGE_LINES) named.push(`edge ${check.result}: ${shown(url)}${file === null ? '' : ` (${shown(file)})`}: ${shown(check.detail)}`)
  })
  if (failing > named.length) named.push(`…and ${failing - named.length} more (all in the report)`)
  if (named.length > 0) deps.log(named.join('\n'))
  // skipped is no failure: say when it hides a workspace that is not the pushed commit
  const missing = checks.filter((c) => c.result === 'skipped' && c.detail === NOT_IN_WORKSPACE).length
  if (missing > 0) {
    deps.log(`edge: ${count(missing, 'URL')} skipped: the changed file is not in the workspace; check out the pushed commit before this step to compare them`)
  }
  const items = applyChecks(input.items, targets, checks, rounds)
  const summary = summarise(checks, { rounds, seconds, notChecked, notDone, maxBodyBytes: EDGE_MAX_BODY_BYTES })
  deps.log(
    `edge: ${summary.fresh} fresh, ${summary.answered} answered 2xx, ${summary.stale} stale, ${summary.unreachable} unreachable, ${summary.skipped} skipped; ${count(rounds, 'round')} in ${seconds} s`
  )
  return { items, summary }
}

/**
 * The stage `run()` calls: maps the changed files to their URLs again, fetches through a
 * transport of its own (edge retries do not spend the provider calls' retry budget; the run's
 * deadline bounds both), and closes it.
 */
export async function checkAtEdge(
  input: { items: ItemResult[]; mode: Mode; files: readonly ChangedFile[]; rules: readonly CompiledRule[]; inputUrls: readonly string[] },
  env: { workspace: string; clock: Clock; deadline: number; deadlineName: string; log: (line: string) => void; debug: (line: string) => void }
): Promise<{ items: ItemResult[]; summary: EdgeSummary }> {
  const { clock, deadline } = env
  const transport = createTransport({
    ...EDGE_TRANSPORT,
    debug: env.debug,
    deadline,
    deadlineName: env.deadlineName,
    now: () => clock.now(),
    sleep: (ms) => clock.sleep(ms)
  })
  try {
    const fileOf = urlsOfFiles(input.files, input.rules)
    return await verifyAtEdge(
      { items: input.items, mode: input.mode, fileOf, inputUrls: input.inputUrls },
      { fetch: edgeFetch(transport.request), digest: fileDigest(env.workspace), clock, deadline, log: env.log }
    )
  } finally {
    transport.close()
  }
}
