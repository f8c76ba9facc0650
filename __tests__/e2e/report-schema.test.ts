/** Real reports written by dist/index.js validate against docs/report-schema.json. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { runAction } from '../../emulators/runner.js'
import { providerNames } from '../../src/providers/index.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'

const require = createRequire(import.meta.url)
const Ajv2020 = require('ajv/dist/2020.js')
const ajv = new Ajv2020({ allErrors: true, strict: true })
const validate = ajv.compile(JSON.parse(readFileSync('docs/report-schema.json', 'utf8')))

let emulator: ZtgameEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
})

describe('report schema', () => {
  it('names every provider the action takes', () => {
    const schema = JSON.parse(readFileSync('docs/report-schema.json', 'utf8'))
    expect(schema.properties.provider.enum).toEqual(providerNames)
  })

  it('accepts a report with every kind of outcome', async () => {
    emulator = await startZtgameEmulator({
      tokens: ['t'],
      hosts: ['a.example.com', 'c.example.com'],
      failUrls: ['https://c.example.com/bad'],
      stallUrls: ['https://a.example.com/slow/'],
      completeAfterMs: 0
    })
    const r = await runAction({
      inputs: {
        provider: 'ztgame',
        endpoint: emulator.url,
        token: 't',
        urls: 'https://a.example.com/ok\nhttps://c.example.com/bad\nhttps://b.example.com/refused\nhttps://a.example.com/slow/',
        timeout: '1',
        'poll-interval': '0.2',
        'min-success-rate': '0'
      },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    const states = r.report.items.map((i: { state: string }) => i.state).sort()
    expect(states).toEqual(['failure', 'submit-failed', 'success', 'timeout'])
    expect(validate(r.report)).toBe(true)
  })

  it('accepts a report whose batch was sent again after a lost answer, and the log says so', async () => {
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    // the first submit makes its task, then the connection drops before any answer
    emulator.injectFaults([{ kind: 'reset-after-action' }])
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: emulator.url, token: 't', urls: 'https://a.example.com/x', 'poll-interval': '0.2' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(emulator.tasks.size).toBe(2)
    expect(r.report.items).toEqual([expect.objectContaining({ state: 'success', resent: 1, taskId: [...emulator.tasks.keys()][1] })])
    expect(r.stdout).toMatch(/ztgame has no task list to check: sending it again/)
    expect(r.stdout).toMatch(/accepted 1 item on a\.example\.com \(sent again 1× after a lost answer\)/)
    expect(validate(r.report)).toBe(true)
    expect(validate({ ...r.report, items: [{ ...r.report.items[0], resent: 0 }] })).toBe(false)
  })

  it('accepts a dry-run report and rejects a broken one', async () => {
    emulator = await startZtgameEmulator()
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: emulator.url, urls: 'https://a.example.com/x', 'dry-run': 'true' },
      eventName: 'workflow_dispatch'
    })
    expect(r.report.successRate).toBeNull()
    expect(validate(r.report)).toBe(true)
    expect(validate({ ...r.report, successRate: 'high' })).toBe(false)
    // a dry run has no rate; a run that sent something has one
    expect(validate({ ...r.report, successRate: 100 })).toBe(false)
    expect(validate({ ...r.report, dryRun: false })).toBe(false)
    expect(validate({ ...r.report, dryRun: false, successRate: 100 })).toBe(true)
    expect(validate({ ...r.report, items: [{ ...r.report.items[0], state: 'done' }] })).toBe(false)
  })
})
