/**
 * End-to-end: dist/index.js run as the runner runs it, against the ztgame emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { describe, expect, it } from '@jest/globals'
import { providerE2e } from '../../__fixtures__/e2e.js'
import { DEMO_PURGE_URLS, DEMO_RULES, DEMO_SITE } from '../../emulators/repo.js'
import { runAction } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'

const rules = DEMO_RULES
const W = DEMO_SITE

const { use, runPush } = providerE2e<ZtgameEmulator>({ provider: 'ztgame', credentials: { token: 'e2e-token' } })

function start(options: Parameters<typeof startZtgameEmulator>[0] = {}): Promise<ZtgameEmulator> {
  return startZtgameEmulator({ tokens: ['e2e-token'], completeAfterMs: 150, ...options }).then(use)
}

const submittedUrls = (e: ZtgameEmulator, path: string) =>
  e.requests
    .filter((r) => r.path === path)
    .flatMap((r) => {
      const b = JSON.parse(r.body)
      return [...(b.urls ?? []), ...(b.dirs ?? [])]
    })

describe('ztgame end to end', () => {
  it('purge: purges added, modified, deleted and both sides of a rename, percent-encoded', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(0)
    const expected = [...DEMO_PURGE_URLS]
    expect(submittedUrls(e, '/cdn_api/purge').sort()).toEqual(expected.sort())
    expect(submittedUrls(e, '/cdn_api/prefetch')).toEqual([])
    expect(r.outputs['success-rate']).toBe('100')
    expect(r.outputs.planned).toBe('7')
    expect(r.stdout).toContain('1 changed file matched no rule: README.md\n')
    expect(JSON.parse(r.outputs.urls).sort()).toEqual(expected.sort())
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([...e.tasks.keys()])
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    expect(r.report.items.every((i: { seconds: number }) => i.seconds >= 0.1 && i.seconds < 30)).toBe(true)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed: 100% succeeded/)
    expect(r.summary).toContain('<th>time</th>')
    expect(r.stdout).toContain('::group::purge: 1 call\npurge www.example.com: 7 items in 1 call\n')
    expect(r.stdout).toContain('::group::Changed files')
  })

  it("another provider's inputs are ignored with a warning naming them, masked, never sent", async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge', 'api-key': 'cdn-key-e2e-4711', 'public-key': 'uc-pub-e2e' })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("::warning::Input 'api-key' is ignored: provider ztgame does not read it (cdnetworks does).")
    expect(r.stdout).toContain("::warning::Input 'public-key' is ignored: provider ztgame does not read it (ucloud does).")
    expect(r.stdout).toContain('::add-mask::cdn-key-e2e-4711')
    expect(r.stdout).not.toContain('::add-mask::uc-pub-e2e')
    expect(e.requests.some((q) => JSON.stringify(q).includes('cdn-key-e2e-4711') || JSON.stringify(q).includes('uc-pub-e2e'))).toBe(false)
  })

  it('prefetch: never prefetches a deleted file', async () => {
    const e = await start()
    const r = await runPush({ mode: 'prefetch' })
    expect(r.code).toBe(0)
    const sent = submittedUrls(e, '/cdn_api/prefetch')
    expect(sent).toContain(`${W}/js/new-name.js`)
    expect(sent).not.toContain(`${W}/img/logo.png`)
    expect(sent).not.toContain(`${W}/js/old-name.js`)
    expect(submittedUrls(e, '/cdn_api/purge')).toEqual([])
  })

  it('purge-prefetch: prefetches only after every purge task is final', async () => {
    const e = await start({ completeAfterMs: 300 })
    const r = await runPush({ mode: 'purge-prefetch' })
    expect(r.code).toBe(0)
    const purgeDone = Math.max(...[...e.tasks.values()].filter((t) => t.type !== '2').map((t) => t.createdAt + 300))
    const firstPrefetch = e.requests.find((q) => q.path === '/cdn_api/prefetch')!
    expect(firstPrefetch.at).toBeGreaterThanOrEqual(purgeDone)
    expect(r.report.items.filter((i: { op: string }) => i.op === 'prefetch')).toHaveLength(5)
  })

  describe('min-success-rate', () => {
    const files = Array.from({ length: 10 }, (_, i) => `public/f${i}.txt`).join('\n')
    // One host, ten URLs in one call: fail one call's worth by failing one URL of a
    // single-item batch is impossible (status is per task), so use two hosts.
    const twoHostRules = `- files: 'public/f0.txt'
  strip: 'public/'
  urls: 'https://bad.example.com/{path}'
- files: ['public/**', '!public/f0.txt']
  strip: 'public/'
  urls: 'https://www.example.com/{path}'
`
    it('passes at 90 with one of ten items failed', async () => {
      await start({ failUrls: ['https://bad.example.com/f0.txt'] })
      const r = await runPush({ files, rules: twoHostRules, 'min-success-rate': '90' })
      expect(r.code).toBe(0)
      expect(r.outputs['success-rate']).toBe('90')
      expect(r.stdout).toContain('::error title=CDN purge failed for 1 URL::purge failed at the CDN (status FAILURE) — 1 URL: https://bad.example.com/f0.txt')
    })
    it('fails at 100, naming the rate, the threshold and the failed item', async () => {
      await start({ failUrls: ['https://bad.example.com/f0.txt'] })
      const r = await runPush({ files, rules: twoHostRules })
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(
        /::error::Success rate 90%25 is below min-success-rate 100%25: 1 of 10 items failed\. Cause: purge failed at the CDN \(status FAILURE\) — 1 URL: https:\/\/bad\.example\.com\/f0\.txt$/m
      )
      expect(r.summary).toMatch(/^## ❌ CDN purge failed: 90% succeeded/)
      expect(r.summary).toContain('### Failed: 1 URL, 1 cause')
    })
  })

  it('counts a stalled task as failed when the timeout runs out', async () => {
    await start({ stallUrls: [`${W}/index.html`] })
    const r = await runPush({ mode: 'purge', timeout: '1', 'min-success-rate': '0' })
    expect(r.code).toBe(0)
    const stalled = r.report.items.find((i: { url: string }) => i.url === `${W}/index.html`)
    expect(stalled.state).toBe('timeout')
  })

  it('names a never-finishing item in the failure when the timeout runs out', async () => {
    await start({ stallUrls: [`${W}/index.html`] })
    const r = await runPush({ mode: 'purge', timeout: '1' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /::error::Success rate 0%25 is below min-success-rate 100%25: 7 of 7 items failed\. Cause: purge not final when the timeout ran out \(last status: RUN\) — 7 URLs, first https:\/\/www\.example\.com\//
    )
  })

  it('dry run: prints the plan and sends nothing', async () => {
    const e = await start()
    const r = await runPush({ 'dry-run': 'true', token: '' })
    expect(r.code).toBe(0)
    expect(e.requests).toHaveLength(0)
    expect(JSON.parse(r.outputs.urls)).toContain(`${W}/about%20us.html`)
    expect(r.report.items.every((i: { state: string }) => i.state === 'planned')).toBe(true)
    expect(r.summary).toMatch(/^## 🔎 CDN purge dry run: \d+ URLs planned, nothing sent/)
    // a plan, not a success: no rate, nothing succeeded, the count planned
    expect(r.outputs['success-rate']).toBe('')
    expect(r.outputs.planned).toBe('7')
    expect(r.report.successRate).toBeNull()
    expect(r.report.totals).toEqual({ items: 7, succeeded: 0, failed: 0 })
    expect(r.stdout).toContain('::notice::Dry run: 7 items planned, nothing sent.')
  })

  it('dry run of one URL: says 1 item, 1 URL, 1 entry, 1 call', async () => {
    const e = await start()
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: e.url, urls: `${W}/a.css`, 'dry-run': 'true' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(e.requests).toHaveLength(0)
    expect(r.outputs['success-rate']).toBe('')
    expect(r.outputs.planned).toBe('1')
    expect(r.stdout).toContain('only the urls input (1 entry); no change detection')
    expect(r.stdout).toContain('plan: 1 URL and 0 directories to purge, 0 URLs to prefetch')
    expect(r.stdout).toContain('dry run: purge would take 1 call')
    expect(r.stdout).toContain('::notice::Dry run: 1 item planned, nothing sent.')
  })

  it('names the first changed files that matched no rule, escaped, and counts the rest', async () => {
    const e = await start()
    const odd = ['docs/a\x1b[31mred.md', 'docs/\u202etxt.md', 'docs/::warning::PWN.md']
    const others = Array.from({ length: 11 }, (_, i) => `src/f${i}.ts`)
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: e.url, rules, files: [...odd, ...others, 'public/index.html'].join('\n'), 'dry-run': 'true' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    const named = ['docs/a\\x1b[31mred.md', 'docs/\\u{202e}txt.md', 'docs/::warning::PWN.md', ...others.slice(0, 7)]
    expect(r.stdout).toContain(`14 changed files matched no rule: ${named.join(', ')}, and 4 more\n`)
    expect(r.stdout).not.toContain('\x1b')
    expect(r.outputs.planned).toBe('2')
  })

  it('urls input: submits URLs and directories as given, without change detection', async () => {
    const e = await start()
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: e.url, token: 'e2e-token', urls: `${W}/a.css\n${W}/img/\n`, 'poll-interval': '0.1' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(e.requests.filter((q) => q.path === '/cdn_api/purge').map((q) => JSON.parse(q.body))).toEqual([{ urls: [`${W}/a.css`] }, { dirs: [`${W}/img/`] }])
  })

  it('urls and files on one line, as the Run-workflow form gives them: split at spaces and commas', async () => {
    const e = await start()
    const r = await runAction({
      inputs: {
        provider: 'ztgame',
        endpoint: e.url,
        token: 'e2e-token',
        urls: `${W}/a.css, ${W}/w_1,h_2.png,${W}/img/`,
        files: 'public/x.html,"public/y z.html" "public/a,b.js"',
        rules: "- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://www.example.com/{path}'\n",
        'poll-interval': '0.1'
      },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    const bodies = e.requests.filter((q) => q.path === '/cdn_api/purge').map((q) => JSON.parse(q.body) as { urls?: string[]; dirs?: string[] })
    expect(bodies.flatMap((b) => b.urls ?? []).sort()).toEqual([`${W}/a.css`, `${W}/w_1,h_2.png`, `${W}/x.html`, `${W}/y%20z.html`, `${W}/a,b.js`].sort())
    expect(bodies.flatMap((b) => b.dirs ?? [])).toEqual([`${W}/img/`])
  })

  it('obtains a token with username and password', async () => {
    const e = await start({ users: { deploy: 'pw-123' } })
    const r = await runPush({ token: '', username: 'deploy', password: 'pw-123' })
    expect(r.code).toBe(0)
    expect(e.requests[0].path).toBe('/cdn_api/tokens')
    expect(r.stdout).toContain('::add-mask::e2e-token')
  })

  it('a push that maps nothing succeeds with rate 100 and says so', async () => {
    const e = await start()
    const r = await runPush({ rules: `- files: 'nothing/**'\n  urls: 'https://x.example/{path}'\n` })
    expect(r.code).toBe(0)
    expect(r.outputs['success-rate']).toBe('100')
    expect(r.outputs.planned).toBe('0')
    expect(r.stdout).toContain('Nothing to send')
    expect(e.requests).toHaveLength(0)
  })

  it.each([
    [{ provider: 'akamai' }, /Input 'provider': 'akamai' is not supported; use one of: ztgame, cdnetworks, ucloud/],
    [{ rules: '- files: [unclosed' }, /Input 'rules': /],
    [{ rules: "- files: 'public/**'\n" }, /Input 'rules': rule 1: .*urls/],
    [{ token: '' }, /Input 'token': ztgame needs a token/],
    [{ 'min-success-rate': '150' }, /Input 'min-success-rate': '150' is not a percentage \(0–100\)/]
  ])('bad input %j: clear error, exit 1, zero requests', async (inputs, message) => {
    const e = await start()
    const r = await runPush(inputs)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(message)
    expect(e.requests).toHaveLength(0)
  })
})

describe('dir-threshold', () => {
  it('purges a directory instead of the files in it, and says so in the log, summary and report', async () => {
    const e = await startZtgameEmulator({ tokens: ['e2e-token'], completeAfterMs: 0 })
    try {
      const files = ['public/img/a.png', 'public/img/b.png', 'public/img/c.png', 'public/app.js'].join('\n')
      const r = await runAction({
        inputs: { provider: 'ztgame', endpoint: e.url, token: 'e2e-token', rules, files, 'dir-threshold': '3', 'poll-interval': '0.1' },
        eventName: 'workflow_dispatch'
      })
      expect(r.code).toBe(0)
      const bodies = e.requests.filter((q) => q.path === '/cdn_api/purge').map((q) => JSON.parse(q.body))
      expect(bodies).toEqual([{ urls: [`${W}/app.js`] }, { dirs: [`${W}/img/`] }])
      expect(r.stdout).toContain(`dir-threshold 3: purging ${W}/img/ instead of its 3 changed files`)
      expect(r.report.collapsedDirs).toEqual([{ dir: `${W}/img/`, files: 3 }])
      expect(r.summary).toContain('Purged 1 directory instead of the files in them')
    } finally {
      await e.close()
    }
  })
})
