/**
 * The file half of the runner protocol (step outputs, job summary), through @actions/core.
 * It is loaded on first use, or earlier with preloadReporting() while the run waits for the
 * CDN, so its start-up cost (its OIDC client brings undici) is not paid before the first
 * request.
 */
import { redact } from '../redact.js'

type Core = typeof import('@actions/core')

let core: Promise<Core> | null = null
const loadCore = (): Promise<Core> => (core ??= import('@actions/core'))

/** Starts loading @actions/core now (e.g. while waiting between status rounds). */
export function preloadReporting(): void {
  loadCore().catch(() => {
    // reported by the call that needs it
    core = null
  })
}

/** Sets each step output (a GITHUB_OUTPUT file command), secrets redacted. */
export async function setOutputs(outputs: Record<string, string>): Promise<void> {
  const { setOutput } = await loadCore()
  for (const [name, value] of Object.entries(outputs)) setOutput(name, redact(value))
}

/** Appends markdown to the job summary (GITHUB_STEP_SUMMARY), secrets redacted. */
export async function appendSummary(markdown: string): Promise<void> {
  const { summary } = await loadCore()
  await summary.addRaw(redact(markdown)).write()
}
