/**
 * The curl-loop baseline as a program of its own, bundled with ncc as dist/ is and run by
 * end-to-end.ts as `node <bundle>/index.js job.json result.json`, so that its wall time, like the
 * action's, runs from spawn to exit.
 *
 * It gets the batches already planned (a curl loop has its URL list ready), submits them one
 * after another with the repository's own provider client and transport, then asks about each
 * task in turn every `pollMs` until it is final, and writes what happened to the result file.
 * Like a loop of curl commands it has one request in flight at a time: the client's own
 * parallel reads (cdnetworks status pages) are put in line.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { createTransport, type Transport } from '../src/http/transport.js'
import { providerByName } from '../src/providers/index.js'
import type { Batch, Task } from '../src/providers/provider.js'

/** What the bench hands the baseline process. */
export interface BaselineJob {
  provider: string
  endpoint: string
  /** The provider's inputs by action.yml name (the emulator's demo credentials). */
  inputs: Record<string, string>
  batches: Batch[]
  /** Time between two questions about one task. */
  pollMs: number
  /** Give up on polling this long after the process started. */
  deadlineMs: number
}

/** What the baseline process reports back. */
export interface BaselineResult {
  /** Items reported final and successful. */
  succeeded: number
  /** The tasks the provider accepted, in submit order. */
  tasks: { id: string; op: Task['op']; urls: string[] }[]
  /** The first thing that went wrong (a failed submit, a task not final by the deadline), if any. */
  problem?: string
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** `request`, one call at a time, in the order they were asked for. */
function oneAtATime(request: Transport): Transport {
  let last: Promise<unknown> = Promise.resolve()
  return (req) => {
    const next = last.then(() => request(req))
    last = next.catch(() => {})
    return next
  }
}

async function baseline(job: BaselineJob, started: number): Promise<BaselineResult> {
  const transport = createTransport()
  try {
    const definition = providerByName(job.provider)
    const settings = definition.readSettings((name) => job.inputs[name] ?? '')
    const client = definition.create(
      {
        endpoint: job.endpoint,
        request: oneAtATime(transport.request),
        mask: () => {},
        log: () => {},
        now: () => Date.now(),
        sleep
      },
      settings
    )
    let problem: string | undefined
    if (client.prepare) await client.prepare()
    const tasks: Task[] = []
    for (const batch of job.batches) {
      try {
        tasks.push(await client.submit(batch))
      } catch (err) {
        problem ??= `submit failed: ${(err as Error).message}`
      }
    }
    const deadline = started + job.deadlineMs
    let succeeded = 0
    for (const task of tasks) {
      for (;;) {
        const final = new Map<string, boolean>()
        try {
          for (const s of await client.status([task])) if (s.state !== 'pending') final.set(s.url, s.state === 'success')
        } catch {
          /* a failed status call: ask again after the interval, as the loop would */
        }
        if (task.items.every((i) => final.has(i.url))) {
          succeeded += task.items.filter((i) => final.get(i.url)).length
          break
        }
        if (Date.now() + job.pollMs > deadline) {
          problem ??= `task ${task.id} not final by the ${job.deadlineMs / 1000} s deadline`
          break
        }
        await sleep(job.pollMs)
      }
    }
    return { succeeded, tasks: tasks.map((t) => ({ id: t.id, op: t.op, urls: t.items.map((i) => i.url) })), problem }
  } finally {
    transport.close()
  }
}

const started = Date.now()
const [jobPath, resultPath] = process.argv.slice(2)
if (!jobPath || !resultPath) {
  console.error('usage: node baseline-client.js <job.json> <result.json>')
  process.exitCode = 2
} else {
  const job = JSON.parse(await readFile(jobPath, 'utf8')) as BaselineJob
  let result: BaselineResult
  try {
    result = await baseline(job, started)
  } catch (err) {
    result = { succeeded: 0, tasks: [], problem: (err as Error).message }
    process.exitCode = 1
  }
  await writeFile(resultPath, JSON.stringify(result))
}
