import type { RunningEmulator } from './server.js'
import { startZtgameEmulator } from './ztgame.js'

/** An emulator plus the action inputs that authenticate against it. */
export interface DemoEmulator extends RunningEmulator {
  credentials: Record<string, string>
}

export const demoProviders = ['ztgame']

/** Starts the named provider's emulator with demo credentials. */
export async function startDemoEmulator(provider: string, options: { completeAfterMs?: number; latencyMs?: number; port?: number } = {}): Promise<DemoEmulator> {
  switch (provider) {
    case 'ztgame': {
      const token = 'demo-token'
      const emulator = await startZtgameEmulator({ tokens: [token], completeAfterMs: options.completeAfterMs ?? 1500, latencyMs: options.latencyMs, port: options.port })
      return Object.assign(emulator, { credentials: { token } })
    }
    default:
      throw new Error(`no emulator for provider '${provider}'`)
  }
}
