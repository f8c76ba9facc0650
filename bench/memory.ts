/**
 * Memory: peak RSS of `node dist/index.js` doing a dry run over 100,000 changed files and the
 * 20 mapping rules. The `files` input cannot carry them: the runner passes inputs as environment
 * variables and Linux refuses any one environment string over 128 KiB (E2BIG). So the bench
 * (1) shows that E2BIG, (2) measures the largest `files` input that does fit, and (3) measures
 * the 100,000-file dry run the way a real workflow would reach it: a push event whose
 * before..after diff in a local git repository (built with `git fast-import`) has 100,000 files.
 */
import { execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ChangedFile } from '../src/model.js'
import { MAX_ENV_STRING_BYTES, envStringBytes, runActionProcess, type ActionProcessResult } from './action-process.js'
import { check, mib, seconds, type Figure } from './figures.js'
import { MAPPING_RULES, mappingFiles } from './workload.js'

const run = promisify(execFile)
export const MEMORY_FILES = 100_000
const KILL_AFTER_MS = 60_000
const TIME = '/usr/bin/time'

/** `/usr/bin/time -v` when it exists: its "Maximum resident set size" is the kernel's peak RSS. */
async function hasGnuTime(): Promise<boolean> {
  try {
    await run(TIME, ['-v', 'true'])
    return true
  } catch {
    return false
  }
}

function maxRssBytes(stderr: string): number | null {
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
  return m ? Number(m[1]) * 1024 : null
}

/** Peak RSS without /usr/bin/time: VmHWM of the process, read every 10 ms while it runs. */
function watchHwm(pid: number): () => number | null {
  let peak: number | null = null
  const read = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) peak = Math.max(peak ?? 0, Number(m[1]) * 1024)
    } catch {
      /* the process has ended */
    }
  }
  const timer = setInterval(read, 10)
  return () => {
    clearInterval(timer)
    return peak
  }
}

/** A repository whose last commit changes `files` relative to its parent (statuses as given). */
async function makePushRepo(files: ChangedFile[]): Promise<{ dir: string; before: string; after: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-bench-repo-'))
  await run('git', ['init', '-q', '-b', 'main', dir])
  const quote = (p: string): string => (/^["\s]|[\n\\"]/.test(p) ? JSON.stringify(p) : p)
  const lines: string[] = ['blob', 'mark :1', 'data 2', 'v1', 'blob', 'mark :2', 'data 2', 'v2']
  lines.push('commit refs/heads/main', 'mark :3', 'committer Bench <bench@example.com> 1700000000 +0000', 'data 6', 'before')
  for (const f of files) if (f.status !== 'added') lines.push(`M 100644 :1 ${quote(f.path)}`)
  lines.push('', 'commit refs/heads/main', 'mark :4', 'committer Bench <bench@example.com> 1700000100 +0000', 'data 5', 'after', 'from :3')
  for (const f of files) {
    if (f.status === 'deleted') lines.push(`D ${quote(f.path)}`)
    else lines.push(`M 100644 :${f.status === 'added' ? 1 : 2} ${quote(f.path)}`)
  }
  lines.push('')
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: dir, stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import failed: ${stderr.trim()}`))))
    child.stdin.end(lines.join('\n'))
  })
  const { stdout } = await run('git', ['rev-parse', 'main~1', 'main'], { cwd: dir })
  const [before, after] = stdout.trim().split('\n')
  return { dir, before, after }
}

const planLine = (stdout: string): string => /plan: [^\n]*/.exec(stdout)?.[0] ?? ''

export interface MemoryOptions {
  log: (line: string) => void
}

export async function memory(options: MemoryOptions): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const section = `Memory (peak RSS of a dry run of node dist/index.js, 20 rules, mode purge)`
  const figures: Figure[] = []
  const details: Record<string, unknown> = {}
  const files = mappingFiles(MEMORY_FILES)
  const gnuTime = await hasGnuTime()
  details.method = gnuTime ? '/usr/bin/time -v (Maximum resident set size)' : '/proc/<pid>/status VmHWM polled every 10 ms'
  const baseInputs = { provider: 'ztgame', 'dry-run': 'true', rules: MAPPING_RULES, 'github-token': '' }

  const measure = async (label: string, extra: Parameters<typeof runActionProcess>[0]): Promise<{ run: ActionProcessResult; rss: number | null }> => {
    options.log(`memory: ${label}…`)
    let stop: (() => number | null) | null = null
    const result = await runActionProcess({
      ...extra,
      prefix: gnuTime ? [TIME, '-v'] : undefined,
      onSpawn: gnuTime ? undefined : (pid) => (stop = watchHwm(pid))
    })
    const polled = (stop as (() => number | null) | null)?.() ?? null
    const rss = gnuTime ? maxRssBytes(result.stderr) : polled
    return { run: result, rss }
  }

  // (1) the files input with all 100,000 paths: one environment string far above 128 KiB.
  const allFiles = files.map((f) => f.path).join('\n')
  const allBytes = envStringBytes('INPUT_FILES', allFiles)
  const tooBig = await runActionProcess({ inputs: { ...baseInputs, files: allFiles }, eventName: 'workflow_dispatch', killAfterMs: KILL_AFTER_MS })
  figures.push({
    section,
    name: `files input with ${MEMORY_FILES.toLocaleString('en')} paths`,
    measured: tooBig.spawnError ?? (tooBig.code === 0 ? 'ran' : `exit ${tooBig.code}`),
    target: '',
    verdict: 'info',
    note: `INPUT_FILES would be ${allBytes.toLocaleString('en')} bytes; Linux allows ${MAX_ENV_STRING_BYTES.toLocaleString('en')} per environment string (MAX_ARG_STRLEN), and the runner passes inputs as environment variables`
  })
  details.filesInput = { bytes: allBytes, spawnError: tooBig.spawnError ?? null, code: tooBig.code }

  // (2) the largest files input that fits.
  let count = 0
  let bytes = envStringBytes('INPUT_FILES', '')
  for (const f of files) {
    const more = Buffer.byteLength(f.path) + (count > 0 ? 1 : 0)
    if (bytes + more > MAX_ENV_STRING_BYTES) break
    bytes += more
    count++
  }
  const fits = await measure(`dry run, files input with ${count} paths`, {
    inputs: {
      ...baseInputs,
      files: files
        .slice(0, count)
        .map((f) => f.path)
        .join('\n')
    },
    eventName: 'workflow_dispatch',
    killAfterMs: KILL_AFTER_MS
  })
  figures.push({
    section,
    name: `peak RSS, files input (${count.toLocaleString('en')} paths, the most that fit)`,
    measured: fits.rss === null ? 'unavailable' : mib(fits.rss),
    target: '',
    verdict: fits.rss === null || fits.run.code !== 0 ? 'unavailable' : 'info',
    value: fits.rss,
    note: `${seconds(fits.run.closedAt - fits.run.spawnedAt)}, exit ${fits.run.code}${fits.run.spawnError ? ` (${fits.run.spawnError})` : ''}; ${planLine(fits.run.stdout)}`
  })
  details.largestFilesInput = { paths: count, envBytes: bytes, rssBytes: fits.rss, code: fits.run.code, wallMs: fits.run.closedAt - fits.run.spawnedAt }

  // (3) 100,000 files from a push event (local git diff).
  options.log('memory: building a git repository with a 100,000-file push…')
  const repo = await makePushRepo(files)
  try {
    const event = {
      ref: 'refs/heads/main',
      before: repo.before,
      after: repo.after,
      created: false,
      deleted: false,
      repository: { default_branch: 'main', full_name: 'octo/site' }
    }
    const push = await measure(`dry run, push of ${MEMORY_FILES} files`, {
      inputs: baseInputs,
      eventName: 'push',
      event,
      workspace: repo.dir,
      sha: repo.after,
      killAfterMs: KILL_AFTER_MS
    })
    const changed = /(\d+) changed files/.exec(push.run.stdout)?.[1] ?? '?'
    const ok = push.run.code === 0 && push.rss !== null
    figures.push({
      section,
      name: `peak RSS, push event with ${MEMORY_FILES.toLocaleString('en')} changed files`,
      measured: push.rss === null ? 'unavailable' : mib(push.rss),
      target: '≤ 150.0 MiB',
      verdict: ok ? check(push.rss! <= 150 * 1048576) : 'unavailable',
      value: push.rss,
      note: `${seconds(push.run.closedAt - push.run.spawnedAt)}, exit ${push.run.code}, ${changed} changed files read from git; ${planLine(push.run.stdout)}${ok ? '' : `; ${push.run.stderr.split('\n').find((l) => l.trim() !== '') ?? ''}`}`
    })
    // git's own peak, to show the figure above is node's (ru_maxrss is the largest of node and the git it waited for).
    let gitRss: number | null = null
    if (gnuTime) {
      const { stderr } = await run(TIME, ['-v', 'git', 'diff', '--name-status', '-z', '--no-renames', repo.before, repo.after, '--'], {
        cwd: repo.dir,
        maxBuffer: 256 * 1024 * 1024
      })
      gitRss = maxRssBytes(stderr)
      figures.push({
        section,
        name: 'peak RSS of the git diff alone',
        measured: gitRss === null ? 'unavailable' : mib(gitRss),
        target: '',
        verdict: 'info',
        value: gitRss
      })
    }
    details.push = {
      files: MEMORY_FILES,
      changedFilesLogged: changed,
      rssBytes: push.rss,
      gitRssBytes: gitRss,
      code: push.run.code,
      wallMs: push.run.closedAt - push.run.spawnedAt,
      plan: planLine(push.run.stdout)
    }
  } finally {
    await rm(repo.dir, { recursive: true, force: true })
  }
  return { figures, details }
}
