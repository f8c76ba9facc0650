import { readFile } from 'node:fs/promises'
import os from 'node:os'
import { detectChanges } from './changes/detect.js'
import type { Deadline } from './changes/deadline.js'
import { forkRefusal } from './changes/fork.js'
import { makeGitRunner } from './changes/git.js'
import { checkPlanFits, batchForProvider, itemsFor, withBatchSize } from './engine/batch.js'
import { realClock, type Clock } from './engine/clock.js'
import { executePlan, itemResult, operationsOf } from './engine/execute.js'
import { hostOf } from './engine/host.js'
import { InputError } from './errors.js'
import { MESSAGE_CHARS, shown } from './external.js'
import { createTransport, type ClosableTransport } from './http/transport.js'
import { Inputs, Outputs, plainHttpWarning, readSettings, type Settings } from './inputs.js'
import type { ChangedFile, ChangeSet, ItemResult, Operation, Plan } from './model.js'
import { UrlQuotaShortError, type CdnProvider, type PlanNeeds } from './providers/provider.js'
import { collapseDirectories, collapseToFit, type CollapsedDir } from './plan/collapse.js'
import { buildPlan } from './plan/plan.js'
import { parseRules, type CompiledRule } from './plan/rules.js'
import { parseUrlList } from './plan/urls.js'
import { buildReport, writeReport } from './report/report.js'
import { failureAnnotations, failureMessage } from './report/annotations.js'
import { groupFailures } from './report/causes.js'
import { renderSummary } from './report/summary.js'
import { getInput, log } from './runner/commands.js'
import { count } from './text.js'
import { appendSummary, preloadReporting, setOutputs } from './runner/outputs.js'
import { computeVerdict } from './report/verdict.js'
import type { EdgeSummary } from './verify/outcome.js'

/** Plan entries listed in the log before the rest is counted. */
const PLAN_LINES = 200

interface GitHubEvent {
  name: string
  payload: Record<string, any>
}

async function readEvent(): Promise<GitHubEvent> {
  const name = process.env.GITHUB_EVENT_NAME ?? ''
  const file = process.env.GITHUB_EVENT_PATH ?? ''
  if (file === '') return { name, payload: {} }
  try {
    return { name, payload: JSON.parse(await readFile(file, 'utf8')) as Record<string, any> }
  } catch (err) {
    throw new Error(`cannot read the event payload at GITHUB_EVENT_PATH: ${(err as Error).message}`)
  }
}

/** The checkout: where git runs and where `verify` reads the files. */
const workspaceDir = (): string => process.env.GITHUB_WORKSPACE || process.cwd()

/** Changed files; every git command and API call ends by `deadline`, which fails detection. */
async function findChanges(settings: Settings, event: GitHubEvent, deadline: Deadline): Promise<ChangeSet> {
  const workspace = workspaceDir()
  const [owner = '', repo = ''] = (process.env.GITHUB_REPOSITORY ?? '').split('/')
  return detectChanges(
    { eventName: event.name, payload: event.payload, sha: process.env.GITHUB_SHA ?? '', files: settings.files, base: settings.base, workspace },
    {
      git: makeGitRunner(workspace, deadline),
      api: async () => {
        if (settings.githubToken === '' || owner === '') return null
        const { makeChangesApi } = await import('./changes/github-api.js')
        return makeChangesApi(settings.githubToken, owner, repo, deadline)
      },
      // lines quote the event payload (branch names) and git's answers
      log: (line) => log.info(shown(line, MESSAGE_CHARS)),
      lastSuccess: async () => {
        const { findLastSuccess, makeRunsApi, runContext } = await import('./changes/last-success.js')
        return findLastSuccess(runContext(process.env, event.name, event.payload), async () =>
          settings.githubToken === '' || owner === '' ? null : makeRunsApi(settings.githubToken, owner, repo, deadline)
        )
      }
    }
  )
}

interface PlanStage {
  plan: Plan
  /** The plan before `dir-threshold` collapsed it. */
  uncollapsed: Plan
  collapsedDirs: CollapsedDir[]
  /** What `verify` needs to tell which file each URL came from. */
  files: ChangedFile[]
  rules: CompiledRule[]
  inputUrls: string[]
}

/** Works out what to send: changed files through the rules, plus the `urls` input. */
async function makePlan(settings: Settings, event: GitHubEvent, deadline: Deadline): Promise<PlanStage> {
  // Parse everything the user wrote before touching git or the network.
  const rules = settings.rules === '' ? [] : parseRules(settings.rules)
  const extra = parseUrlList(settings.urls, Inputs.urls)
  let changes: ChangeSet = {
    files: [],
    source: `only the urls input (${count(extra.urls.length + extra.dirs.length, 'entry', 'entries')}); no change detection`
  }
  if (settings.files.length > 0 || settings.urls === '') {
    changes = await log.group('Changed files', async () => {
      const found = await findChanges(settings, event, deadline)
      log.info(shown(found.source, MESSAGE_CHARS))
      const counts = { added: 0, modified: 0, deleted: 0 }
      for (const file of found.files) counts[file.status]++
      log.info(`${count(found.files.length, 'changed file')}: ${counts.added} added, ${counts.modified} modified, ${counts.deleted} deleted`)
      return found
    })
  } else {
    log.info(changes.source)
  }
  return log.group('URL plan', async () => {
    const built = buildPlan(changes.files, rules, settings.mode, extra)
    const { ruleHits, unmatched, unmatchedFiles } = built
    let plan = built.plan
    let collapsedDirs: CollapsedDir[] = []
    if (settings.dirThreshold !== null) {
      ;({ plan, collapsed: collapsedDirs } = collapseDirectories(plan, settings.dirThreshold))
      for (const c of collapsedDirs) log.info(`dir-threshold ${settings.dirThreshold}: purging ${c.dir} instead of its ${count(c.files, 'changed file')}`)
    }
    for (const hit of ruleHits) log.info(`rule ${hit.rule}: ${count(hit.files, 'file')} matched`)
    if (changes.files.length > 0) {
      // file names come from the repository: escaped and bounded
      const named = unmatchedFiles.map((file) => shown(file)).join(', ')
      const rest = unmatched > unmatchedFiles.length ? `, and ${unmatched - unmatchedFiles.length} more` : ''
      log.info(`${count(unmatched, 'changed file')} matched no rule${named === '' ? '' : `: ${named}${rest}`}`)
    }
    log.info(
      `plan: ${count(plan.purgeUrls.length, 'URL')} and ${count(plan.purgeDirs.length, 'directory', 'directories')} to purge, ${count(plan.prefetchUrls.length, 'URL')} to prefetch`
    )
    // List the first PLAN_LINES entries without building lines for the rest.
    const lists: [string, string[]][] = [
      ['purge', plan.purgeUrls],
      ['purge dir', plan.purgeDirs],
      ['prefetch', plan.prefetchUrls]
    ]
    const listed: string[] = []
    for (const [label, urls] of lists) {
      for (let i = 0; i < urls.length && listed.length < PLAN_LINES; i++) listed.push(`${label} ${urls[i]}`)
    }
    const entries = lists.reduce((n, [, urls]) => n + urls.length, 0)
    if (entries > listed.length) listed.push(`…and ${entries - listed.length} more (all in the report)`)
    // one write for the whole list
    if (listed.length > 0) log.info(listed.join('\n'))
    return { plan, uncollapsed: built.plan, collapsedDirs, files: changes.files, rules, inputUrls: extra.urls }
  })
}

/** The hosts of every item the run's operations will send, sorted and distinct. */
function planHosts(plan: Plan, ops: readonly Operation[]): string[] {
  const hosts = new Set<string>()
  for (const op of ops) for (const item of itemsFor(plan, op)) hosts.add(hostOf(item.url))
  return [...hosts].sort()
}

/** The action: inputs → changes → plan → batches → submit → poll → report → verdict. */
export async function run(clock: Clock = realClock): Promise<void> {
  let transport: ClosableTransport | null = null
  try {
    const settings = readSettings(getInput, (secret) => log.setSecret(secret))
    // `timeout` bounds everything from here on: change detection, submits, retries, polling.
    const deadline = clock.now() + settings.timeoutSeconds * 1000
    const deadlineName = `the timeout (${settings.timeoutSeconds} s)`
    const event = await readEvent()
    if (!settings.dryRun) {
      const refusal = forkRefusal(event.name, event.payload, settings.allowForkCredentials)
      if (refusal) throw new InputError(Inputs.allowForkCredentials, refusal)
    }
    for (const warning of settings.warnings) log.warning(warning)
    log.info(`provider ${settings.provider.name} at ${shown(settings.endpoint)}, mode ${settings.mode}${settings.dryRun ? ', dry run' : ''}`)
    const plainHttp = settings.dryRun ? null : plainHttpWarning(settings.endpoint)
    if (plainHttp) log.warning(plainHttp)
    const planned = await makePlan(settings, event, { at: deadline, name: deadlineName, now: () => clock.now() })
    let { plan, collapsedDirs } = planned
    const definition = settings.provider
    const ops = operationsOf(settings.mode)
    const checkFits = (p: Plan): void =>
      checkPlanFits(p, definition.limits, definition.name, ops, definition.refuseItem?.bind(definition), (url) =>
        settings.urls.includes(url) ? Inputs.urls : Inputs.rules
      )
    checkFits(plan)

    let items: ItemResult[]
    let taskIds: string[] = []
    let edge: EdgeSummary | undefined
    if (settings.dryRun) {
      items = []
      for (const op of ops) {
        const batches = batchForProvider(op, itemsFor(plan, op), withBatchSize(settings.provider.limits, settings.batchSize))
        if (batches.length > 0) log.info(`dry run: ${op} would take ${count(batches.length, 'call')}`)
        for (const batch of batches) {
          for (const item of batch.items) items.push(itemResult(op, item, null, 'planned', 'dry run: not sent'))
        }
      }
    } else {
      transport = createTransport({ debug: (line) => log.debug(line), deadline, deadlineName, now: () => clock.now() })
      const client = settings.provider.create(
        {
          endpoint: settings.endpoint,
          request: transport.request,
          mask: (secret) => log.setSecret(secret),
          log: (line) => log.info(line),
          now: () => clock.now(),
          // A provider's own pauses (rate limits) end at the deadline; its next call then fails at once.
          sleep: (ms) => clock.sleep(Math.max(0, Math.min(ms, deadline - clock.now()))),
          dcdn: settings.dcdn
        },
        settings.providerSettings
      )
      // The engine batches by `provider.limits`: with `batch-size`, a lower per-call limit.
      const limits = withBatchSize(client.limits, settings.batchSize)
      const provider: CdnProvider =
        limits === client.limits ? client : new Proxy(client, { get: (target, key) => (key === 'limits' ? limits : Reflect.get(target, key, target)) })
      const hasWork = plan.purgeUrls.length + plan.purgeDirs.length + plan.prefetchUrls.length > 0
      if (hasWork && provider.prepare) await provider.prepare()
      if (hasWork && provider.preflight) {
        const purge = ops.includes('purge')
        const needs = (p: Plan): PlanNeeds => ({
          purgeUrls: purge ? p.purgeUrls.length : 0,
          purgeDirs: purge ? p.purgeDirs.length : 0,
          prefetchUrls: ops.includes('prefetch') ? p.prefetchUrls.length : 0,
          hosts: planHosts(p, ops)
        })
        try {
          await provider.preflight(needs(plan))
        } catch (err) {
          // Today's URL quota is short: with dir-threshold set, purge more directories instead.
          if (!(err instanceof UrlQuotaShortError) || settings.dirThreshold === null) throw err
          const fit = collapseToFit(planned.uncollapsed, settings.dirThreshold, err.remaining)
          if (!fit) throw err
          log.warning(
            `today's URL purge quota has ${err.remaining} left, fewer than the ${plan.purgeUrls.length} URLs to purge: purging each directory with ${fit.threshold} or more changed files instead (dir-threshold ${settings.dirThreshold} lowered to fit), ${count(fit.plan.purgeUrls.length, 'URL')} and ${count(fit.plan.purgeDirs.length, 'directory', 'directories')}`
          )
          ;({ plan, collapsed: collapsedDirs } = fit)
          for (const c of collapsedDirs) log.info(`quota: purging ${c.dir} instead of its ${count(c.files, 'changed file')}`)
          checkFits(plan)
          await provider.preflight(needs(plan))
        }
      }
      let openGroup = false
      const result = await executePlan(
        provider,
        plan,
        { mode: settings.mode, wait: settings.wait, deadline, pollSeconds: settings.pollSeconds, concurrency: settings.concurrency },
        clock,
        {
          batches: (op, batches) => {
            const perHost = new Map<string, { calls: number; items: number }>()
            for (const b of batches) {
              const entry = perHost.get(b.host) ?? { calls: 0, items: 0 }
              entry.calls++
              entry.items += b.items.length
              perHost.set(b.host, entry)
            }
            if (openGroup) log.endGroup()
            log.startGroup(`${op}: ${count(batches.length, 'call')}`)
            openGroup = true
            for (const [host, e] of perHost) log.info(`${op} ${host || '(any host)'}: ${count(e.items, 'item')} in ${count(e.calls, 'call')}`)
          },
          submitted: (o) => {
            // A lost answer and what was done about it (looked up, or sent again).
            for (const note of o.notes) log.info(`${o.batch.op}: ${note}`)
            const again = o.resent > 0 ? ` (sent again ${o.resent}× after a lost answer)` : ''
            const task = o.task?.localId ? `a task (${o.task.id})` : `task ${shown(o.task?.id ?? '')}`
            if (o.task) log.info(`${o.batch.op}: ${task} accepted ${count(o.batch.items.length, 'item')}${o.batch.host ? ` on ${o.batch.host}` : ''}${again}`)
            else log.warning(`${o.batch.op}: ${o.error}${again}`)
          },
          round: (op, p) => {
            // The wait for the next round is idle time: load the reporting code now.
            if (p.round === 1 && p.done < p.total) preloadReporting()
            log.info(`${op} status round ${p.round}: ${p.done}/${p.total} final`)
            for (const w of p.warnings) log.warning(w)
          }
        }
      )
      if (openGroup) log.endGroup()
      items = result.items
      taskIds = result.taskIds
      if (settings.verify && items.length > 0) {
        const input = { items, mode: settings.mode, files: planned.files, rules: planned.rules, inputUrls: planned.inputUrls }
        const workspace = workspaceDir()
        ;({ items, summary: edge } = await log.group('Check at the edge (verify)', async () => {
          const { checkAtEdge } = await import('./verify/index.js')
          return checkAtEdge(input, { workspace, clock, deadline, deadlineName, log: (line) => log.info(line), debug: (line) => log.debug(line) })
        }))
      }
    }
    if (settings.verify && settings.dryRun) log.info('verify: a dry run fetches nothing at the edge')

    const verdict = computeVerdict(items, settings.minSuccessRate, settings.dryRun)
    const report = buildReport({
      provider: settings.provider.name,
      mode: settings.mode,
      dryRun: settings.dryRun,
      waited: settings.wait,
      verdict,
      taskIds,
      items,
      collapsedDirs,
      edge
    })
    const reportPath = await writeReport(report, process.env.RUNNER_TEMP || os.tmpdir(), process.env.GITHUB_RUN_ID ?? 'local')
    await setOutputs({
      // empty in a dry run: a plan has no rate
      [Outputs.successRate]: verdict.rate === null ? '' : String(verdict.rate),
      [Outputs.planned]: String(verdict.total),
      [Outputs.urls]: JSON.stringify([...new Set(items.map((i) => i.url))]),
      [Outputs.taskIds]: JSON.stringify(taskIds),
      [Outputs.report]: reportPath
    })
    // from the report (messages redacted and bounded), once for the summary, the annotations and the failure message
    const causes = groupFailures(report.items, report.provider)
    if (process.env.GITHUB_STEP_SUMMARY) {
      await appendSummary(renderSummary(report, causes)).catch((err: Error) => log.warning(`job summary not written: ${err.message}`))
    } else {
      log.info('no job summary: GITHUB_STEP_SUMMARY is not set (not on a runner)')
    }

    for (const a of failureAnnotations(causes, settings.mode, reportPath)) log.error(a.message, { title: a.title })
    if (settings.dryRun) {
      log.notice(`Dry run: ${count(items.length, 'item')} planned, nothing sent.`)
    } else if (items.length === 0) {
      log.notice('Nothing to send: no URL was mapped from the changes. Success rate 100%.')
    } else if (verdict.passed) {
      log.notice(`CDN ${settings.mode}: ${verdict.succeeded}/${count(verdict.total, 'item')} succeeded (${verdict.rate}%, minimum ${verdict.threshold}%).`)
    } else {
      log.setFailed(failureMessage(verdict, causes))
    }
  } catch (err) {
    // Input, provider and change-detection errors all carry a message written for the user.
    log.setFailed(err instanceof Error ? err.message : String(err))
  } finally {
    // Frees pooled and stalled sockets so the process ends now.
    transport?.close()
  }
}
