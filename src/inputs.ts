import { operationsOf } from './engine/execute.js'
import { InputError } from './errors.js'
import { hasControls, shown } from './external.js'
import type { Mode, Operation } from './model.js'
import { providerByName, providers } from './providers/index.js'
import type { ProviderDefinition } from './providers/provider.js'

/** Every input common to all providers, as action.yml spells it; each provider declares its own (`ProviderDefinition.inputs`). */
export const Inputs = {
  provider: 'provider',
  endpoint: 'endpoint',
  rules: 'rules',
  mode: 'mode',
  files: 'files',
  urls: 'urls',
  base: 'base',
  minSuccessRate: 'min-success-rate',
  wait: 'wait',
  timeout: 'timeout',
  pollInterval: 'poll-interval',
  concurrency: 'concurrency',
  batchSize: 'batch-size',
  dcdn: 'dcdn',
  dirThreshold: 'dir-threshold',
  dryRun: 'dry-run',
  verify: 'verify',
  githubToken: 'github-token',
  allowForkCredentials: 'allow-fork-credentials'
} as const

/** Every output name, as action.yml spells it. */
export const Outputs = {
  successRate: 'success-rate',
  planned: 'planned',
  urls: 'urls',
  taskIds: 'task-ids',
  report: 'report'
} as const

/** Every input some provider declares, secret if any provider declares it secret. */
const providerInputs = new Map<string, boolean>()
for (const p of providers) for (const i of p.inputs) providerInputs.set(i.name, (providerInputs.get(i.name) ?? false) || i.secret)

/** Inputs that hold secrets: masked as soon as they are read. */
const SECRET_INPUTS = new Set<string>([Inputs.githubToken, ...[...providerInputs].filter(([, secret]) => secret).map(([name]) => name)])

const MODES: readonly Mode[] = ['purge', 'prefetch', 'purge-prefetch']
/** GitHub ends a job after 6 hours; a longer timeout is a mistake. */
const MAX_TIMEOUT_SECONDS = 6 * 60 * 60

/** Everything the run needs, validated. */
export interface Settings {
  /** The CDN to drive. */
  provider: ProviderDefinition
  /** API base URL without a trailing slash. */
  endpoint: string
  /** What `provider.readSettings` returned, for `provider.create`; null in a dry run (nothing is sent, credentials are not required). */
  providerSettings: unknown
  /** Raw YAML of the rules; '' when none were given. */
  rules: string
  mode: Mode
  /** Paths given as changed (skips detection); empty when not given. */
  files: string[]
  /** Raw `urls` input; parsed by the plan stage. */
  urls: string
  /** Commit to diff from, or `last-success` (the last successful run's); '' = the event's. */
  base: string
  /** Percent of items that must succeed. */
  minSuccessRate: number
  wait: boolean
  /** Seconds allowed for polling. */
  timeoutSeconds: number
  /** Seconds between status rounds; null = the provider's default. */
  pollSeconds: number | null
  /** Calls in flight at once. */
  concurrency: number
  /** Items per submit call below the provider's limit (older contracts, resellers); null = the provider's limit. */
  batchSize: number | null
  /** Whole-site acceleration domains (UCloud `IsDcdn`); only providers with `supportsDcdn` take it. */
  dcdn: boolean
  /** Purge a directory instead of this many or more files in it; null = never. */
  dirThreshold: number | null
  dryRun: boolean
  /** After the CDN work, fetch each done URL at the edge and compare it with the workspace file. */
  verify: boolean
  githubToken: string
  /** Send credentials on pull_request_target runs whose head comes from a fork. */
  allowForkCredentials: boolean
  /** Inputs given that the provider does not read (ignored), one line each, to log as warnings. */
  warnings: string[]
}

export type GetInput = (name: string) => string

/**
 * A plain decimal: digits with an optional fraction (`.5` and `5.` too) and an optional minus
 * (so `-1` is reported as out of range). Not `Number()`'s wider grammar: `0x10`, `0b11`, `1e-9`,
 * `Infinity`, `+5` and blanks are refused rather than read as 16, 3, 0, ∞, 5 or 0.
 */
const PLAIN_DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/

function parseNumber(input: string, raw: string, min: number, max: number, integer: boolean, what: string): number {
  const value = PLAIN_DECIMAL.test(raw) ? Number(raw) : NaN
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new InputError(input, `'${shown(raw, 40)}' is not ${what} (${min}–${max}) written as a plain decimal such as ${integer ? '30' : '2.5'}`)
  }
  return value
}

/** Hosts whose traffic never leaves the machine: plain HTTP to them exposes nothing. */
function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '')
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1'
}

/**
 * A warning when `endpoint` sends credentials (tokens, keys, signatures) over plain HTTP to a
 * host other than loopback, where anyone on the path can read or replay them; null otherwise.
 */
export function plainHttpWarning(endpoint: string): string | null {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    return null
  }
  if (url.protocol !== 'http:' || isLoopback(url.hostname)) return null
  return (
    `endpoint ${shown(endpoint)} is plain HTTP: the credentials and every request go unencrypted to ${url.host}, readable by anyone on the way. ` +
    `Set endpoint to its https:// address if the provider offers one (see the README's Security section).`
  )
}

function parseBoolean(input: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback
  if (/^(true|True|TRUE)$/.test(raw)) return true
  if (/^(false|False|FALSE)$/.test(raw)) return false
  throw new InputError(input, `'${raw}' is not a boolean; use true or false`)
}

/**
 * `batch-size`: a whole number of items, at most the provider's per-call limit for the
 * operations of `mode` (the larger one for purge-prefetch; each operation then uses the
 * smaller of the two). A provider whose default is a safe figure below what some accounts
 * allow (`maxItemsPerCall`) may be raised up to that. Empty: null, the provider's limits.
 */
function readBatchSize(raw: string, provider: ProviderDefinition, mode: Mode): number | null {
  if (raw === '') return null
  const ops = operationsOf(mode)
  const most = (op: Operation): number => provider.limits.maxItemsPerCall?.[op] ?? provider.limits.itemsPerCall[op]
  const max = Math.max(...ops.map(most))
  const raises = ops.some((op) => most(op) > provider.limits.itemsPerCall[op])
  const limit = ops.map((op) => `${op} ${most(op)}`).join(', ')
  if (/^\d+$/.test(raw) && Number(raw) > max) {
    const can = raises ? `it can raise the default up to that` : 'it can only lower it'
    throw new InputError(Inputs.batchSize, `'${raw}' is above ${provider.name}'s per-call limit (${limit}); ${can}`)
  }
  return parseNumber(Inputs.batchSize, raw, 1, max, true, 'a whole number of items')
}

/**
 * The `files` input. Several lines: one path per line, each line whole (spaces and commas are
 * part of the name), trimmed, blank lines skipped. One line (the Run-workflow form has no other):
 * paths separated by spaces, tabs or commas; a path holding one of those is written in double
 * quotes (`"My Report.pdf"`). Quotes mean nothing in a list of several lines.
 */
export function parseFileList(raw: string): string[] {
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  return lines.length === 1 ? splitFileLine(lines[0]) : lines
}

const FILE_SEPARATOR = /[ \t,]/

/** One line of `files`, split at spaces, tabs and commas outside double quotes. */
function splitFileLine(line: string): string[] {
  const paths: string[] = []
  let i = 0
  while (i < line.length) {
    if (FILE_SEPARATOR.test(line[i])) {
      i++
      continue
    }
    if (line[i] === '"') {
      const close = line.indexOf('"', i + 1)
      if (close < 0 || (close + 1 < line.length && !FILE_SEPARATOR.test(line[close + 1]))) {
        throw new InputError(
          Inputs.files,
          `'${shown(line)}': the quote at character ${i + 1} has no closing quote before a space, comma or the end; write "My Report.pdf", or one path per line`
        )
      }
      if (close > i + 1) paths.push(line.slice(i + 1, close))
      i = close + 1
      continue
    }
    let end = i
    while (end < line.length && !FILE_SEPARATOR.test(line[end])) end++
    paths.push(line.slice(i, end))
    i = end
  }
  return paths
}

/**
 * Reads and validates every input. `getInput` returns the trimmed value ('' when unset);
 * `mask` registers secrets with the runner before anything can log them; `env` holds the
 * variables a provider may read when its input is empty.
 */
export function readSettings(getInput: GetInput, mask: (secret: string) => void, env: NodeJS.ProcessEnv = process.env): Settings {
  const read = (name: string): string => {
    const value = getInput(name)
    if (value !== '' && SECRET_INPUTS.has(name)) mask(value)
    return value
  }
  // Read (and mask) every provider's inputs first, so no later error can come before masking.
  const given = new Map<string, string>()
  for (const name of providerInputs.keys()) given.set(name, read(name))
  const githubToken = read(Inputs.githubToken)
  const provider = providerByName(read(Inputs.provider))

  const endpoint = (read(Inputs.endpoint) || provider.defaultEndpoint).replace(/\/+$/, '')
  let parsedEndpoint: URL | null = null
  try {
    // The URL parser drops tabs and line breaks silently; the endpoint must not hold them.
    if (!hasControls(endpoint)) parsedEndpoint = new URL(endpoint)
  } catch {
    /* reported below */
  }
  if (
    !parsedEndpoint ||
    !/^https?:$/.test(parsedEndpoint.protocol) ||
    parsedEndpoint.username ||
    parsedEndpoint.password ||
    parsedEndpoint.search ||
    parsedEndpoint.hash
  ) {
    throw new InputError(
      Inputs.endpoint,
      `'${shown(endpoint)}' is not an http(s) base URL (no credentials, query, fragment or control characters); leave it empty for ${provider.defaultEndpoint}`
    )
  }

  const modeRaw = read(Inputs.mode) || 'purge'
  if (!MODES.includes(modeRaw as Mode)) throw new InputError(Inputs.mode, `'${modeRaw}' is not a mode; use one of: ${MODES.join(', ')}`)
  const mode = modeRaw as Mode
  const offered = provider.operations ?? ['purge', 'prefetch']
  const missing = operationsOf(mode).filter((op) => !offered.includes(op))
  if (missing.length > 0) {
    throw new InputError(Inputs.mode, `${provider.name} has no ${missing.join(' or ')} API; use mode: ${offered.join(' or mode: ')}`)
  }

  const base = read(Inputs.base)
  if (base.startsWith('-') || /[\s\x00-\x1f]/.test(base)) throw new InputError(Inputs.base, `'${base}' is not a commit or ref`)

  const pollRaw = read(Inputs.pollInterval)
  const concurrencyRaw = read(Inputs.concurrency)
  const dirThresholdRaw = read(Inputs.dirThreshold)
  const settings: Settings = {
    provider,
    endpoint,
    providerSettings: null,
    rules: read(Inputs.rules),
    mode,
    files: parseFileList(read(Inputs.files)),
    urls: read(Inputs.urls),
    base,
    minSuccessRate: parseNumber(Inputs.minSuccessRate, read(Inputs.minSuccessRate) || '100', 0, 100, false, 'a percentage'),
    wait: parseBoolean(Inputs.wait, read(Inputs.wait), true),
    timeoutSeconds: parseNumber(Inputs.timeout, read(Inputs.timeout) || '600', 1, MAX_TIMEOUT_SECONDS, true, 'a whole number of seconds'),
    pollSeconds: pollRaw === '' ? null : parseNumber(Inputs.pollInterval, pollRaw, 0.1, 3600, false, 'a number of seconds'),
    concurrency:
      concurrencyRaw === '' ? provider.limits.defaultConcurrency : parseNumber(Inputs.concurrency, concurrencyRaw, 1, 64, true, 'a whole number of calls'),
    dirThreshold: dirThresholdRaw === '' ? null : parseNumber(Inputs.dirThreshold, dirThresholdRaw, 2, 100_000, true, 'a whole number of files'),
    batchSize: readBatchSize(read(Inputs.batchSize), provider, mode),
    dcdn: parseBoolean(Inputs.dcdn, read(Inputs.dcdn), false),
    dryRun: parseBoolean(Inputs.dryRun, read(Inputs.dryRun), false),
    verify: parseBoolean(Inputs.verify, read(Inputs.verify), false),
    githubToken,
    allowForkCredentials: parseBoolean(Inputs.allowForkCredentials, read(Inputs.allowForkCredentials), false),
    warnings: ignoredInputs(provider, given)
  }
  if (settings.rules === '' && settings.files.length > 0) {
    throw new InputError(Inputs.rules, 'files were given but no rules map them to URLs; add rules, or use urls for URLs as they are')
  }
  if (settings.rules === '' && settings.urls === '') {
    throw new InputError(Inputs.rules, 'give rules (to map changed files to URLs) or urls (to submit as they are); with neither there is nothing to send')
  }
  if (settings.verify && !settings.wait) {
    throw new InputError(
      Inputs.verify,
      'true checks the edge once the CDN tasks are done, but wait is false, so they are not awaited; set wait to true, or verify to false'
    )
  }
  if (settings.dirThreshold !== null && !provider.limits.directories) {
    throw new InputError(Inputs.dirThreshold, `${provider.name} cannot purge directories; leave dir-threshold empty`)
  }
  if (settings.dcdn && !provider.supportsDcdn) {
    const takers = providers.filter((p) => p.supportsDcdn).map((p) => p.name)
    throw new InputError(
      Inputs.dcdn,
      `${provider.name} has no whole-site acceleration (IsDcdn) setting; leave dcdn false (only ${takers.join(', ')} ${takers.length === 1 ? 'takes' : 'take'} it)`
    )
  }
  if (!settings.dryRun) settings.providerSettings = provider.readSettings(providerReader(provider, given, env, mask))
  return settings
}

/**
 * `provider`'s reader: a declared input's value, else its first non-empty environment variable,
 * masked like the input when the input is secret. The environment is read only when every
 * input that declares variables is empty: credentials come all from inputs or all from the
 * environment, never a key from one and its secret or session token from the other. Any other
 * name is a bug in the provider, not in the workflow.
 */
export function providerReader(provider: ProviderDefinition, given: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, mask: (secret: string) => void) {
  const useEnv = provider.inputs.every((i) => !i.env?.length || (given.get(i.name) ?? '') === '')
  return (name: string): string => {
    const input = provider.inputs.find((i) => i.name === name)
    if (!input) throw new Error(`${provider.name} reads input '${name}' without declaring it`)
    const value = given.get(name) ?? ''
    if (value !== '' || !useEnv) return value
    for (const variable of input.env ?? []) {
      const fromEnv = (env[variable] ?? '').trim()
      if (fromEnv === '') continue
      if (input.secret) mask(fromEnv)
      return fromEnv
    }
    return ''
  }
}

/** A warning for each input given that `provider` does not read: another provider's, ignored. */
function ignoredInputs(provider: ProviderDefinition, given: ReadonlyMap<string, string>): string[] {
  const warnings: string[] = []
  for (const [name, value] of given) {
    if (value === '' || provider.inputs.some((i) => i.name === name)) continue
    const readers = providers.filter((p) => p.inputs.some((i) => i.name === name)).map((p) => p.name)
    warnings.push(`Input '${name}' is ignored: provider ${provider.name} does not read it (${readers.join(', ')} ${readers.length === 1 ? 'does' : 'do'}).`)
  }
  return warnings
}
