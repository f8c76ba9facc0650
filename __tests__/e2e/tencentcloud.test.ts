/**
 * End-to-end: dist/index.js run as the runner runs it, against the tencentcloud emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { describe, expect, it } from '@jest/globals'
import { providerE2e, visibleOf } from '../../__fixtures__/e2e.js'
import { DEMO_PURGE_URLS, DEMO_SITE } from '../../emulators/repo.js'
import { startTencentEmulator, type TencentEmulator, type TencentEmulatorOptions } from '../../emulators/tencentcloud.js'

const W = DEMO_SITE
const SECRET_ID = 'AKIDe2eSecretId'
const SECRET_KEY = 'e2e-secret-key-s3cr3t'

const credentials = { 'access-key': SECRET_ID, 'secret-key': SECRET_KEY }
const { use, runPush, runUrls } = providerE2e<TencentEmulator>({ provider: 'tencentcloud', credentials })

function start(options: TencentEmulatorOptions = {}): Promise<TencentEmulator> {
  return startTencentEmulator({ keys: { [SECRET_ID]: SECRET_KEY }, completeAfterMs: 150, ...options }).then(use)
}

/** Every request of one action, with its JSON body. */
const callsOf = (e: TencentEmulator, action: string) =>
  e.requests.filter((q) => q.headers['x-tc-action'] === action).map((q) => ({ at: q.at, headers: q.headers, body: JSON.parse(q.body) as Record<string, any> }))

describe('tencentcloud end to end', () => {
  it('purge: a quota check, then one signed PurgeUrlsCache for every changed URL, polled to done', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(0)
    expect(e.requests[0].headers['x-tc-action']).toBe('DescribePurgeQuota')
    const purges = callsOf(e, 'PurgeUrlsCache')
    expect(purges).toHaveLength(1)
    expect(String(purges[0].headers.authorization)).toMatch(new RegExp(`^TC3-HMAC-SHA256 Credential=${SECRET_ID}/`))
    expect([...purges[0].body.Urls].sort()).toEqual([...DEMO_PURGE_URLS].sort())
    expect(callsOf(e, 'PushUrlsCache')).toEqual([])
    expect(r.outputs['success-rate']).toBe('100')
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([...e.tasks.keys()])
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    expect(e.actionCounts().DescribePurgeTasks).toBeGreaterThanOrEqual(1)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed/)
  })

  it('prefetch: one PushUrlsCache, never a deleted file', async () => {
    const e = await start()
    const r = await runPush({ mode: 'prefetch' })
    expect(r.code).toBe(0)
    const pushes = callsOf(e, 'PushUrlsCache')
    expect(pushes).toHaveLength(1)
    const sent: string[] = pushes[0].body.Urls
    expect(sent).toContain(`${W}/js/new-name.js`)
    expect(sent).not.toContain(`${W}/img/logo.png`)
    expect(sent).not.toContain(`${W}/js/old-name.js`)
    expect(callsOf(e, 'PurgeUrlsCache')).toEqual([])
    expect(e.actionCounts().DescribePushTasks).toBeGreaterThanOrEqual(1)
    expect(r.outputs['success-rate']).toBe('100')
  })

  it('purge-prefetch: prefetches only after every purge URL is final', async () => {
    const e = await start({ completeAfterMs: 300 })
    const r = await runPush({ mode: 'purge-prefetch' })
    expect(r.code).toBe(0)
    const purgeDone = Math.max(...[...e.tasks.values()].filter((t) => t.kind === 'url').map((t) => t.createdAt + 300))
    expect(callsOf(e, 'PushUrlsCache')[0].at).toBeGreaterThanOrEqual(purgeDone)
    expect(r.report.items.filter((i: { op: string }) => i.op === 'prefetch')).toHaveLength(5)
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
  })

  it('urls input: a directory goes in its own PurgePathCache call', async () => {
    const e = await start()
    const r = await runUrls(`${W}/a.css\n${W}/img/\n`)
    expect(r.code).toBe(0)
    expect(callsOf(e, 'PurgeUrlsCache').map((c) => c.body)).toEqual([{ Urls: [`${W}/a.css`] }])
    expect(callsOf(e, 'PurgePathCache').map((c) => c.body)).toEqual([{ Paths: [`${W}/img/`], FlushType: 'delete' }])
    expect(r.report.items.find((i: { kind: string }) => i.kind === 'dir')).toMatchObject({ url: `${W}/img/`, state: 'success' })
  })

  describe('min-success-rate with one of ten URLs failed (status is per URL)', () => {
    const files = Array.from({ length: 10 }, (_, i) => `public/f${i}.txt`).join('\n')
    it('passes at 90', async () => {
      const e = await start({ failUrls: [`${W}/f0.txt`] })
      const r = await runPush({ files, 'min-success-rate': '90' })
      expect(r.code).toBe(0)
      expect(callsOf(e, 'PurgeUrlsCache')).toHaveLength(1)
      expect(r.outputs['success-rate']).toBe('90')
      expect(r.stdout).toContain(`${W}/f0.txt`)
    })
    it('fails at 100, naming the rate, the threshold and the failed URL', async () => {
      await start({ failUrls: [`${W}/f0.txt`] })
      const r = await runPush({ files })
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(/::error::Success rate 90%25 is below min-success-rate 100%25: 1 of 10 items failed\..*https:\/\/www\.example\.com\/f0\.txt/)
      expect(r.summary).toMatch(/^## ❌ CDN purge failed: 90% succeeded/)
    })
  })

  it('credentials from TENCENTCLOUD_* when the inputs are empty: X-TC-Token is sent, and key and token are masked', async () => {
    const token = 'e2e-session-token-Wq5'
    const e = await start({ tokens: { [SECRET_ID]: token } })
    const r = await runPush(
      { mode: 'purge', 'access-key': '', 'secret-key': '' },
      { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY, TENCENTCLOUD_SESSION_TOKEN: token }
    )
    expect(r.code).toBe(0)
    expect(e.requests.every((q) => q.headers['x-tc-token'] === token)).toBe(true)
    expect(r.stdout).toContain(`::add-mask::${SECRET_KEY}`)
    expect(r.stdout).toContain(`::add-mask::${token}`)
    const visible = visibleOf(r)
    for (const secret of [SECRET_KEY, token]) expect(visible).not.toContain(secret)
  })

  it("a run over today's quota is refused by the pre-flight, naming quota, need and remainder; nothing is submitted", async () => {
    const e = await start({ quotas: { urlPurge: 5 } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /the daily URL purge \(UrlPurge\) quota of mainland has 5 of 5 left, and this run needs 7 \(a purge goes to [^)]*\); nothing was sent/
    )
    expect(e.actionCounts()).toEqual({ DescribePurgeQuota: 1 })
    expect(e.tasks.size).toBe(0)
  })

  it('a wrong SecretKey: exit 1, the error names secret-key, and neither the key nor a signature or Authorization leaks', async () => {
    const e = await start({ keys: { [SECRET_ID]: 'the-real-secret-key' } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/rejected the signature \(AuthFailure\.SignatureFailure.*check the secret-key input/)
    const auths = e.requests.map((q) => String(q.headers.authorization))
    expect(auths.length).toBeGreaterThan(0)
    const signatures = auths.map((a) => /Signature=([0-9a-f]{64})/.exec(a)![1])
    const visible = visibleOf(r)
    for (const secret of [SECRET_KEY, 'the-real-secret-key', ...auths, ...signatures]) expect(visible).not.toContain(secret)
    for (const signature of signatures) expect(r.stdout).toContain(`::add-mask::${signature}`)
  })

  it('a URL holding * is an input error naming it; zero requests', async () => {
    const e = await start()
    const r = await runUrls(`${W}/a.css\n${W}/a*b.css\n`)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'urls': tencentcloud cannot take https:\/\/www\.example\.com\/a\*b\.css: Tencent Cloud takes \* for a wildcard/)
    expect(e.requests).toHaveLength(0)
  })

  it.each([
    [{ 'access-key': '' }, /::error::Input 'access-key': tencentcloud needs the SecretId/],
    [{ 'secret-key': '' }, /::error::Input 'secret-key': tencentcloud needs the SecretKey/]
  ])('missing credentials %j: a clear InputError, exit 1, zero requests', async (inputs, message) => {
    const e = await start()
    const r = await runPush(inputs)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(message)
    expect(e.requests).toHaveLength(0)
  })
})
