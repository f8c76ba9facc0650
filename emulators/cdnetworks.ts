// Placeholder: being written (issue 3).
import { startServer, type RunningEmulator } from './server.js'

export interface CdnetworksEmulatorOptions {
  /** username → apiKey accepted by the API-key scheme. */
  users?: Record<string, string>
  completeAfterMs?: number
  latencyMs?: number
  port?: number
}

export async function startCdnetworksEmulator(options: CdnetworksEmulatorOptions = {}): Promise<RunningEmulator> {
  return startServer(() => ({ status: 501, body: { Code: 0, Message: 'not implemented' } }), options)
}
