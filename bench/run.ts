/**
 * `npm run bench`: end to end per provider, mapping, start-up and memory, each figure beside its
 * target. Loopback only; every part is bounded and the whole run stops by itself. Prints a table
 * and writes bench/results.json.
 *
 *   npm run bench                          everything (about 1.5–2 minutes)
 *   npm run bench -- --only mapping,startup
 *   npm run bench -- --providers ztgame --quick   (no poll-interval 1 / purge-prefetch extras)
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { demoProviders } from '../emulators/index.js'
import { distEntry } from '../emulators/runner.js'
import { useActionEntry } from './action-process.js'
import { collapse } from './collapse.js'
import { endToEnd, E2E_DESCRIPTION } from './end-to-end.js'
import { renderTable, type Figure } from './figures.js'
import { mapping } from './mapping.js'
import { memory } from './memory.js'
import { startup } from './startup.js'
import { verifyCost } from './verify.js'

const SECTIONS = ['e2e', 'collapse', 'mapping', 'startup', 'memory', 'verify'] as const
type Section = (typeof SECTIONS)[number]
const MAPPING_RUNS = { runs: 7, naiveRuns: 5 }
/** A last guard: the parts are bounded on their own; this stops the run if something is not. */
const WHOLE_RUN_LIMIT_MS = 8 * 60_000
/** The lock `npm run package` is run under. */
const PACKAGE_LOCK = '/tmp/cdn-package.lock'

// The mapping figures come from a fresh process of their own: in a process that has just served
// the end-to-end emulators, the same code measured up to 1.5× slower (heap state, JIT feedback).
if (process.argv.includes('--mapping-child')) {
  const r = mapping({ ...MAPPING_RUNS, log: (line) => console.error(line) })
  process.stdout.write(JSON.stringify(r))
  process.exit(0)
}

/** Runs the mapping section in a child process (same node and loader flags as this one). */
async function mappingInChild(): Promise<ReturnType<typeof mapping>> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--mapping-child'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`the mapping process ended with ${code === null ? 'a kill' : `exit ${code}`}`)
  return JSON.parse(stdout) as ReturnType<typeof mapping>
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  if (i >= 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--')) return process.argv[i + 1]
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
}

const only = (argValue('only')?.split(',') ?? [...SECTIONS]) as Section[]
const providers = argValue('providers')?.split(',') ?? demoProviders
const quick = process.argv.includes('--quick')
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section '${s}'; use ${SECTIONS.join(', ')}`)
for (const p of providers) if (!demoProviders.includes(p)) throw new Error(`--providers: unknown provider '${p}'; use ${demoProviders.join(', ')}`)
if (!existsSync(distEntry)) {
  console.error(`bench: ${distEntry} is missing; build it with: flock /tmp/cdn-package.lock npm run package`)
  process.exit(2)
}

/**
 * Others may rebuild dist/ while the bench runs: measure one build throughout, a copy of dist/
 * taken under the lock `npm run package` is run with (shared, so it only waits for a build in
 * progress).
 */
const snapshotDir = mkdtempSync(path.join(os.tmpdir(), 'cdn-bench-dist-'))
const distDir = path.dirname(distEntry)
try {
  execFileSync('flock', ['-s', PACKAGE_LOCK, 'cp', '-rp', distDir, snapshotDir])
} catch {
  cpSync(distDir, path.join(snapshotDir, 'dist'), { recursive: true })
}
const snapshotEntry = path.join(snapshotDir, 'dist', path.basename(distEntry))
useActionEntry(snapshotEntry)
process.on('exit', () => rmSync(snapshotDir, { recursive: true, force: true }))

const started = Date.now()
const loadAtStart = os.loadavg()
if (loadAtStart[0] > 1) console.error(`bench: load average ${loadAtStart[0].toFixed(2)} at start: other work on this machine will inflate the timings`)
const log = (line: string): void => console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`)
const guard = setTimeout(() => {
  console.error(`bench: still running after ${WHOLE_RUN_LIMIT_MS / 60_000} minutes; stopping`)
  process.exit(3)
}, WHOLE_RUN_LIMIT_MS)
guard.unref()

const figures: Figure[] = []
const details: Record<string, unknown> = {}
const sectionFailed = (section: string, err: unknown): void => {
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err)
  log(`${section} failed: ${message}`)
  figures.push({ section, name: 'section', measured: 'unavailable', target: '', verdict: 'unavailable', note: message })
  details[section] = { error: message }
}

if (only.includes('e2e')) {
  try {
    const r = await endToEnd({ providers, extras: !quick, log })
    figures.push(...r.figures)
    details.endToEnd = { workload: E2E_DESCRIPTION, ...r.details }
  } catch (err) {
    sectionFailed('End to end', err)
  }
}
if (only.includes('collapse')) {
  try {
    const r = collapse(providers)
    figures.push(...r.figures)
    details.collapse = r.details
  } catch (err) {
    sectionFailed('Directory collapse', err)
  }
}
if (only.includes('mapping')) {
  try {
    log('mapping (in a fresh process)…')
    const r = await mappingInChild()
    figures.push(...r.figures)
    details.mapping = r.details
  } catch (err) {
    sectionFailed('Mapping', err)
  }
}
if (only.includes('startup')) {
  try {
    const r = await startup({ runs: 9, log })
    figures.push(...r.figures)
    details.startup = r.details
  } catch (err) {
    sectionFailed('Start-up', err)
  }
}
if (only.includes('memory')) {
  try {
    const r = await memory({ log })
    figures.push(...r.figures)
    details.memory = r.details
  } catch (err) {
    sectionFailed('Memory', err)
  }
}
if (only.includes('verify')) {
  try {
    const r = await verifyCost({ log })
    figures.push(...r.figures)
    details.verify = r.details
  } catch (err) {
    sectionFailed('Verify', err)
  }
}

const durationMs = Date.now() - started
const cpus = os.cpus()
const machine = {
  cpus: cpus.length,
  cpu: cpus[0]?.model ?? '',
  memoryBytes: os.totalmem(),
  node: process.version,
  platform: `${process.platform} ${os.release()}`,
  loadAverage1mAtStart: loadAtStart[0],
  loadAverage1mAtEnd: os.loadavg()[0]
}
const distBytes = readFileSync(snapshotEntry)
const dist = { sha256: createHash('sha256').update(distBytes).digest('hex'), modified: statSync(snapshotEntry).mtime.toISOString() }
console.log(
  `cdn-purge-action bench — ${machine.cpus} × ${machine.cpu}, node ${machine.node}, ${machine.platform}; load average ${machine.loadAverage1mAtStart.toFixed(2)} → ${machine.loadAverage1mAtEnd.toFixed(2)}; dist/index.js sha256 ${dist.sha256.slice(0, 12)} (${dist.modified})`
)
console.log(renderTable(figures))
const misses = figures.filter((f) => f.verdict === 'MISS')
const unavailable = figures.filter((f) => f.verdict === 'unavailable')
console.log(
  `\n${figures.filter((f) => f.verdict === 'PASS').length} PASS, ${misses.length} MISS${unavailable.length > 0 ? `, ${unavailable.length} unavailable` : ''}; ${(durationMs / 1000).toFixed(1)} s`
)
for (const f of misses) console.log(`MISS: ${f.section} — ${f.name}: ${f.measured} (target ${f.target})`)
for (const f of unavailable) console.log(`unavailable: ${f.section} — ${f.name}: ${f.note ?? ''}`)

const resultsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.json')
await writeFile(
  resultsPath,
  `${JSON.stringify({ command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, startedAt: new Date(started).toISOString(), durationMs, machine, dist, figures, details }, null, 2)}\n`
)
console.log(`results: ${path.relative(process.cwd(), resultsPath)}`)
