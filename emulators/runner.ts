import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (this file lives in emulators/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const distEntry = path.join(repoRoot, 'dist', 'index.js')

export interface ActionRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** The parsed report file named by the `report` output, if any. */
  report: any
}

export interface RunActionOptions {
  /** Action inputs by their action.yml names. */
  inputs: Record<string, string>
  eventName?: string
  event?: object
  /** GITHUB_WORKSPACE and the child's working directory. */
  workspace?: string
  sha?: string
  env?: Record<string, string>
  entry?: string
}

/** GitHub's multi-line file-command format: name<<DELIM\nvalue\nDELIM */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (m) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i])
      out[m[1]] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      out[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return out
}

/** What the runner gives an action process: event, output and summary files, and its environment. */
export interface RunnerEnvironment {
  env: Record<string, string>
  outputPath: string
  summaryPath: string
  /** Bytes of the event file. */
  eventBytes: number
}

/**
 * Writes the event and file-command files into `dir` and builds the environment the runner
 * would give the action: this process's variables minus any INPUT_*, GITHUB_*, RUNNER_DEBUG
 * and NODE_OPTIONS, then the GitHub variables and one INPUT_<NAME> per input.
 */
export async function runnerEnvironment(
  dir: string,
  options: Pick<RunActionOptions, 'inputs' | 'eventName' | 'event' | 'workspace' | 'sha'>
): Promise<RunnerEnvironment> {
  const eventPath = path.join(dir, 'event.json')
  const outputPath = path.join(dir, 'output.txt')
  const summaryPath = path.join(dir, 'summary.md')
  const eventText = JSON.stringify(options.event ?? {})
  await writeFile(eventPath, eventText)
  await writeFile(outputPath, '')
  await writeFile(summaryPath, '')
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    // A clean runner environment: nothing leaks in from this process (test loader flags included).
    if (v !== undefined && !k.startsWith('INPUT_') && !k.startsWith('GITHUB_') && k !== 'RUNNER_DEBUG' && k !== 'NODE_OPTIONS') env[k] = v
  }
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: options.workspace ?? dir,
    GITHUB_SHA: options.sha ?? '0000000000000000000000000000000000000000',
    GITHUB_REPOSITORY: 'octo/site',
    GITHUB_RUN_ID: '1',
    RUNNER_TEMP: dir
  })
  for (const [name, value] of Object.entries(options.inputs)) env[inputVariable(name)] = value
  return { env, outputPath, summaryPath, eventBytes: Buffer.byteLength(eventText) }
}

/** The environment variable the runner passes an input in (dashes kept). */
export const inputVariable = (name: string): string => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`

/** Runs the action as the runner does: INPUT_* variables, event file, file commands. */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-action-run-'))
  try {
    const { env, outputPath, summaryPath } = await runnerEnvironment(dir, options)
    Object.assign(env, options.env ?? {})
    const child = spawn(process.execPath, [options.entry ?? distEntry], { cwd: options.workspace ?? dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const outputs = parseFileCommands(await readFile(outputPath, 'utf8'))
    const summary = await readFile(summaryPath, 'utf8')
    let report: any = null
    if (outputs.report) report = JSON.parse(await readFile(outputs.report, 'utf8'))
    return { code, stdout, stderr, outputs, summary, report }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
