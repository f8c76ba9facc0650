/**
 * End-to-end: dist/index.js run as the runner runs it, against the cdnetworks emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 *
 * Prefetch status is limited to one call per 5 minutes (the emulator enforces it), so a
 * second prefetch round would come 5 minutes later: prefetches here finish at once
 * (`prefetchCompleteAfterMs: 0`) and the first round (after `poll-interval`) sees them final.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { providerE2e } from '../../__fixtures__/e2e.js'
import { startCdnetworksEmulator, type CdnetworksEmulator, type CdnetworksEmulatorOptions } from '../../emulators/cdnetworks.js'
import { DEMO_PURGE_URLS, DEMO_SITE } from '../../emulators/repo.js'
import { runAction } from '../../emulators/runner.js'

const W = DEMO_SITE
const API_KEY = 'e2e-api-key-0123'

const { use, runPush } = providerE2e<CdnetworksEmulator>({ provider: 'cdnetworks', credentials: { username: 'deploy', 'api-key': API_KEY } })

function start(options: CdnetworksEmulatorOptions = {}): Promise<CdnetworksEmulator> {
  return startCdnetworksEmulator({
    users: { deploy: API_KEY },
    accessKeys: { 'AK-e2e': 'SK-e2e-secret' },
    completeAfterMs: 150,
    prefetchCompleteAfterMs: 0,
    ...options
  }).then(use)
}

const bodies = (e: CdnetworksEmulator, path: string) => e.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body))
const sent = (e: CdnetworksEmulator, path: string) => bodies(e, path).flatMap((b) => [...(b.urls ?? []), ...(b.dirs ?? [])])
/** The log as a reader sees it: the runner consumes `::add-mask::` commands. */
const visible = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')

describe('cdnetworks end to end', () => {
  it('purge: every changed file in one signed call, polled by itemId to success', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(0)
    const expected = [...DEMO_PURGE_URLS]
    expect(bodies(e, '/ccm/purge/ItemIdReceiver')).toHaveLength(1)
    expect(sent(e, '/ccm/purge/ItemIdReceiver').sort()).toEqual(expected.sort())
    expect(e.requests[0].headers.authorization).toMatch(/^Basic /)
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([e.items[0].itemId])
    expect(bodies(e, '/ccm/purge/ItemIdQuery').every((b) => b.itemId === e.items[0].itemId)).toBe(true)
    expect(r.outputs['success-rate']).toBe('100')
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed/)
    expect(e.counts()['POST /ccm/fetch/ItemIdQuery']).toBeUndefined()
  })

  it('prefetch: one status call covers the prefetch, and deleted files are not prefetched', async () => {
    const e = await start()
    const r = await runPush({ mode: 'prefetch' })
    expect(r.code).toBe(0)
    const urls = sent(e, '/ccm/fetch/ItemIdReceiver')
    expect(urls).toContain(`${W}/js/new-name.js`)
    expect(urls).not.toContain(`${W}/img/logo.png`)
    expect(urls).not.toContain(`${W}/js/old-name.js`)
    expect(e.counts()['POST /ccm/fetch/ItemIdQuery']).toBe(1)
    expect(e.counts()['POST /ccm/purge/ItemIdReceiver']).toBeUndefined()
    expect(r.report.items.filter((i: { state: string }) => i.state === 'success')).toHaveLength(urls.length)
  })

  it('purge-prefetch: prefetches only after every purge item is final', async () => {
    const e = await start({ completeAfterMs: 300 })
    const r = await runPush({ mode: 'purge-prefetch' })
    expect(r.code).toBe(0)
    const purgeDone = Math.max(...e.items.filter((i) => i.op === 'purge').map((i) => i.createdAt + 300))
    const firstPrefetch = e.requests.find((q) => q.path === '/ccm/fetch/ItemIdReceiver')!
    expect(firstPrefetch.at).toBeGreaterThanOrEqual(purgeDone)
    expect(r.report.items.filter((i: { op: string }) => i.op === 'prefetch')).toHaveLength(5)
    expect(e.counts()['POST /ccm/fetch/ItemIdQuery']).toBe(1)
  })

  describe('min-success-rate', () => {
    const files = Array.from({ length: 10 }, (_, i) => `public/f${i}.txt`).join('\n')
    it('passes at 90 with one of ten URLs failed', async () => {
      await start({ failUrls: [`${W}/f3.txt`] })
      const r = await runPush({ files, 'min-success-rate': '90' })
      expect(r.code).toBe(0)
      expect(r.outputs['success-rate']).toBe('90')
      expect(r.stdout).toContain(`::error title=CDN purge failed for 1 URL::purge failed at the CDN (status failure) — 1 URL: ${W}/f3.txt`)
    })
    it('fails at 100, naming the rate, the threshold and the failed URL', async () => {
      await start({ failUrls: [`${W}/f3.txt`] })
      const r = await runPush({ files })
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(
        /::error::Success rate 90%25 is below min-success-rate 100%25: 1 of 10 items failed\. Cause: purge failed at the CDN \(status failure\) — 1 URL: https:\/\/www\.example\.com\/f3\.txt$/m
      )
      expect(r.summary).toMatch(/^## ❌ CDN purge failed: 90% succeeded/)
    })
  })

  it('a used-up daily quota fails with a message naming the quota and how to check it', async () => {
    const e = await start({ quotas: { purgeUrls: 3 } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /::error::Success rate 0%25 .*the daily URL purge quota \(by default 5,000 URLs a day\) is used up \(daily quota exceeded: url purge quota is 3 a day/
    )
    expect(r.stdout).toContain('check what is left with POST /ccm/purge/quota')
    expect(e.items).toHaveLength(0)
    expect(e.counts()['POST /ccm/purge/ItemIdQuery']).toBeUndefined()
  })

  it('urls input: URLs and directories go together in one purge call', async () => {
    const e = await start()
    const r = await runAction({
      inputs: { provider: 'cdnetworks', endpoint: e.url, username: 'deploy', 'api-key': API_KEY, urls: `${W}/a.css\n${W}/img/\n`, 'poll-interval': '0.1' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(bodies(e, '/ccm/purge/ItemIdReceiver')).toEqual([{ urls: [`${W}/a.css`], urlAction: 'default', dirs: [`${W}/img/`], dirAction: 'default' }])
    expect(r.report.items.map((i: { kind: string; state: string }) => `${i.kind}:${i.state}`)).toEqual(['url:success', 'dir:success'])
  })

  it('signs with access-key and secret-key (AK/SK)', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge-prefetch', username: '', 'api-key': '', 'access-key': 'AK-e2e', 'secret-key': 'SK-e2e-secret' })
    expect(r.code).toBe(0)
    expect(e.requests.every((q) => /^CNC-HMAC-SHA256 Credential=AK-e2e, /.test(q.headers.authorization as string))).toBe(true)
    expect(r.stdout).toContain('signing requests with AK/SK')
  })

  it('registers the api-key / secret-key inputs and every derived credential with ::add-mask::', async () => {
    const schemes: Record<string, string>[] = [{}, { username: '', 'api-key': '', 'access-key': 'AK-e2e', 'secret-key': 'SK-e2e-secret' }]
    for (const inputs of schemes) {
      const e = await start()
      const r = await runPush({ mode: 'purge', ...inputs })
      expect(r.code).toBe(0)
      const masks = r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'))
      expect(masks).toContain(`::add-mask::${'access-key' in inputs ? 'SK-e2e-secret' : API_KEY}`)
      for (const sent of e.requests) {
        const authorization = sent.headers.authorization as string
        const derived =
          'access-key' in inputs
            ? [authorization, /Signature=([0-9a-f]{64})$/.exec(authorization)![1]]
            : [
                createHmac('sha1', API_KEY)
                  .update(sent.headers.date as string)
                  .digest('base64'),
                authorization,
                authorization.slice('Basic '.length)
              ]
        for (const value of derived) expect(masks).toContain(`::add-mask::${value}`)
      }
      await e.close() // closing again after the test is harmless
    }
  })

  it('a wrong api-key fails clearly and no secret reaches the log, outputs or summary', async () => {
    const e = await start()
    const wrong = 'wrong-key-5678'
    const r = await runPush({ mode: 'purge', 'api-key': wrong })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/cdnetworks purge of 7 URLs: the credentials were rejected \(username is invalid\); check the username and api-key inputs/)
    const date = e.requests[0].headers.date as string
    const password = createHmac('sha1', wrong).update(date).digest('base64')
    const everything = [visible(r.stdout), r.stderr, JSON.stringify(r.outputs), r.summary, JSON.stringify(r.report)].join('\n')
    for (const secret of [wrong, API_KEY, password, e.requests[0].headers.authorization as string]) expect(everything).not.toContain(secret)
  })

  it.each([
    [{ username: '', 'api-key': '' }, /::error::Input 'username': cdnetworks needs username and api-key \(API-key auth\), or access-key and secret-key/],
    [{ 'api-key': '' }, /::error::Input 'api-key': cdnetworks needs username and api-key together; username was given without api-key/],
    [{ username: '' }, /::error::Input 'username': cdnetworks needs username and api-key together; api-key was given without username/],
    [{ 'access-key': 'AK-e2e' }, /::error::Input 'secret-key': cdnetworks needs access-key and secret-key together/]
  ])('missing credentials %j: clear InputError, exit 1, zero requests', async (inputs, message) => {
    const e = await start()
    const r = await runPush(inputs)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(message)
    expect(e.requests).toHaveLength(0)
  })
})
