// Placeholder: being written (issue 3).
import { startServer, type RunningEmulator } from './server.js'

export interface UcloudEmulatorOptions {
  /** publicKey → privateKey accepted by the signature check. */
  keys?: Record<string, string>
  completeAfterMs?: number
  latencyMs?: number
  port?: number
}

export async function startUcloudEmulator(options: UcloudEmulatorOptions = {}): Promise<RunningEmulator> {
  return startServer(() => ({ status: 200, body: { RetCode: 161, Message: 'not implemented' } }), options)
}
