/**
 * The fork guard. `pull_request_target` and `workflow_run` runs hold the base repository's
 * secrets; when they act for a fork's pull request, the changed files (and so the URLs) are chosen
 * by whoever opened it. Credentials are not sent for them unless the user opted in.
 */
import { shown } from '../external.js'

const OPT_IN = 'Use the pull_request event for forks, or set allow-fork-credentials: true if you have reviewed the pull request and accept the risk.'

/** A repository's `owner/name` from the payload, or null when it is missing (a deleted fork). */
function fullName(repo: any): string | null {
  const name: unknown = repo?.full_name
  return typeof name === 'string' && name !== '' ? name : null
}

/** The name for a message: as it is when it is a plain `owner/name`, else quoted and made fit to show. */
function repoShown(name: string | null, missing: string): string {
  if (name === null) return missing
  return /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(name) ? name : `"${shown(name)}"`
}

/**
 * Why this run must not send credentials, or null when it may. Refuses:
 * - `pull_request_target` whose head repository differs from the base or is missing (deleted);
 * - `workflow_run` whose triggering run's head repository differs from this repository, or is
 *   missing (a deleted fork, or a payload without it).
 * `allowed` is the `allow-fork-credentials` input.
 */
export function forkRefusal(eventName: string, payload: Record<string, any>, allowed: boolean): string | null {
  if (allowed) return null
  if (eventName === 'pull_request_target') {
    const pr = payload?.pull_request
    const head = fullName(pr?.head?.repo)
    const base = fullName(pr?.base?.repo) ?? fullName(payload?.repository)
    if (head !== null && head === base) return null
    return (
      `Refusing to send CDN credentials: this pull_request_target run is for a pull request from the fork ${repoShown(head, '(deleted repository)')}, ` +
      `so its changed files and URLs are chosen by the fork's author while the run holds this repository's secrets. ${OPT_IN}`
    )
  }
  if (eventName === 'workflow_run') {
    const run = payload?.workflow_run
    const head = fullName(run?.head_repository)
    const base = fullName(payload?.repository) ?? fullName(run?.repository)
    if (head !== null && head === base) return null
    const trigger = typeof run?.event === 'string' && /^[a-z_]+$/.test(run.event) ? `a ${run.event} run` : 'a run'
    return (
      `Refusing to send CDN credentials: this workflow_run run was started by ${trigger} from ` +
      `${head === null ? 'a repository the event does not name (a deleted fork?)' : `the fork ${repoShown(head, '')}`}, ` +
      `so its commits, changed files and URLs are chosen by the fork's author while the run holds this repository's secrets. ${OPT_IN}`
    )
  }
  return null
}
