import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { load as parse } from 'js-yaml'

// The runtime (action.yml), CI's Node (.node-version) and what contributors need (engines).
const action = parse(readFileSync('action.yml', 'utf8')) as { runs: { using: string } }
const nodeVersion = readFileSync('.node-version', 'utf8').trim()
const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node

describe('Node versions', () => {
  it('.node-version is the Node the runner uses for the action', () => {
    expect(action.runs.using).toBe(`node${nodeVersion}`)
  })

  it('engines takes the runtime version and the Node 20 that development and tests run on', () => {
    const lowest = /^>=\s*(\d+)$/.exec(engines)
    expect(lowest).not.toBeNull()
    expect(Number(lowest![1])).toBeLessThanOrEqual(20)
    expect(Number(lowest![1])).toBeLessThanOrEqual(Number(nodeVersion))
  })
})
