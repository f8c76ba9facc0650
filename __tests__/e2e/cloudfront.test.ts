/**
 * End-to-end: dist/index.js run as the runner runs it, against the CloudFront emulator.
 * Rebuild dist/ (`npm run package`) before running these after a change to src/.
 */
import { describe, expect, it } from '@jest/globals'
import { providerE2e, visibleOf } from '../../__fixtures__/e2e.js'
import { startCloudFrontEmulator, type CloudFrontEmulator, type CloudFrontEmulatorOptions } from '../../emulators/cloudfront.js'

const ACCESS_KEY = 'AKIAE2EACCESSKEY'
const SECRET_KEY = 'e2e-aws-s3cr3t/Access+Key'
const DIST = 'EDFDVBD6EXAMPLE'
const DIST_B = 'E2QWRUHAPOMQZL'

const credentials = { 'access-key': ACCESS_KEY, 'secret-key': SECRET_KEY, 'distribution-id': DIST }
const { use, runPush, runUrls } = providerE2e<CloudFrontEmulator>({ provider: 'cloudfront', credentials })

function start(options: CloudFrontEmulatorOptions = {}): Promise<CloudFrontEmulator> {
  return startCloudFrontEmulator({
    keys: { [ACCESS_KEY]: SECRET_KEY },
    distributions: { [DIST]: ACCESS_KEY, [DIST_B]: ACCESS_KEY },
    completeAfterMs: 150,
    ...options
  }).then(use)
}

const posts = (e: CloudFrontEmulator) => e.requests.filter((r) => r.method === 'POST')

describe('cloudfront end to end', () => {
  it('purge: one signed CreateInvalidation with every changed path encoded as CloudFront matches it, polled to Completed', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(0)
    expect(posts(e)).toHaveLength(1)
    const [inv] = [...e.invalidations.values()]
    expect(inv.distribution).toBe(DIST)
    expect([...inv.paths].sort()).toEqual([
      '/',
      '/about%20us.html',
      '/caf%C3%A9/men%C3%BC.html',
      '/img/logo.png',
      '/index.html',
      '/js/new-name.js',
      '/js/old-name.js'
    ])
    expect(inv.callerReference).toMatch(/^run-1-1-[0-9a-f]{12}-[0-9a-f]{40}$/)
    expect(e.requests.filter((q) => q.method === 'GET' && q.path.endsWith(`/invalidation/${inv.id}`)).length).toBeGreaterThanOrEqual(1)
    expect(r.outputs['success-rate']).toBe('100')
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([inv.id])
    expect(r.report.items.every((i: { state: string }) => i.state === 'success')).toBe(true)
    expect(r.summary).toMatch(/^## ✅ CDN purge passed/)
  })

  it.each(['prefetch', 'purge-prefetch'])('mode %s: an input error naming cloudfront, exit 1, nothing sent', async (mode) => {
    const e = await start()
    const r = await runPush({ mode })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'mode': cloudfront has no prefetch API; use mode: purge/)
    expect(e.requests).toHaveLength(0)
  })

  it('two hosts in two distributions (host=id lines): one invalidation in each', async () => {
    const e = await start()
    const r = await runUrls('https://a.example.com/x.js\nhttps://b.example.com/y.css\nhttps://b.example.com/img/', {
      'distribution-id': `a.example.com=${DIST}\nb.example.com=${DIST_B}`
    })
    expect(r.code).toBe(0)
    const invs = [...e.invalidations.values()].map((i) => [i.distribution, i.paths])
    expect(invs).toEqual(
      expect.arrayContaining([
        [DIST, ['/x.js']],
        [DIST_B, ['/y.css']],
        [DIST_B, ['/img/*']]
      ])
    )
    expect(invs).toHaveLength(3)
    expect(r.outputs['success-rate']).toBe('100')
  })

  it('a host with no distribution: an input error naming distribution-id and the host, before any request', async () => {
    const e = await start()
    const r = await runUrls('https://a.example.com/x.js\nhttps://c.example.com/z.js', { 'distribution-id': `a.example.com=${DIST}` })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/::error::Input 'distribution-id': no distribution for c\.example\.com/)
    expect(e.requests).toHaveLength(0)
  })

  it('a URL CloudFront cannot take (ending in *, a path over 4,000 characters): an input error naming urls, before any request, in a dry run too', async () => {
    const e = await start()
    const star = await runUrls('https://a.example.com/ok.js\nhttps://a.example.com/star*')
    expect(star.code).toBe(1)
    expect(star.stdout).toMatch(/::error::Input 'urls': cloudfront cannot take https:\/\/a\.example\.com\/star\*: ends with \*/)
    const long = await runUrls(`https://a.example.com/${'a'.repeat(4000)}`, { 'dry-run': 'true' })
    expect(long.code).toBe(1)
    expect(long.stdout).toMatch(/::error::Input 'urls': cloudfront cannot take .*4001 characters, more than CloudFront's 4000/)
    expect(e.requests).toHaveLength(0)
  })

  it('dir-threshold: a directory goes as /dir/* in its own invalidation', async () => {
    const e = await start()
    const r = await runPush({ mode: 'purge', 'dir-threshold': '2' })
    expect(r.code).toBe(0)
    const paths = [...e.invalidations.values()].flatMap((i) => i.paths)
    expect(paths).toContain('/js/*')
    expect(paths).not.toContain('/js/new-name.js')
    expect([...e.invalidations.values()].every((i) => i.paths.every((p) => p.endsWith('*')) || i.paths.every((p) => !p.endsWith('*')))).toBe(true)
  })

  it('a lost answer: the create is sent again with the same CallerReference and CloudFront returns the same invalidation', async () => {
    const e = await start()
    e.injectFaults([{ kind: 'reset-after-action' }])
    const r = await runUrls('https://www.example.com/a.js\nhttps://www.example.com/b.js')
    expect(r.code).toBe(0)
    expect(posts(e)).toHaveLength(2)
    expect(posts(e)[1].body).toBe(posts(e)[0].body)
    expect(e.invalidations.size).toBe(1)
    expect(e.creates()).toBe(2)
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([...e.invalidations.keys()])
  })

  it('credentials from AWS_* when the inputs are empty (as configure-aws-credentials sets them): the session token is sent and masked', async () => {
    const token = 'e2e-aws-session-token-Xq9'
    const e = await start({ tokens: { [ACCESS_KEY]: token } })
    const r = await runPush(
      { mode: 'purge', 'access-key': '', 'secret-key': '' },
      { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: token }
    )
    expect(r.code).toBe(0)
    expect(e.requests.every((q) => q.headers['x-amz-security-token'] === token)).toBe(true)
    expect(r.stdout).toContain(`::add-mask::${SECRET_KEY}`)
    expect(r.stdout).toContain(`::add-mask::${token}`)
    for (const secret of [SECRET_KEY, token]) expect(visibleOf(r)).not.toContain(secret)
  })

  it('a wrong secret: exit 1, the error names secret-key, and neither the secret nor a signature leaks', async () => {
    const e = await start({ keys: { [ACCESS_KEY]: 'the-real-aws-secret' } })
    const r = await runPush({ mode: 'purge' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/AWS rejected the signature \(SignatureDoesNotMatch.*check access-key and secret-key/)
    const signatures = e.requests.map((q) => String(q.headers.authorization).slice(-64))
    expect(signatures.length).toBeGreaterThan(0)
    for (const secret of [SECRET_KEY, 'the-real-aws-secret', ...signatures]) expect(visibleOf(r)).not.toContain(secret)
  })

  it('TooManyInvalidationsInProgress for the whole run: it waits, and the timeout ends the wait (exit 1, naming the timeout)', async () => {
    const e = await start({ caps: { wildcards: 0 } })
    const r = await runUrls('https://www.example.com/img/', { timeout: '3' })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/too many invalidations in progress \(0 invalidations in progress among the newest listed, 0 of them this run's\); waiting 30 s/)
    expect(r.stdout).toMatch(/timeout/)
    expect(r.report.items).toEqual([expect.objectContaining({ url: 'https://www.example.com/img/', state: 'timeout' })])
    expect(e.errorCounts().TooManyInvalidationsInProgress).toBeGreaterThanOrEqual(1)
    expect(e.invalidations.size).toBe(0)
  }, 30_000)

  it('wait: false with 16 directories: the second invalidation still waits for room under the 15-wildcard cap; the last is not polled', async () => {
    const e = await start()
    const dirs = Array.from({ length: 16 }, (_, i) => `https://www.example.com/d${i}/`).join('\n')
    const r = await runUrls(dirs, { wait: 'false' })
    expect(r.code).toBe(0)
    const invs = [...e.invalidations.values()]
    expect(invs.map((i) => i.paths.length)).toEqual([15, 1])
    expect(r.stdout).toMatch(/15 wildcard paths of this run in progress; waiting for them to complete before sending 1 more path/)
    const gets = e.requests.filter((q) => q.method === 'GET').map((q) => q.path)
    expect(gets.length).toBeGreaterThanOrEqual(1)
    expect(gets.every((p) => p.endsWith(`/invalidation/${invs[0].id}`))).toBe(true)
    expect(r.report.items.map((i: { state: string }) => i.state)).toEqual(Array(16).fill('submitted'))
    expect(e.errorCounts()).toEqual({})
  }, 60_000)

  it('an invalidation that never completes: its items time out', async () => {
    await start({ stallPaths: ['/slow.js'] })
    const r = await runUrls('https://www.example.com/slow.js', { timeout: '2' })
    expect(r.code).toBe(1)
    expect(r.report.items).toEqual([expect.objectContaining({ state: 'timeout' })])
    expect(r.report.items[0].message).toMatch(/InProgress/)
  }, 30_000)

  it('another account’s distribution: the error names the distribution and the host', async () => {
    await start({ distributions: { [DIST]: 'AKIASOMEONEELSE' } })
    const r = await runUrls('https://www.example.com/a.js')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/distribution EDFDVBD6EXAMPLE \(host www\.example\.com\) does not exist or these credentials cannot reach it/)
  })
})
