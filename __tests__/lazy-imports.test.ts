/**
 * Start-up: what a run may not need is loaded with import() when it is needed. This walks the
 * static imports from src/index.ts and checks the heavy or rarely needed modules are not among
 * them (a static import anywhere on the path would load them before the first request).
 */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'

const SRC = path.resolve('src')

/** Module specifiers imported statically (not `import type`, not `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const m of text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) found.push(m[1] ?? m[2])
  return found
}

/** Every module reached from `entry` through static imports: src files and package names. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')))
      else packages.add(spec)
    }
  }
  visit(entry)
  return { files, packages }
}

describe('start-up loads only what every run needs', () => {
  const graph = staticGraph(path.join(SRC, 'index.ts'))

  it('finds the pipeline through static imports (the walk works)', () => {
    const names = [...graph.files].map((f) => path.relative(SRC, f))
    expect(names).toEqual(expect.arrayContaining(['main.ts', 'inputs.ts', 'plan/plan.ts', 'engine/execute.ts', 'runner/commands.ts']))
    expect(graph.packages).toContain('node-fetch')
  })

  it.each([
    { module: '@actions/core', why: 'its OIDC client loads undici; needed only for outputs and the summary' },
    { module: '@actions/github', why: 'the GitHub API client, only when change detection uses the API' },
    { module: 'undici', why: 'loaded by @actions/core and @actions/github' },
    { module: 'node:child_process', why: 'git, only when change detection runs git' },
    { module: 'https-proxy-agent', why: 'only behind a proxy' },
    { module: 'http-proxy-agent', why: 'only behind a proxy' }
  ])('$module is not imported statically ($why)', ({ module }) => {
    expect([...graph.packages]).not.toContain(module)
  })

  it('loads verify (the edge check) only when it is on', () => {
    expect([...graph.files].map((f) => path.relative(SRC, f))).not.toContain(path.join('verify', 'edge.ts'))
  })
})
