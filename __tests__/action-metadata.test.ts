import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { load as parse } from 'js-yaml'
import { Inputs, Outputs } from '../src/inputs.js'
import { providers } from '../src/providers/index.js'

const action = parse(readFileSync('action.yml', 'utf8')) as {
  runs: { using: string; main: string }
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}
const readme = readFileSync('README.md', 'utf8')

/** Names in the first column of the README table under `heading`. */
function readmeTableNames(heading: string): string[] {
  const section = readme.split(`\n## ${heading}\n`)[1].split('\n## ')[0]
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]))
}

describe('action.yml', () => {
  it('runs dist/index.js on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  const common = new Set<string>(Object.values(Inputs))
  const declared = new Set(providers.flatMap((p) => p.inputs.map((i) => i.name)))

  it('declares exactly the inputs the code reads: the common ones and those the providers declare', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...new Set([...common, ...declared])].sort())
  })

  it('has every input a provider declares, none of them a common input, and names the provider in its description', () => {
    for (const p of providers) {
      for (const i of p.inputs) {
        expect(action.inputs).toHaveProperty([i.name])
        expect(common.has(i.name)).toBe(false)
        expect(action.inputs[i.name].description).toContain(`${p.name}:`)
      }
    }
  })

  it('declares every credential input (not a common one) for some provider', () => {
    for (const name of Object.keys(action.inputs).filter((n) => !common.has(n))) expect(declared.has(name)).toBe(true)
  })

  it('says "Store it as a secret" exactly for the inputs some provider declares secret', () => {
    const secret = new Set(providers.flatMap((p) => p.inputs.filter((i) => i.secret).map((i) => i.name)))
    for (const name of declared) expect([name, /Store it as a secret/.test(action.inputs[name].description)]).toEqual([name, secret.has(name)])
  })

  it('declares exactly the outputs the code sets', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort())
  })

  it('requires only provider, and documents every input and output', () => {
    const required = Object.entries(action.inputs)
      .filter(([, v]) => v.required === true)
      .map(([k]) => k)
    expect(required).toEqual(['provider'])
    for (const v of [...Object.values(action.inputs), ...Object.values(action.outputs)]) expect(v.description.length).toBeGreaterThan(10)
  })

  it('has the documented defaults', () => {
    expect(action.inputs.mode.default).toBe('purge')
    expect(action.inputs['min-success-rate'].default).toBe('100')
    expect(action.inputs.wait.default).toBe('true')
    expect(action.inputs.timeout.default).toBe('600')
    expect(action.inputs['dry-run'].default).toBe('false')
    expect(action.inputs['github-token'].default).toBe('${{ github.token }}')
  })
})

describe('README', () => {
  it('lists every input of action.yml in its Inputs table, and no other', () => {
    expect(readmeTableNames('Inputs').sort()).toEqual(Object.keys(action.inputs).sort())
  })
  it('lists every output of action.yml in its Outputs table, and no other', () => {
    expect(readmeTableNames('Outputs').sort()).toEqual(Object.keys(action.outputs).sort())
  })
})
