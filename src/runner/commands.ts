/**
 * The log half of the runner protocol: workflow commands on stdout (`::add-mask::`,
 * `::group::`, `::error title=…::`), formatted and escaped exactly as @actions/core does,
 * with two guards it lacks: recorded secrets are redacted, and no text the action logs can
 * become a command of its own (see neutralise).
 *
 * Written here rather than imported because @actions/core loads its OIDC client, and with
 * it undici, when imported: about a quarter of the action's start-up, for a feature this
 * action never uses. @actions/core is still used, loaded once the run reports (see
 * ./outputs.ts), for the file commands (outputs, job summary).
 */
import { EOL } from 'node:os'
import { addSecret, redact } from '../redact.js'

export interface AnnotationProperties {
  title?: string
}

/** `%`, CR and LF in a command's message. */
export const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')

/** As escapeData, plus `:` and `,`, which separate a command's properties. */
export const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C')

/** `::name key=value,…::message`; properties with an empty value are left out. */
export function formatCommand(name: string, properties: Record<string, string | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
  return `::${name}${props.length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(message)}`
}

/**
 * Characters the runner may pass over when it looks for a command: .NET's TrimStart skips
 * white space, and its culture-aware StartsWith/IndexOf ignore zero-width and other
 * ignorable characters. A superset, so more lines are neutralised rather than fewer.
 */
const SKIPPED = '[\\s\\p{Cc}\\p{Cf}\\p{Mn}\\p{Me}\\p{Z}]'
/** `::` at the start of a line (after skipped characters): the runner's command form. */
const LEADING_COMMAND = new RegExp(`^(${SKIPPED}*):(?=${SKIPPED}*:)`, 'u')
/** `##[` anywhere in a line: the legacy form, which the runner looks for anywhere (IndexOf). */
const LEGACY_COMMAND = new RegExp(`(#${SKIPPED}*#${SKIPPED}*)\\[`, 'gu')

/**
 * One line of plain output made unreadable as a workflow command, visibly: a backslash goes
 * before a leading `::` (`\::error::x`) and before the `[` of `##[` (`##\[error]x`).
 * The runner's parsers are in actions/runner src/Runner.Common/ActionCommand.cs (TryParseV2:
 * `::` after TrimStart; TryParse: `##[` at any IndexOf), tried in that order on every line.
 */
export const neutraliseLine = (line: string): string => breakLegacy(line.replace(LEADING_COMMAND, '$1\\:'))

/** `text` with the `[` of every `##[` escaped by a backslash. */
const breakLegacy = (text: string): string => text.replace(LEGACY_COMMAND, '$1\\[')

/** Every line of `text` neutralised; the line breaks (CR, LF, CRLF: where the runner splits) are kept. */
export const neutralise = (text: string): string =>
  text
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 0 ? neutraliseLine(part) : part))
    .join('')

const write = (line: string): void => {
  process.stdout.write(line + EOL)
}
/**
 * A command with a message: message and title are redacted and escaped to one line, and a
 * `##[` in them broken (the runner reads the line as this command first, so this is only a
 * second guard).
 */
const command = (name: string, message: string, properties: AnnotationProperties = {}): void => {
  const title = properties.title === undefined ? undefined : breakLegacy(redact(properties.title))
  write(formatCommand(name, { title }, breakLegacy(redact(message))))
}

/** The log calls the action makes, each one line on stdout. */
export const log = {
  /** Plain text: secrets redacted and no line of it readable as a workflow command. */
  info: (message: string): void => write(neutralise(redact(message))),
  /** Shown only when the run has debug logging on (the runner decides). */
  debug: (message: string): void => command('debug', message),
  notice: (message: string, properties?: AnnotationProperties): void => command('notice', message, properties),
  warning: (message: string, properties?: AnnotationProperties): void => command('warning', message, properties),
  error: (message: string, properties?: AnnotationProperties): void => command('error', message, properties),
  /**
   * The runner replaces `secret` with *** in every later line of the log; `redact` does the
   * same for the report, summary, outputs and failure text.
   */
  setSecret: (secret: string): void => {
    addSecret(secret)
    write(formatCommand('add-mask', {}, secret))
  },
  startGroup: (name: string): void => command('group', name),
  endGroup: (): void => command('endgroup', ''),
  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    log.startGroup(name)
    try {
      return await fn()
    } finally {
      log.endGroup()
    }
  },
  /** Marks the step failed (exit code 1 when the process ends) with this message as an error. */
  setFailed(message: string): void {
    process.exitCode = 1
    log.error(message)
  }
}

/** What `core.getInput` reads: `INPUT_<NAME>` (spaces as `_`, upper case), trimmed. */
export const getInput = (name: string): string => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
