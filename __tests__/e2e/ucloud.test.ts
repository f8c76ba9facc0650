/**
 * End-to-end: dist/index.js run as the runner runs it, against the ucloud emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { describe, expect, it } from '@jest/globals'
import { providerE2e } from '../../__fixtures__/e2e.js'
import { DEMO_PURGE_URLS, DEMO_SITE } from '../../emulators/repo.js'
import { startUcloudEmulator, type UcloudEmulator, type UcloudEmulatorOptions } from '../../emulators/ucloud.js'

const W = DEMO_SITE
const PUBLIC_KEY = 'e2e-public-key'
const PRIVATE_KEY = 'e2e-private-key-s3cr3t'

const credentials = { 'public-key': PUBLIC_KEY, 'private-key': PRIVATE_KEY }
const { use, runPush, runUrls } = providerE2e<UcloudEmulator>({ provider: 'ucloud', credentials })

function start(options: UcloudEmulatorOptions = {}): Promise<UcloudEmulator> {
  return startUcloudEmulator({ keys: { [PUBLIC_KEY]: PRIVATE_KEY }, completeAfterMs: 150, ...options }).then(use)
}

/** The parameters of every call of one Action the emulator received. */
const callsOf = (e: UcloudEmulator, action: string) => e.params().filter((p) => p.Action === action)
const urlListOf = (p: Record<string, string>) =>
  Object.keys(p)
    .filter((k) => k.startsWith('UrlList.'))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .map((k) => p[k])
const taskIdsOf = (p: Record<string, string>) =>
  Object.keys(p)
    .filter((k) => k.startsWith('TaskId.'))
    .map((k) => p[k])

describe('ucloud end to end', () => {
  it('purge: one signed RefreshNewUcdnDomainCache (Type=file) for every changed URL, polled to success', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(0)
    const expected = [...DEMO_PURGE_URLS]
    const refreshes = callsOf(e, 'RefreshNewUcdnDomainCache')
    expect(refreshes).toHaveLength(1)
    expect(refreshes[0]).toMatchObject({ Type: 'file', PublicKey: PUBLIC_KEY })
    expect(urlListOf(refreshes[0]).sort()).toEqual(expected.sort())
    expect(callsOf(e, 'PrefetchNewUcdnDomainCache')).toEqual([])
    expect(r.outputs['success-rate']).toBe('100')
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([...e.tasks.keys()])
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    expect(e.actionCounts().DescribeNewUcdnRefreshCacheTask).toBeGreaterThanOrEqual(1)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed/)
  })

  it('prefetch: one PrefetchNewUcdnDomainCache, never a deleted file', async () => {
    const e = await start()
    const r = await runPush({ mode: 'prefetch' })
    expect(r.code).toBe(0)
    const prefetches = callsOf(e, 'PrefetchNewUcdnDomainCache')
    expect(prefetches).toHaveLength(1)
    const sent = urlListOf(prefetches[0])
    expect(sent).toContain(`${W}/js/new-name.js`)
    expect(sent).not.toContain(`${W}/img/logo.png`)
    expect(sent).not.toContain(`${W}/js/old-name.js`)
    expect(prefetches[0]).not.toHaveProperty('Type')
    expect(callsOf(e, 'RefreshNewUcdnDomainCache')).toEqual([])
    expect(e.actionCounts().DescribeNewUcdnPrefetchCacheTask).toBeGreaterThanOrEqual(1)
    expect(r.outputs['success-rate']).toBe('100')
  })

  it('purge-prefetch: prefetches only after every purge URL is final', async () => {
    const e = await start({ completeAfterMs: 300 })
    const r = await runPush({ mode: 'purge-prefetch' })
    expect(r.code).toBe(0)
    const purgeDone = Math.max(...[...e.tasks.values()].filter((t) => t.kind === 'refresh').map((t) => t.createdAt + 300))
    const firstPrefetch = e.requests.find((q) => JSON.parse(q.body).Action === 'PrefetchNewUcdnDomainCache')!
    expect(firstPrefetch.at).toBeGreaterThanOrEqual(purgeDone)
    expect(r.report.items.filter((i: { op: string }) => i.op === 'prefetch')).toHaveLength(5)
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
  })

  it('urls input: a directory goes in its own Type=dir call; one Describe asks about both tasks', async () => {
    const e = await start()
    const r = await runUrls(`${W}/a.css\n${W}/img/\n`)
    expect(r.code).toBe(0)
    const refreshes = callsOf(e, 'RefreshNewUcdnDomainCache').map((p) => [p.Type, urlListOf(p)])
    expect(refreshes).toHaveLength(2)
    expect(refreshes).toEqual(
      expect.arrayContaining([
        ['file', [`${W}/a.css`]],
        ['dir', [`${W}/img/`]]
      ])
    )
    const firstDescribe = callsOf(e, 'DescribeNewUcdnRefreshCacheTask')[0]
    expect(taskIdsOf(firstDescribe).sort()).toEqual([...e.tasks.keys()].sort())
    const dir = r.report.items.find((i: { kind: string }) => i.kind === 'dir')
    expect(dir).toMatchObject({ url: `${W}/img/`, state: 'success' })
  })

  describe('min-success-rate with one of ten URLs failed (status is per URL)', () => {
    const files = Array.from({ length: 10 }, (_, i) => `public/f${i}.txt`).join('\n')
    it('passes at 90', async () => {
      const e = await start({ failUrls: [`${W}/f0.txt`] })
      const r = await runPush({ files, 'min-success-rate': '90' })
      expect(r.code).toBe(0)
      expect(callsOf(e, 'RefreshNewUcdnDomainCache')).toHaveLength(1)
      expect(r.outputs['success-rate']).toBe('90')
      expect(r.stdout).toContain(`::error title=CDN purge failed for 1 URL::purge failed at the CDN (status failure) — 1 URL: ${W}/f0.txt`)
    })
    it('fails at 100, naming the rate, the threshold and the failed URL', async () => {
      await start({ failUrls: [`${W}/f0.txt`] })
      const r = await runPush({ files })
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(
        /::error::Success rate 90%25 is below min-success-rate 100%25: 1 of 10 items failed\. Cause: purge failed at the CDN \(status failure\) — 1 URL: https:\/\/www\.example\.com\/f0\.txt$/m
      )
      expect(r.summary).toMatch(/^## ❌ CDN purge failed: 90% succeeded/)
    })
  })

  it.each([
    ['files', { file: 5 }, () => runPush({ mode: 'purge' }), /Daily quota exceeded: refresh of files on www\.example\.com is limited to 5 a day/],
    ['directories', { dir: 1 }, () => runUrls(`${W}/a/\n${W}/b/\n`), /Daily quota exceeded: refresh of directories on www\.example\.com is limited to 1 a day/],
    ['prefetches', { prefetch: 2 }, () => runPush({ mode: 'prefetch' }), /Daily quota exceeded: prefetch on www\.example\.com is limited to 2 a day/]
  ])('an exhausted daily quota of %s ends in exit 1 with an error naming that quota', async (_, quotas, run, message) => {
    const e = await start({ quotas })
    const r = await run()
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Success rate 0%25 is below min-success-rate 100%25/)
    expect(r.stdout).toMatch(message)
    expect(r.stdout).toMatch(/daily per-domain quota/)
    expect(r.report.items.every((i: { state: string }) => i.state === 'submit-failed')).toBe(true)
    expect(e.tasks.size).toBe(0)
  })

  it('a wrong private key: exit 1, the error names private-key, and neither the key nor a signature leaks', async () => {
    const e = await start({ keys: { [PUBLIC_KEY]: 'the-real-private-key' } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/rejected the signature \(RetCode 171: Signature VerifyAC Error\); check the private-key input/)
    const signatures = e.params().map((p) => p.Signature)
    expect(signatures.length).toBeGreaterThan(0)
    // The only place a secret may appear is the runner's own ::add-mask:: command.
    const visible = [
      ...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')),
      r.stderr,
      r.summary,
      JSON.stringify(r.report),
      JSON.stringify(r.outputs)
    ].join('\n')
    for (const secret of [PRIVATE_KEY, 'the-real-private-key', ...signatures]) expect(visible).not.toContain(secret)
    for (const signature of signatures) expect(r.stdout).toContain(`::add-mask::${signature}`)
    expect(r.stdout).toContain(`::add-mask::${PRIVATE_KEY}`)
  })

  it('batch-size lowers the URLs per call, and dcdn sends IsDcdn=true on every call', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge-prefetch', 'batch-size': '3', dcdn: 'true' })
    expect(r.code).toBe(0)
    const refreshes = callsOf(e, 'RefreshNewUcdnDomainCache')
    expect(refreshes.map((p) => urlListOf(p).length)).toEqual([3, 3, 1])
    expect(callsOf(e, 'PrefetchNewUcdnDomainCache').every((p) => urlListOf(p).length <= 3)).toBe(true)
    expect(e.params().every((p) => p.IsDcdn === 'true')).toBe(true)
    expect(r.outputs['success-rate']).toBe('100')
  })

  it('counts a URL that never finishes as timed out when the timeout runs out', async () => {
    await start({ stallUrls: [`${W}/index.html`] })
    const r = await runPush({ mode: 'purge', timeout: '1', 'min-success-rate': '0' })
    expect(r.code).toBe(0)
    const stalled = r.report.items.find((i: { url: string }) => i.url === `${W}/index.html`)
    expect(stalled).toMatchObject({ state: 'timeout', message: expect.stringMatching(/last status: process \d+%/) })
    expect(r.report.items.filter((i: { state: string }) => i.state === 'success')).toHaveLength(6)
  })

  it('sends project-id as ProjectId', async () => {
    const e = await start({ projects: ['org-site'] })
    const r = await runUrls(`${W}/a.css`, { 'project-id': 'org-site' })
    expect(r.code).toBe(0)
    expect(e.params().every((p) => p.ProjectId === 'org-site')).toBe(true)
  })

  it.each([
    [{ 'public-key': '' }, /::error::Input 'public-key': ucloud needs the API public key/],
    [{ 'private-key': '' }, /::error::Input 'private-key': ucloud needs the API private key/]
  ])('missing credentials %j: a clear InputError, exit 1, zero requests', async (inputs, message) => {
    const e = await start()
    const r = await runPush(inputs)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(message)
    expect(e.requests).toHaveLength(0)
  })

  it('dry run: needs no keys and sends nothing', async () => {
    const e = await start()
    const r = await runPush({ 'dry-run': 'true', 'public-key': '', 'private-key': '', mode: 'purge-prefetch' })
    expect(r.code).toBe(0)
    expect(e.requests).toHaveLength(0)
    expect(r.stdout).toContain('dry run: purge would take 1 call')
  })
})

describe('ucloud end to end: a lost submit', () => {
  it('is not taken for an earlier run’s identical task: the batch is sent again', async () => {
    // Run 1's task is dated 2 s in the past by the emulator's clock, as if run 1 ran 2 s earlier.
    let skewMs = 2_000
    const e = await start({ completeAfterMs: 0, now: () => Date.now() - skewMs })
    const url = `${W}/index.html`
    const first = await runUrls(url)
    expect(first.code).toBe(0)
    skewMs = 0
    // Run 2 sends the same URL; the connection is reset before the server acts.
    e.injectFaults([{ kind: 'reset-before-headers' }])
    const second = await runUrls(url)
    expect(second.code).toBe(0)
    expect(e.tasks.size).toBe(2)
    const [older, newer] = [...e.tasks.keys()]
    expect(second.report.items).toEqual([expect.objectContaining({ state: 'success', resent: 1, taskId: newer })])
    expect(second.report.items[0].taskId).not.toBe(older)
    expect(callsOf(e, 'RefreshNewUcdnDomainCache')).toHaveLength(3)
  }, 30_000)
})
