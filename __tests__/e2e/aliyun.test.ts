/**
 * End-to-end: dist/index.js run as the runner runs it, against the aliyun emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { describe, expect, it } from '@jest/globals'
import { providerE2e } from '../../__fixtures__/e2e.js'
import { startAliyunEmulator, type AliyunEmulator, type AliyunEmulatorOptions } from '../../emulators/aliyun.js'
import { DEMO_PURGE_URLS, DEMO_SITE } from '../../emulators/repo.js'

const W = DEMO_SITE
const ACCESS_KEY = 'LTAIe2eAccessKeyId'
const SECRET_KEY = 'e2e-access-key-s3cr3t'

const credentials = { 'access-key': ACCESS_KEY, 'secret-key': SECRET_KEY }
const { use, runPush, runUrls } = providerE2e<AliyunEmulator>({ provider: 'aliyun', credentials })

function start(options: AliyunEmulatorOptions = {}): Promise<AliyunEmulator> {
  return startAliyunEmulator({ keys: { [ACCESS_KEY]: SECRET_KEY }, completeAfterMs: 150, ...options }).then(use)
}

/** The signed parameters of every call of one Action the emulator received. */
const callsOf = (e: AliyunEmulator, action: string) => e.params().filter((p) => p.Action === action)
const pathsOf = (p: Record<string, string>) => p.ObjectPath.split('\n')

describe('aliyun end to end', () => {
  it('purge: a quota check, then one signed RefreshObjectCaches (ObjectType=File) for every changed URL, polled to Complete', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(0)
    expect(e.params()[0].Action).toBe('DescribeRefreshQuota')
    const refreshes = callsOf(e, 'RefreshObjectCaches')
    expect(refreshes).toHaveLength(1)
    expect(refreshes[0]).toMatchObject({ ObjectType: 'File', AccessKeyId: ACCESS_KEY, SignatureMethod: 'HMAC-SHA1' })
    expect(pathsOf(refreshes[0]).sort()).toEqual([...DEMO_PURGE_URLS].sort())
    expect(callsOf(e, 'PushObjectCache')).toEqual([])
    expect(r.outputs['success-rate']).toBe('100')
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    expect(callsOf(e, 'DescribeRefreshTaskById').length).toBeGreaterThanOrEqual(1)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed/)
  })

  it('prefetch: one PushObjectCache, never a deleted file', async () => {
    const e = await start()
    const r = await runPush({ mode: 'prefetch' })
    expect(r.code).toBe(0)
    const pushes = callsOf(e, 'PushObjectCache')
    expect(pushes).toHaveLength(1)
    const sent = pathsOf(pushes[0])
    expect(sent).toContain(`${W}/js/new-name.js`)
    expect(sent).not.toContain(`${W}/img/logo.png`)
    expect(sent).not.toContain(`${W}/js/old-name.js`)
    expect(callsOf(e, 'RefreshObjectCaches')).toEqual([])
    expect(r.outputs['success-rate']).toBe('100')
    expect(r.report.items.filter((i: { op: string; state: string }) => i.op === 'prefetch' && i.state === 'success')).toHaveLength(sent.length)
  })

  it('purge-prefetch: prefetches only after every purge URL is final', async () => {
    const e = await start({ completeAfterMs: 300 })
    const r = await runPush({ mode: 'purge-prefetch' })
    expect(r.code).toBe(0)
    const purgeDone = Math.max(...e.entries.filter((x) => x.type === 'file').map((x) => x.createdAt + 300))
    const firstPush = e.requests[e.params().findIndex((p) => p.Action === 'PushObjectCache')]
    expect(firstPush.at).toBeGreaterThanOrEqual(purgeDone)
    expect(r.report.items.filter((i: { op: string }) => i.op === 'prefetch')).toHaveLength(5)
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
  })

  it('urls input: a directory goes in its own ObjectType=Directory call', async () => {
    const e = await start()
    const r = await runUrls(`${W}/a.css\n${W}/img/\n`)
    expect(r.code).toBe(0)
    const refreshes = callsOf(e, 'RefreshObjectCaches').map((p) => [p.ObjectType, pathsOf(p)])
    expect(refreshes).toEqual(
      expect.arrayContaining([
        ['File', [`${W}/a.css`]],
        ['Directory', [`${W}/img/`]]
      ])
    )
    expect(refreshes).toHaveLength(2)
    // Every object under the directory, not only those whose origin Last-Modified changed (§1 Force).
    expect(callsOf(e, 'RefreshObjectCaches').map((p) => p.Force)).toEqual(expect.arrayContaining([undefined, 'true']))
    expect(e.entries.find((x) => x.type === 'directory')?.force).toBe(true)
    expect(r.report.items.find((i: { kind: string }) => i.kind === 'dir')).toMatchObject({ url: `${W}/img/`, state: 'success' })
  })

  describe('min-success-rate with one of ten URLs Failed (status is per URL)', () => {
    const files = Array.from({ length: 10 }, (_, i) => `public/f${i}.txt`).join('\n')
    it('passes at 90', async () => {
      const e = await start({ failUrls: [`${W}/f0.txt`] })
      const r = await runPush({ files, 'min-success-rate': '90' })
      expect(r.code).toBe(0)
      expect(callsOf(e, 'RefreshObjectCaches')).toHaveLength(1)
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

  it('credentials from ALIBABA_CLOUD_* when the inputs are empty: the STS token is sent, and secret and token are masked', async () => {
    const token = 'e2e-sts-security-token-Qz7'
    const e = await start({ securityTokens: { [ACCESS_KEY]: token } })
    const r = await runPush(
      { mode: 'purge', 'access-key': '', 'secret-key': '' },
      { ALIBABA_CLOUD_ACCESS_KEY_ID: ACCESS_KEY, ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET_KEY, ALIBABA_CLOUD_SECURITY_TOKEN: token }
    )
    expect(r.code).toBe(0)
    expect(e.params().every((p) => p.AccessKeyId === ACCESS_KEY && p.SecurityToken === token)).toBe(true)
    expect(r.stdout).toContain(`::add-mask::${SECRET_KEY}`)
    expect(r.stdout).toContain(`::add-mask::${token}`)
    const visible = [...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')), r.stderr, r.summary, JSON.stringify(r.report)].join('\n')
    for (const secret of [SECRET_KEY, token]) expect(visible).not.toContain(secret)
  })

  it("a run over today's quota is refused by the pre-flight, naming quota, need and remainder; nothing is submitted", async () => {
    const e = await start({ quotas: { url: 5 } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/needs 7 URL refreshes but today's UrlQuota \(5 a day\) has 5 left; nothing was sent/)
    expect(e.actionCounts()).toEqual({ DescribeRefreshQuota: 1 })
    expect(e.entries).toHaveLength(0)
  })

  it('over the URL quota with dir-threshold set: purges the directory instead (threshold lowered to fit), and says so', async () => {
    const e = await start({ quotas: { url: 5 } })
    const img = Array.from({ length: 8 }, (_, i) => `${W}/img/p${i}.png`)
    const r = await runUrls([...img, `${W}/a.css`, `${W}/b.css`].join('\n'), { 'dir-threshold': '20' })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /::warning::today's URL purge quota has 5 left, fewer than the 10 URLs to purge: purging each directory with 8 or more changed files instead \(dir-threshold 20 lowered to fit\), 2 URLs and 1 directory/
    )
    const refreshes = callsOf(e, 'RefreshObjectCaches').map((p) => [p.ObjectType, pathsOf(p).sort()])
    expect(refreshes).toEqual(
      expect.arrayContaining([
        ['File', [`${W}/a.css`, `${W}/b.css`]],
        ['Directory', [`${W}/img/`]]
      ])
    )
    expect(refreshes).toHaveLength(2)
    expect(callsOf(e, 'DescribeRefreshQuota')).toHaveLength(2)
    expect(r.report.collapsedDirs).toEqual([{ dir: `${W}/img/`, files: 8 }])
    // without dir-threshold the same run is refused before sending (above)
  })

  it('a wrong secret: exit 1, the error names secret-key, and neither the secret nor a signature leaks', async () => {
    const e = await start({ keys: { [ACCESS_KEY]: 'the-real-access-key-secret' } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/rejected the signature \(SignatureDoesNotMatch.*check the secret-key input/)
    const signatures = e.params().map((p) => p.Signature)
    expect(signatures.length).toBeGreaterThan(0)
    const visible = [
      ...r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')),
      r.stderr,
      r.summary,
      JSON.stringify(r.report),
      JSON.stringify(r.outputs)
    ].join('\n')
    for (const secret of [SECRET_KEY, 'the-real-access-key-secret', ...signatures]) expect(visible).not.toContain(secret)
  })

  it('a prefetch URL over 1,024 characters: an input error naming urls before any request', async () => {
    const e = await start()
    const long = `${W}/${'x'.repeat(1100)}.js`
    const r = await runUrls(`${W}/a.js\n${long}`, { mode: 'prefetch' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'urls': aliyun cannot take .*PushObjectCache takes URLs of at most 1024 characters/)
    expect(e.requests).toHaveLength(0)
  })

  it.each([
    [{ 'access-key': '' }, /::error::Input 'access-key': aliyun needs an AccessKey ID/],
    [{ 'secret-key': '' }, /::error::Input 'secret-key': aliyun needs the AccessKey secret/]
  ])('missing credentials %j: a clear InputError, exit 1, zero requests', async (inputs, message) => {
    const e = await start()
    const r = await runPush(inputs)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(message)
    expect(e.requests).toHaveLength(0)
  })
})
