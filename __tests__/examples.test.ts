import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { load as parse } from 'js-yaml'

// The workflows users copy (docs/examples) and ours: what action-validator cannot check.
interface Step {
  id?: string
  if?: string
  uses?: string
  with?: Record<string, unknown>
  run?: string
  env?: Record<string, string>
}
interface Job {
  if?: string
  steps: Step[]
}
interface Workflow {
  on: Record<string, unknown>
  jobs: Record<string, Job>
}

const files = ['docs/examples', '.github/workflows'].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f))
)
const examples = files.filter((f) => f.startsWith('docs/'))
const text = (file: string): string => readFileSync(file, 'utf8')
const workflow = (file: string): Workflow => parse(text(file)) as Workflow
const steps = (file: string): Step[] => Object.values(workflow(file).jobs).flatMap((job) => job.steps)
const readme = readFileSync('README.md', 'utf8')

describe('example workflows', () => {
  it('are there', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3)
  })

  it.each(files)('%s pins every action by commit SHA, with its tag in a comment', (file) => {
    const lines = text(file)
      .split('\n')
      .filter((l) => /^\s*(- )?uses:/.test(l))
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      if (/uses: \.\/?$/.test(line.trim())) continue
      expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # \S/)
    }
  })

  it.each(examples)('%s: a step that reads the action outputs runs when the action fails', (file) => {
    const readers = steps(file).filter((s) => /steps\.[\w-]+\.(outputs|outcome)/.test(JSON.stringify({ ...s, if: undefined })))
    expect(readers.length).toBeGreaterThan(0)
    for (const step of readers) expect(step.if).toMatch(/\balways\(\)/)
  })

  it.each(examples)('%s keeps the report as an artifact named per run attempt', (file) => {
    const uploads = steps(file).filter((s) => s.uses?.startsWith('actions/upload-artifact@'))
    expect(uploads).toHaveLength(1)
    const [upload] = uploads
    const id = steps(file).find((s) => s.uses?.includes('cdn-purge-action'))?.id
    expect(id).toBeDefined()
    expect(upload.with?.path).toBe(`\${{ steps.${id}.outputs.report }}`)
    expect(upload.with?.name).toMatch(/\$\{\{ github\.run_attempt \}\}/)
    expect(upload.if).toBe(`always() && steps.${id}.outputs.report != ''`)
  })

  it.each(examples)('%s uses only secrets the README names', (file) => {
    const secrets = [...text(file).matchAll(/secrets\.([A-Z0-9_]+)/g)].map((m) => m[1])
    expect(secrets.length).toBeGreaterThan(0)
    for (const secret of secrets) expect(readme).toContain(`\`${secret}\``)
  })

  it.each(examples)("%s grants 'actions: read' where it uses 'base: last-success', which lists the workflow's runs", (file) => {
    const wf = workflow(file) as Workflow & { permissions?: Record<string, string> }
    if (!steps(file).some((s) => s.with?.base === 'last-success')) return
    expect(wf.permissions).toMatchObject({ actions: 'read', contents: 'read' })
  })

  it('the deploy example diffs from the last successful deploy', () => {
    expect(steps('docs/examples/deploy-on-push.yml').find((s) => s.uses?.includes('cdn-purge-action'))?.with?.base).toBe('last-success')
  })

  it.each(examples)('%s skips pull requests from forks, which get no secrets', (file) => {
    const wf = workflow(file)
    if (!('pull_request' in wf.on)) return
    for (const job of Object.values(wf.jobs)) expect(job.if).toContain('github.event.pull_request.head.repo.full_name == github.repository')
  })
})

describe("the README's workflows", () => {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => /^jobs:/m.test(b))

  it('are there, and each parses as YAML', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3)
    for (const block of blocks) expect(() => parse(block)).not.toThrow()
  })

  it('pin every action by commit SHA, as the Security section asks (README and docs/ alike)', () => {
    const docs = readdirSync('docs')
      .filter((f) => f.endsWith('.md'))
      .map((f) => readFileSync(path.join('docs', f), 'utf8'))
    const snippets = [readme, ...docs].flatMap((md) => [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]))
    const lines = snippets.flatMap((b) => b.split('\n')).filter((l) => /^\s*(- )?uses:/.test(l))
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # \S/)
  })

  it('the first one is the deploy example: its result step runs on failure and it keeps the report', () => {
    const first = parse(blocks[0]) as Workflow
    const all = Object.values(first.jobs).flatMap((job) => job.steps)
    expect(all.some((s) => s.uses?.startsWith('actions/upload-artifact@') && s.if?.includes('always()'))).toBe(true)
    const readers = all.filter((s) => /steps\.[\w-]+\.(outputs|outcome)/.test(JSON.stringify({ ...s, if: undefined })))
    for (const step of readers) expect(step.if).toMatch(/\balways\(\)/)
  })
})
