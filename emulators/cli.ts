/**
 * Starts one provider emulator in the foreground, for CI's `uses: ./` job and for rehearsing a
 * run by hand: `npx tsx emulators/cli.ts --provider ztgame --fail-url https://… --port 8080`.
 * Prints the base URL and the credential inputs as one JSON line, then serves until stopped.
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { demoProviders, providersWithHosts, startDemoEmulator, type DemoEmulatorOptions } from './index.js'

export const HELP = `Usage: npx tsx emulators/cli.ts [flags]

Starts a provider emulator on 127.0.0.1 and prints {"provider", "url", "credentials"} as one
JSON line: point the action's endpoint at the url and give it the credentials.

  --provider NAME           ztgame (default), cdnetworks, ucloud, aliyun, tencentcloud or
                            cloudfront
                            cloudflare
  --port N                  port to listen on; default 0 (any free port)
  --complete-after-ms MS    a submitted item is final this long after its submit; default 500
  --latency-ms MS           delay every answer by MS
  --fail-url URL            this URL ends in failure (ztgame: its whole task, i.e. its batch);
                            repeat the flag for more URLs
  --stall-url URL           this URL never becomes final (the run ends at its timeout);
                            repeatable
  --host HOST               ztgame only: a host of the account; a submit for any other host is
                            refused with HTTP 403; repeatable (default: every host accepted)
  --help                    print this and exit

Example, a run where one URL fails and one host is refused:
  npx tsx emulators/cli.ts --provider ztgame --port 8080 \\
    --fail-url https://www.example.com/index.html --host www.example.com
`

export interface CliOptions {
  provider: string
  emulator: DemoEmulatorOptions
}

/** A wrong flag or value: the message is for the user, with no stack. */
export class CliError extends Error {}

function whole(flag: string, value: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) > max)
    throw new CliError(`--${flag} takes a whole number${max === Number.MAX_SAFE_INTEGER ? '' : ` from 0 to ${max}`}, not '${value}'`)
  return Number(value)
}

function url(flag: string, value: string): string {
  if (!/^https?:\/\/[^/\s]/.test(value)) throw new CliError(`--${flag} takes a URL starting with http:// or https://, not '${value}'`)
  return value
}

/** The flags as emulator options; null for --help. Throws a CliError on a wrong flag or value. */
export function parseCliArgs(args: string[]): CliOptions | null {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        provider: { type: 'string' },
        port: { type: 'string' },
        'complete-after-ms': { type: 'string' },
        'latency-ms': { type: 'string' },
        'fail-url': { type: 'string', multiple: true },
        'stall-url': { type: 'string', multiple: true },
        host: { type: 'string', multiple: true },
        help: { type: 'boolean' }
      }
    }))
  } catch (err) {
    // node's wording, with its code: name the flag and point at --help
    const code = (err as { code?: string }).code
    const message = (err as Error).message
    const quoted = /'([^']*)'/.exec(message)?.[1]
    const flag = /--[\w-]+/.exec(message)?.[0]
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted !== undefined) throw new CliError(`unknown flag ${quoted}`)
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && quoted !== undefined) throw new CliError(`unexpected argument '${quoted}': values follow their flag`)
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
      throw new CliError(/argument missing/.test(message) ? `${flag} needs a value` : `${flag} takes no value`)
    }
    throw new CliError(message)
  }
  if (values.help) return null
  const provider = values.provider ?? 'ztgame'
  if (!demoProviders.includes(provider)) throw new CliError(`unknown --provider '${provider}'; use one of: ${demoProviders.join(', ')}`)
  const hosts = values.host ?? []
  if (hosts.length > 0 && !providersWithHosts.includes(provider)) {
    throw new CliError(`--host is for ${providersWithHosts.join(', ')} only: the ${provider} emulator refuses no host`)
  }
  return {
    provider,
    emulator: {
      port: whole('port', values.port, 0, 65535),
      completeAfterMs: whole('complete-after-ms', values['complete-after-ms'], 500),
      latencyMs: whole('latency-ms', values['latency-ms'], 0),
      failUrls: (values['fail-url'] ?? []).map((u) => url('fail-url', u)),
      stallUrls: (values['stall-url'] ?? []).map((u) => url('stall-url', u)),
      hosts
    }
  }
}

async function main(): Promise<void> {
  let options: CliOptions | null
  try {
    options = parseCliArgs(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof CliError)) throw err
    console.error(`emulators/cli.ts: ${err.message}\nRun with --help to see the flags.`)
    process.exit(2)
  }
  if (options === null) {
    process.stdout.write(HELP)
    return
  }
  const emulator = await startDemoEmulator(options.provider, options.emulator)
  console.log(JSON.stringify({ provider: options.provider, url: emulator.url, credentials: emulator.credentials }))
  const stop = () => void emulator.close().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

// Run when started as a program; importing it (the tests) only defines the parser.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main()
