/**
 * End-to-end: dist/index.js run as the runner runs it, against the cloudflare emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { describe, expect, it } from '@jest/globals'
import { providerE2e, visibleOf as visible } from '../../__fixtures__/e2e.js'
import { CLOUDFLARE_EXAMPLE_ZONE, startCloudflareEmulator, type CloudflareEmulator, type CloudflareEmulatorOptions } from '../../emulators/cloudflare.js'
import { DEMO_PURGE_URLS, DEMO_SITE } from '../../emulators/repo.js'
import { runAction } from '../../emulators/runner.js'

const W = DEMO_SITE
const TOKEN = 'E2eCloudflareApiToken_0123456789-abcdefg'
const ZONE = CLOUDFLARE_EXAMPLE_ZONE
const ZONE_B = 'b'.repeat(32)
const PATH = `/client/v4/zones/${ZONE}/purge_cache`
const FINAL = 'cloudflare has no status API: an accepted purge is final, so nothing was polled'

const { use, runPush } = providerE2e<CloudflareEmulator>({
  provider: 'cloudflare',
  credentials: { token: TOKEN, 'zone-id': ZONE },
  endpoint: (e) => `${e.url}/client/v4`,
  common: {}
})

function start(options: CloudflareEmulatorOptions = {}): Promise<CloudflareEmulator> {
  return startCloudflareEmulator({ tokens: { [TOKEN]: [ZONE, ZONE_B] }, zones: { [ZONE]: 'example.com', [ZONE_B]: 'example.net' }, ...options }).then(use)
}

describe('cloudflare end to end', () => {
  it('purge: one purge_cache call with every changed URL as files; final on acceptance, never polled, no task id', async () => {
    const e = await start()
    const r = await runPush({})
    expect(r.code).toBe(0)
    expect(e.counts()).toEqual({ [`POST ${PATH}`]: 1 })
    expect(e.purges).toHaveLength(1)
    expect(e.purges[0].kind).toBe('files')
    expect([...e.purges[0].items].sort()).toEqual([...DEMO_PURGE_URLS].sort())
    expect(r.outputs['success-rate']).toBe('100')
    expect(r.outputs['task-ids']).toBe('[]')
    expect(r.report.items.every((i: { state: string; taskId: string | null }) => i.state === 'success' && i.taskId === null)).toBe(true)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed/)
    expect(r.summary).toContain(FINAL)
    expect(r.stdout).toContain(`purge: a task (request 1 to zone ${ZONE}) accepted 7 items on www.example.com`)
    expect(r.stdout).not.toMatch(/status round/)
  })

  it('a push that maps to two hosts in two zones: each host purged in its own zone, by host=id lines', async () => {
    const e = await start()
    const rules = `- files: 'public/**'\n  strip: 'public/'\n  urls:\n    - '${W}/{path}'\n    - 'https://static.example.net/{path}'\n`
    const r = await runPush({ rules, 'zone-id': `www.example.com=${ZONE}\nstatic.example.net=${ZONE_B}` })
    expect(r.code).toBe(0)
    expect(e.counts()).toEqual({ [`POST ${PATH}`]: 1, [`POST /client/v4/zones/${ZONE_B}/purge_cache`]: 1 })
    const byZone = Object.fromEntries(e.purges.map((p) => [p.zone, p.items]))
    expect(byZone[ZONE].every((u) => u.startsWith(`${W}/`))).toBe(true)
    expect(byZone[ZONE_B].every((u) => u.startsWith('https://static.example.net/'))).toBe(true)
    expect(byZone[ZONE_B]).toHaveLength(byZone[ZONE].length)
    expect(r.stdout).toContain(`cloudflare: static.example.net → zone ${ZONE_B}`)
    expect(r.summary).toContain(FINAL)
  })

  it.each(['prefetch', 'purge-prefetch'])('mode %s is refused before any request, naming cloudflare', async (mode) => {
    const e = await start()
    const r = await runPush({ mode })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'mode': cloudflare has no prefetch API; use mode: purge/)
    expect(e.requests).toHaveLength(0)
  })

  it('a host with no zone in zone-id: exit 1 naming zone-id and the host, nothing sent', async () => {
    const e = await start()
    const r = await runPush({ 'zone-id': `static.example.net=${ZONE_B}` })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'zone-id': no zone id for host www\.example\.com .*add a line www\.example\.com=<zone id>/)
    expect(e.requests).toHaveLength(0)
  })

  it('a zone name instead of its id: exit 1 saying where to find the id, nothing sent', async () => {
    const e = await start()
    const r = await runPush({ 'zone-id': 'example.com' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(
      /::error::Input 'zone-id': 'example\.com' is a zone name, not a zone id; give the zone's 32-hex Zone ID, shown on its Overview page/
    )
    expect(e.requests).toHaveLength(0)
  })

  it('the token from CLOUDFLARE_API_TOKEN when the input is empty: sent as Bearer, masked, never shown', async () => {
    const e = await start()
    const r = await runPush({ token: '' }, { CLOUDFLARE_API_TOKEN: TOKEN, RUNNER_DEBUG: '1' })
    expect(r.code).toBe(0)
    expect(e.requests.every((q) => q.headers.authorization === `Bearer ${TOKEN}`)).toBe(true)
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`)
    expect(visible(r)).not.toContain(TOKEN)
  })

  it('a token without this zone: exit 1 naming Zone → Cache Purge and zone-id; the token never shown', async () => {
    const e = await start({ tokens: { [TOKEN]: [ZONE_B] } })
    const r = await runPush({})
    expect(r.code).toBe(1)
    expect(e.requests).toHaveLength(1)
    expect(r.stdout).toMatch(/refused the token on zone 023e.*Zone → Cache Purge/)
    expect(visible(r)).not.toContain(TOKEN)
  })

  it('urls input: a directory goes as a prefix in its own request; batch-size 2 cuts files at 2', async () => {
    const e = await start()
    const r = await runAction({
      inputs: {
        provider: 'cloudflare',
        endpoint: `${e.url}/client/v4`,
        token: TOKEN,
        'zone-id': ZONE,
        urls: `${W}/a.css\n${W}/b.css\n${W}/c.css\n${W}/img/`,
        'batch-size': '2'
      },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(e.purges.map((p) => [p.kind, p.items])).toEqual(
      expect.arrayContaining([
        ['files', [`${W}/a.css`, `${W}/b.css`]],
        ['files', [`${W}/c.css`]],
        ['prefixes', ['www.example.com/img/']]
      ])
    )
    expect(e.purges).toHaveLength(3)
  })

  it('urls input with non-ASCII: sent UTF-8 percent-encoded, as the cache key holds it; reported as given', async () => {
    const e = await start()
    const r = await runAction({
      inputs: { provider: 'cloudflare', endpoint: `${e.url}/client/v4`, token: TOKEN, 'zone-id': ZONE, urls: `${W}/café.html?q=é\n${W}/ünï/` },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(e.purges).toHaveLength(2)
    expect(e.purges.map((p) => [p.kind, p.items])).toEqual(
      expect.arrayContaining([
        ['files', [`${W}/caf%C3%A9.html?q=%C3%A9`]],
        ['prefixes', ['www.example.com/%C3%BCn%C3%AF/']]
      ])
    )
    expect(r.report.items.map((i: { url: string }) => i.url).sort()).toEqual([`${W}/café.html?q=é`, `${W}/ünï/`])
  })

  it('a directory too deep for a prefix: an input error naming urls, before any request', async () => {
    const e = await start()
    const r = await runAction({
      inputs: { provider: 'cloudflare', endpoint: `${e.url}/client/v4`, token: TOKEN, 'zone-id': ZONE, urls: `${W}/a.css\n${W}${'/d'.repeat(31)}/` },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'urls': cloudflare cannot take https:\/\/www\.example\.com\/d\/.* has 32 path separators/)
    expect(e.requests).toHaveLength(0)
  })

  it('a refused batch fails its items; min-success-rate decides', async () => {
    const files = Array.from({ length: 40 }, (_, i) => `public/f${i}.txt`).join('\n')
    // 40 URLs go as 30 + 10; the call holding f35 is refused.
    const first = await start({ failUrls: [`${W}/f35.txt`] })
    const pass = await runPush({ files, 'min-success-rate': '75' })
    expect(pass.code).toBe(0)
    expect(pass.outputs['success-rate']).toBe('75')
    await first.close()
    await start({ failUrls: [`${W}/f35.txt`] })
    const fail = await runPush({ files })
    expect(fail.code).toBe(1)
    expect(fail.stdout).toMatch(/::error::Success rate 75%25 is below min-success-rate 100%25: 10 of 40 items failed/)
  })
})
