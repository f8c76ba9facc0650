/** emulators/cli.ts: flags to rehearse failures, --help, and clear refusals. */
import { describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { CliError, HELP, parseCliArgs } from '../../emulators/cli.js'
import { repoRoot } from '../../emulators/runner.js'

const refusal = (args: string[]): string => {
  try {
    parseCliArgs(args)
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    return (err as Error).message
  }
  throw new Error(`accepted ${args.join(' ')}`)
}

describe('parseCliArgs', () => {
  it('defaults: ztgame on any free port, items final after 500 ms', () => {
    expect(parseCliArgs([])).toEqual({
      provider: 'ztgame',
      emulator: { port: 0, completeAfterMs: 500, latencyMs: 0, failUrls: [], stallUrls: [], hosts: [] }
    })
  })

  it('takes failing and stalling URLs (repeatable), hosts, latency and completion time', () => {
    const args = ['--provider', 'ztgame', '--port', '8080', '--complete-after-ms', '0', '--latency-ms', '250']
    args.push('--fail-url', 'https://a.example.com/x', '--fail-url', 'https://a.example.com/y', '--stall-url', 'https://a.example.com/slow')
    args.push('--host', 'a.example.com')
    expect(parseCliArgs(args)).toEqual({
      provider: 'ztgame',
      emulator: {
        port: 8080,
        completeAfterMs: 0,
        latencyMs: 250,
        failUrls: ['https://a.example.com/x', 'https://a.example.com/y'],
        stallUrls: ['https://a.example.com/slow'],
        hosts: ['a.example.com']
      }
    })
  })

  it('--help asks for the help text, which names every flag', () => {
    expect(parseCliArgs(['--help'])).toBeNull()
    for (const flag of ['--provider', '--port', '--complete-after-ms', '--latency-ms', '--fail-url', '--stall-url', '--host', '--help'])
      expect(HELP).toContain(flag)
  })

  it.each([
    [['--bogus'], 'unknown flag --bogus'],
    [['--fail'], 'unknown flag --fail'],
    [['extra'], "unexpected argument 'extra'"],
    [['--port'], '--port needs a value'],
    [['--help=yes'], '--help takes no value'],
    [['--port', '99999'], "--port takes a whole number from 0 to 65535, not '99999'"],
    [['--latency-ms', '-5'], '--latency-ms'],
    [['--complete-after-ms', '1.5'], "--complete-after-ms takes a whole number, not '1.5'"],
    [['--fail-url', 'www.example.com/x'], '--fail-url takes a URL starting with http:// or https://'],
    [['--provider', 'akamai'], "unknown --provider 'akamai'; use one of: ztgame, cdnetworks, ucloud"],
    [['--provider', 'ucloud', '--host', 'a.example.com'], '--host is for ztgame only']
  ])('refuses %j: %s', (args, message) => {
    expect(refusal(args)).toContain(message)
  })
})

/** Runs the CLI with tsx until it prints its first line (or ends); returns that line and its exit. */
function runCli(args: string[]): Promise<{ line: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), 'emulators/cli.ts', ...args], { cwd: repoRoot })
    let out = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n') && !args.includes('--help')) child.kill('SIGTERM')
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ line: out.split('\n')[0], stderr, code }))
  })
}

describe('the cli, run with tsx', () => {
  it('serves a ztgame emulator whose --fail-url task fails and whose other hosts are refused', async () => {
    // started, asked, stopped: the port is one the emulator found free
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'),
        'emulators/cli.ts',
        '--complete-after-ms',
        '0',
        '--fail-url',
        'https://a.example.com/bad',
        '--host',
        'a.example.com'
      ],
      { cwd: repoRoot }
    )
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d) => {
          out += d
          if (out.includes('\n')) resolve(out.split('\n')[0])
        })
        child.on('error', reject)
        child.on('close', (code) => reject(new Error(`ended with ${code} before printing`)))
      })
      const { url, credentials } = JSON.parse(line) as { url: string; credentials: { token: string } }
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const submit = (urls: string[]) =>
        fetch(`${url}/cdn_api/purge`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-auth-token': credentials.token },
          body: JSON.stringify({ urls })
        })
      const refused = await submit(['https://b.example.com/x'])
      expect(refused.status).toBe(403)
      const bad = (await (await submit(['https://a.example.com/bad'])).json()) as { zt_api: { reqId: string } }
      const status = await fetch(`${url}/cdn_api/req_status/${bad.zt_api.reqId}`, { headers: { 'x-auth-token': credentials.token } })
      expect(JSON.stringify(await status.json())).toMatch(/FAILURE/)
    } finally {
      child.kill('SIGTERM')
    }
  }, 60_000)

  it('prints --help and exits 0; an unknown flag exits 2 with a message naming it', async () => {
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.line).toBe('Usage: npx tsx emulators/cli.ts [flags]')
    const bad = await runCli(['--fial-url', 'https://a.example.com/x'])
    expect(bad.code).toBe(2)
    expect(bad.line).toBe('')
    expect(bad.stderr).toContain('emulators/cli.ts: unknown flag --fial-url')
    expect(bad.stderr).toContain('--help')
  }, 60_000)
})
