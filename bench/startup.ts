/**
 * Start-up: from spawning `node dist/index.js` to the emulator receiving the first request,
 * median of several runs, for two runs that differ in what they load: a manual purge (one URL
 * in `urls`) and a push (one changed file through the bench's rules, so YAML and glob
 * matching are loaded too); both `wait: false`. A bare `node -e ""` for comparison, and the
 * size of dist/.
 */
import { spawn } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { startDemoEmulator } from '../emulators/index.js'
import { actionEntry, runActionProcess } from './action-process.js'
import { check, median, ms, type Figure } from './figures.js'
import { E2E_RULES } from './workload.js'

const KILL_AFTER_MS = 30_000

async function dirBytes(dir: string): Promise<{ total: number; files: Record<string, number> }> {
  const files: Record<string, number> = {}
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const full = path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)
    const size = (await stat(full)).size
    files[path.relative(dir, full)] = size
    total += size
  }
  return { total, files }
}

/** `node -e ""` from spawn to exit: what any Node action pays before its own code runs. */
async function bareNodeMs(): Promise<number> {
  const start = performance.now()
  await new Promise<void>((resolve) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('close', () => resolve()))
  return performance.now() - start
}

export interface StartupOptions {
  runs: number
  log: (line: string) => void
}

/** The two runs measured: what differs is the inputs, so what the action must load. */
const SCENARIOS: { name: string; inputs: Record<string, string> }[] = [
  { name: 'manual purge (one URL in urls)', inputs: { urls: 'https://www.example.com/index.html' } },
  { name: 'push (one changed file through 3 rules)', inputs: { rules: E2E_RULES, files: 'public/d0-1/file-3.css' } }
]

/** Spawn → first request of `runs` runs (after one that warms the page cache for dist/). */
async function spawnToFirstRequest(inputs: Record<string, string>, runs: number): Promise<{ samples: number[]; problems: string[] }> {
  const samples: number[] = []
  const problems: string[] = []
  for (let i = 0; i < runs + 1; i++) {
    const emulator = await startDemoEmulator('ztgame', { completeAfterMs: 0, latencyMs: 0 })
    try {
      const run = await runActionProcess({
        inputs: { provider: 'ztgame', endpoint: emulator.url, ...emulator.credentials, ...inputs, wait: 'false', 'github-token': '' },
        eventName: 'workflow_dispatch',
        killAfterMs: KILL_AFTER_MS
      })
      const first = emulator.requests[0]
      if (run.code !== 0 || first === undefined) {
        problems.push(`run ${i + 1}: exit ${run.code}, ${emulator.requests.length} requests`)
        continue
      }
      // The first run warms the page cache for dist/ (a runner has just downloaded it, too).
      if (i > 0) samples.push(first.at - run.spawnedAt)
    } finally {
      await emulator.close()
    }
  }
  return { samples, problems }
}

export async function startup(options: StartupOptions): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const section = `Start-up (spawn of node dist/index.js to the emulator's first request; median of ${options.runs} runs)`
  const figures: Figure[] = []
  const details: Record<string, unknown> = {}
  for (const scenario of SCENARIOS) {
    options.log(`start-up: ${scenario.name}: ${options.runs} runs…`)
    const { samples, problems } = await spawnToFirstRequest(scenario.inputs, options.runs)
    const value = median(samples)
    figures.push({
      section,
      name: `spawn → first request, ${scenario.name}`,
      measured: samples.length > 0 ? ms(value) : 'unavailable',
      target: '≤ 150 ms',
      verdict: samples.length > 0 ? check(value <= 150) : 'unavailable',
      value: samples.length > 0 ? value : null,
      note: `runs: ${samples.map((s) => String(s)).join(', ')} ms${problems.length > 0 ? `; failed: ${problems.join('; ')}` : ''}`
    })
    details[scenario.name] = { samplesMs: samples, problems }
  }
  const bare: number[] = []
  for (let i = 0; i < 5; i++) bare.push(await bareNodeMs())
  const dist = await dirBytes(path.dirname(actionEntry()))
  const indexBytes = dist.files['index.js'] ?? 0
  figures.push(
    { section, name: 'bare node -e "" spawn → exit (median)', measured: ms(median(bare)), target: '', verdict: 'info', value: median(bare) },
    {
      section,
      name: 'dist/ total size',
      measured: `${dist.total.toLocaleString('en')} B`,
      target: '',
      verdict: 'info',
      value: dist.total,
      note: Object.entries(dist.files)
        .map(([f, b]) => `${f} ${b.toLocaleString('en')}`)
        .join(', ')
    },
    { section, name: 'dist/index.js size', measured: `${indexBytes.toLocaleString('en')} B`, target: '', verdict: 'info', value: indexBytes }
  )
  return { figures, details: { ...details, bareNodeMs: bare, dist } }
}
