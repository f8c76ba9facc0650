/**
 * `npm run demo`: the action end to end with no credentials and no network. Makes a
 * throwaway repository with a push, starts a provider emulator on 127.0.0.1, runs
 * dist/index.js exactly as the runner would and prints the log, outputs and summary.
 */
import { DEMO_RULES, makeDemoPush } from '../emulators/repo.js'
import { runAction } from '../emulators/runner.js'
import { startDemoEmulator, demoProviders } from '../emulators/index.js'
import { providerByName } from '../src/providers/index.js'

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1]
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`))
  return eq ? eq.slice(name.length + 3) : fallback
}

const provider = argValue('provider', 'ztgame')
if (!demoProviders.includes(provider)) {
  console.error(`demo: unknown --provider '${provider}'; use one of: ${demoProviders.join(', ')}`)
  process.exit(2)
}

// A purge-only provider (cloudfront, cloudflare) has no prefetch API: its demo purges.
const mode = (providerByName(provider).operations ?? ['purge', 'prefetch']).includes('prefetch') ? 'purge-prefetch' : 'purge'
const push = await makeDemoPush()
const emulator = await startDemoEmulator(provider)
try {
  console.log(`demo: ${provider} emulator at ${emulator.url}; repository ${push.dir}; push ${push.before.slice(0, 7)}..${push.after.slice(0, 7)}\n`)
  const result = await runAction({
    inputs: { provider, endpoint: emulator.url, ...emulator.credentials, rules: DEMO_RULES, mode, 'poll-interval': '1', 'github-token': '' },
    eventName: 'push',
    event: push.event,
    workspace: push.dir,
    sha: push.after
  })
  console.log('──── action log ────')
  process.stdout.write(result.stdout)
  if (result.stderr) process.stdout.write(result.stderr)
  console.log('\n──── outputs ────')
  for (const [k, v] of Object.entries(result.outputs)) console.log(`${k} = ${v}`)
  console.log('\n──── job summary ────')
  console.log(result.summary)
  console.log(`──── exit code ${result.code}; the emulator received ${emulator.requests.length} requests:`, emulator.counts())
  process.exitCode = result.code ?? 1
} finally {
  await emulator.close()
  await push.cleanup()
}
