/**
 * The log half of the runner protocol: workflow commands on stdout (`::add-mask::`,
 * `::group::`, `::error title=…::`), formatted and escaped exactly as @actions/core does.
 *
 * Written here rather than imported because @actions/core loads its OIDC client, and with
 * it undici, when imported: about a quarter of the action's start-up, for a feature this
 * action never uses. @actions/core is still used, loaded once the run reports (see
 * ./outputs.ts), for the file commands (outputs, job summary).
 */
import { EOL } from 'node:os'

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

const write = (line: string): void => {
  process.stdout.write(line + EOL)
}
const command = (name: string, message: string, properties: AnnotationProperties = {}): void => write(formatCommand(name, { title: properties.title }, message))

/** The log calls the action makes, each one line on stdout. */
export const log = {
  info: (message: string): void => write(message),
  /** Shown only when the run has debug logging on (the runner decides). */
  debug: (message: string): void => command('debug', message),
  notice: (message: string, properties?: AnnotationProperties): void => command('notice', message, properties),
  warning: (message: string, properties?: AnnotationProperties): void => command('warning', message, properties),
  error: (message: string, properties?: AnnotationProperties): void => command('error', message, properties),
  /** The runner replaces `secret` with *** in every later line of the log. */
  setSecret: (secret: string): void => command('add-mask', secret),
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
