import { afterAll, afterEach, beforeAll } from '@jest/globals'
import { DEMO_RULES, makeDemoPush, type DemoPush } from '../emulators/repo.js'
import { runAction, type ActionRun } from '../emulators/runner.js'

export interface ProviderE2eOptions<E> {
  provider: string
  /** The provider's credential inputs. */
  credentials: Record<string, string>
  /** The endpoint input for a running emulator (its URL unless told). */
  endpoint?: (emulator: E) => string
  /** Inputs every run gets (default: a 0.1 s poll interval). */
  common?: Record<string, string>
}

/**
 * The setup a provider's e2e file shares: one demo push for the file, the emulator of each test
 * closed after it, and runPush / runUrls with the provider, endpoint and credentials filled in.
 * Register the emulator a test starts with `use`.
 */
export function providerE2e<E extends { url: string; close(): Promise<void> }>(options: ProviderE2eOptions<E>) {
  const { provider, credentials, endpoint = (e: E) => e.url, common = { 'poll-interval': '0.1' } } = options
  let push: DemoPush
  let emulator: E | null = null
  beforeAll(async () => {
    push = await makeDemoPush()
  })
  afterAll(async () => {
    await push.cleanup()
  })
  afterEach(async () => {
    await emulator?.close()
    emulator = null
  })
  const base = () => ({ provider, endpoint: endpoint(emulator!), ...credentials })
  return {
    /** Records the emulator a test started, to close after the test. */
    use(started: E): E {
      emulator = started
      return started
    },
    /** Runs the action on the demo push. */
    runPush(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
      return runAction({
        inputs: { ...base(), rules: DEMO_RULES, ...common, 'github-token': '', ...inputs },
        eventName: 'push',
        event: push.event,
        workspace: push.dir,
        sha: push.after,
        env
      })
    },
    /** Runs the action on a workflow_dispatch with these urls. */
    runUrls(urls: string, inputs: Record<string, string> = {}): Promise<ActionRun> {
      return runAction({ inputs: { ...base(), urls, ...common, ...inputs }, eventName: 'workflow_dispatch' })
    }
  }
}

/** Every place a value could show (log, summary, report, outputs), but the ::add-mask:: commands. */
export const visibleOf = (r: ActionRun): string =>
  [...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')), r.stderr, r.summary, JSON.stringify(r.report), JSON.stringify(r.outputs)].join('\n')
