/**
 * Runs `node dist/index.js` the way `emulators/runner.ts` `runAction` does (same clean
 * environment, INPUT_* variables, event file, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP),
 * plus what a benchmark needs and runAction does not give: the spawn time, a hard kill after
 * `killAfterMs` (so the bench always stops by itself), an optional command prefix
 * (`/usr/bin/time -v`) and extra node flags (`--cpu-prof`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { distEntry, inputVariable, parseFileCommands, runnerEnvironment } from '../emulators/runner.js'

let defaultEntry = distEntry

/** Points every later run at this copy of dist/index.js (see run.ts: a snapshot of dist/). */
export function useActionEntry(entry: string): void {
  defaultEntry = entry
}

export const actionEntry = (): string => defaultEntry

export interface ActionProcessOptions {
  inputs: Record<string, string>
  eventName?: string
  event?: object
  workspace?: string
  sha?: string
  env?: Record<string, string>
  /** Command and arguments put before `node` (e.g. `['/usr/bin/time', '-v']`). */
  prefix?: string[]
  nodeFlags?: string[]
  /** The script to run; dist/index.js (or the snapshot set with useActionEntry) unless given. */
  entry?: string
  /** SIGKILL the process after this long (it is then reported as killed). */
  killAfterMs: number
  /** Called once the process exists (e.g. to watch /proc/<pid>). */
  onSpawn?: (pid: number) => void
}

export interface ActionProcessResult {
  code: number | null
  killed: boolean
  stdout: string
  stderr: string
  outputs: Record<string, string>
  /** Date.now() just before spawn() and when the process closed. */
  spawnedAt: number
  closedAt: number
  /** The parsed report file named by the `report` output, if any. */
  report: any
  /** Bytes of the INPUT_* and event data handed to the process. */
  inputBytes: number
  /** Why the process could not be started (e.g. `E2BIG`), if it could not. */
  spawnError?: string
}

/** Bytes one environment string takes (`NAME=value` and its NUL), which Linux caps at 128 KiB. */
export const envStringBytes = (name: string, value: string): number => Buffer.byteLength(`${name}=${value}`) + 1

/** Linux MAX_ARG_STRLEN: 32 pages of 4 KiB, the most one argument or environment string may take. */
export const MAX_ENV_STRING_BYTES = 32 * 4096

export async function runActionProcess(options: ActionProcessOptions): Promise<ActionProcessResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-bench-run-'))
  try {
    const { env, outputPath, eventBytes } = await runnerEnvironment(dir, options)
    let inputBytes = eventBytes
    for (const [name, value] of Object.entries(options.inputs)) inputBytes += envStringBytes(inputVariable(name), value)
    Object.assign(env, options.env ?? {})
    const prefix = options.prefix ?? []
    const nodeArgs = [...(options.nodeFlags ?? []), options.entry ?? defaultEntry]
    const [command, args] = prefix.length > 0 ? [prefix[0], [...prefix.slice(1), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs]
    const spawnedAt = Date.now()
    let child: ChildProcess
    try {
      child = spawn(command, args, { cwd: options.workspace ?? dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (err) {
      // E2BIG (an environment string over 128 KiB) is thrown here, before any process exists.
      const e = err as NodeJS.ErrnoException
      return {
        code: null,
        killed: false,
        stdout: '',
        stderr: '',
        outputs: {},
        spawnedAt,
        closedAt: Date.now(),
        report: null,
        inputBytes,
        spawnError: e.code ?? e.message
      }
    }
    if (child.pid !== undefined) options.onSpawn?.(child.pid)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    let killed = false
    let spawnError: string | undefined
    const timer = setTimeout(() => {
      killed = true
      child.kill('SIGKILL')
    }, options.killAfterMs)
    const code = await new Promise<number | null>((resolve) => {
      child.on('error', (err) => {
        stderr += `spawn failed: ${err.message}\n`
        spawnError = (err as NodeJS.ErrnoException).code ?? err.message
        resolve(null)
      })
      child.on('close', resolve)
    })
    const closedAt = Date.now()
    clearTimeout(timer)
    const outputs = parseFileCommands(await readFile(outputPath, 'utf8'))
    let report: any = null
    if (outputs.report) {
      try {
        report = JSON.parse(await readFile(outputs.report, 'utf8'))
      } catch {
        report = null
      }
    }
    return { code, killed, stdout, stderr, outputs, spawnedAt, closedAt, report, inputBytes, spawnError }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
