/** docs/report.md names every item state and edge result the report schema allows; troubleshooting the failing ones. */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'

const schema = JSON.parse(readFileSync('docs/report-schema.json', 'utf8'))
const item = schema.properties.items.items.properties
const states: string[] = item.state.enum
const edgeResults: string[] = item.edge.properties.result.enum
const report = readFileSync('docs/report.md', 'utf8')
const troubleshooting = readFileSync('docs/troubleshooting.md', 'utf8')

describe('docs/report.md and docs/troubleshooting.md', () => {
  it('the schema lists the states verify adds', () => {
    expect(states).toEqual(expect.arrayContaining(['stale', 'unreachable']))
    expect(edgeResults).toEqual(expect.arrayContaining(['skipped']))
  })

  it.each(states)('report.md explains the item state %s', (state) => {
    expect(report).toContain(`\`${state}\``)
  })

  it.each(edgeResults)('report.md explains the edge result %s', (result) => {
    expect(report).toContain(`\`${result}\``)
  })

  it.each(['stale', 'unreachable', 'skipped'])('troubleshooting.md says what %s means and what to do', (word) => {
    const entry = troubleshooting.split('\n- ').find((e) => e.includes(word) && e.includes('- means:') && e.includes('- do:'))
    expect(entry).toBeDefined()
  })
})
