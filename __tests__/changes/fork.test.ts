/** The fork guard: which event payloads may send credentials. */
import { describe, expect, it } from '@jest/globals'
import { forkRefusal } from '../../src/changes/fork.js'

const repo = (full_name: string) => ({ full_name })

const prTarget = (head: object | null, base: object | null = repo('octo/site')) => ({
  action: 'opened',
  number: 7,
  pull_request: { number: 7, head: { sha: 'a'.repeat(40), repo: head }, base: { sha: 'b'.repeat(40), repo: base } },
  repository: repo('octo/site')
})

const workflowRun = (event: string, head: object | null | undefined, extra: object = {}) => ({
  action: 'completed',
  workflow_run: { event, head_branch: 'x', head_sha: 'a'.repeat(40), head_repository: head, repository: repo('octo/site'), ...extra },
  repository: repo('octo/site')
})

describe('forkRefusal', () => {
  it.each([
    ['pull_request_target from the same repository', 'pull_request_target', prTarget(repo('octo/site'))],
    ['pull_request_target with no base repo, same as payload.repository', 'pull_request_target', prTarget(repo('octo/site'), null)],
    ['workflow_run after a push', 'workflow_run', workflowRun('push', repo('octo/site'))],
    ['workflow_run after a same-repository pull_request', 'workflow_run', workflowRun('pull_request', repo('octo/site'))],
    ['workflow_run after a schedule', 'workflow_run', workflowRun('schedule', repo('octo/site'))],
    ['pull_request from a fork (no secrets there)', 'pull_request', prTarget(repo('mallory/site'))],
    ['push', 'push', { repository: repo('octo/site') }],
    ['workflow_dispatch with an empty payload', 'workflow_dispatch', {}]
  ])('lets %s through', (_, eventName, payload) => {
    expect(forkRefusal(eventName, payload, false)).toBeNull()
  })

  it.each([
    ['pull_request_target from a fork', 'pull_request_target', prTarget(repo('mallory/site')), /pull_request_target run .* from the fork mallory\/site/],
    ['pull_request_target whose fork was deleted (head.repo null)', 'pull_request_target', prTarget(null), /from the fork \(deleted repository\)/],
    ['pull_request_target without a pull_request', 'pull_request_target', { repository: repo('octo/site') }, /deleted repository/],
    [
      'workflow_run after a fork pull_request',
      'workflow_run',
      workflowRun('pull_request', repo('mallory/site')),
      /started by a pull_request run from the fork mallory\/site/
    ],
    [
      'workflow_run after a fork pull_request_target',
      'workflow_run',
      workflowRun('pull_request_target', repo('mallory/site')),
      /started by a pull_request_target run from the fork mallory\/site/
    ],
    ['workflow_run after a pull_request whose fork was deleted', 'workflow_run', workflowRun('pull_request', null), /does not name \(a deleted fork\?\)/],
    ['workflow_run with no head_repository', 'workflow_run', workflowRun('pull_request', undefined), /does not name/],
    ['workflow_run after a fork push (any event from another repository)', 'workflow_run', workflowRun('push', repo('mallory/site')), /the fork mallory\/site/],
    [
      'workflow_run without a workflow_run object',
      'workflow_run',
      { repository: repo('octo/site') },
      /started by a run from a repository the event does not name/
    ],
    ['workflow_run whose repository is missing', 'workflow_run', { workflow_run: { event: 'push', head_repository: repo('octo/site') } }, /the fork octo\/site/]
  ])('refuses %s, naming the opt-in', (_, eventName, payload, detail) => {
    const refusal = forkRefusal(eventName, payload, false)
    expect(refusal).toMatch(/^Refusing to send CDN credentials: /)
    expect(refusal).toMatch(detail)
    expect(refusal).toContain('allow-fork-credentials: true')
    expect(forkRefusal(eventName, payload, true)).toBeNull()
  })

  it('quotes a repository name that is not a plain owner/name, so it cannot start a log line', () => {
    const refusal = forkRefusal('workflow_run', workflowRun('pull_request', repo('m/x\n::error::PWN')), false)
    expect(refusal).toContain('the fork "m/x\\n::error::PWN"')
    expect(refusal).not.toContain('\n')
    const prRefusal = forkRefusal('pull_request_target', prTarget(repo('m/x\n::error::PWN')), false)
    expect(prRefusal).not.toContain('\n')
  })

  it('does not let a run event name in the payload into the message unless it is a plain word', () => {
    const refusal = forkRefusal('workflow_run', workflowRun('x\n::error::PWN', repo('mallory/site')), false)
    expect(refusal).toContain('started by a run from the fork mallory/site')
    expect(refusal).not.toContain('\n')
  })
})
