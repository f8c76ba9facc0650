/**
 * Starts one provider emulator in the foreground, for CI's `uses: ./` job and for
 * trying the action by hand: `npx tsx emulators/cli.ts --provider ztgame --port 8080`.
 * Prints the base URL and the credential inputs, then serves until it is stopped.
 */
import { demoProviders, startDemoEmulator } from './index.js'

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback
}

const provider = arg('provider', 'ztgame')
if (!demoProviders.includes(provider)) {
  console.error(`unknown --provider '${provider}'; use one of: ${demoProviders.join(', ')}`)
  process.exit(2)
}
const emulator = await startDemoEmulator(provider, { port: Number(arg('port', '0')), completeAfterMs: Number(arg('complete-after-ms', '500')) })
console.log(JSON.stringify({ provider, url: emulator.url, credentials: emulator.credentials }))
const stop = () => void emulator.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
