/** Security behaviour of dist/index.js as the runner runs it (ztgame emulator). */
import { afterEach, describe, expect, it } from '@jest/globals'
import { runAction, type ActionRun } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'

let emulator: ZtgameEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
})

/** Every place a secret could leak to, except the ::add-mask:: commands that hide it. */
function everything(r: ActionRun): string {
  const stdout = r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
  return [stdout, r.stderr, JSON.stringify(r.outputs), r.summary, JSON.stringify(r.report)].join('\n')
}

const forms = (secret: string) => [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)]

describe('secrets', () => {
  it('never shows the token or password, in debug mode, with failures everywhere', async () => {
    const token = 'tok-Zq81-secret'
    const password = 'pw-9931-secret'
    emulator = await startZtgameEmulator({
      tokens: [token],
      users: { deploy: password },
      hosts: ['www.example.com'],
      failUrls: ['https://www.example.com/b'],
      completeAfterMs: 50
    })
    // the token request meets a 500 first (retried: asking for a token twice is safe)
    emulator.injectFaults([{ status: 500, body: '{"error":"boom"}' }])
    const r = await runAction({
      inputs: {
        provider: 'ztgame',
        endpoint: emulator.url,
        username: 'deploy',
        password,
        urls: 'https://www.example.com/a\nhttps://other.example.com/b\nhttps://www.example.com/b',
        'poll-interval': '0.1',
        'min-success-rate': '100'
      },
      eventName: 'workflow_dispatch',
      env: { RUNNER_DEBUG: '1' }
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('::add-mask::' + password)
    expect(r.stdout).toContain('::add-mask::' + token)
    const all = everything(r)
    for (const secret of [token, password]) for (const form of forms(secret)) expect(all).not.toContain(form)
  })
})

describe('pull_request_target from a fork', () => {
  const event = {
    action: 'opened',
    number: 7,
    pull_request: {
      number: 7,
      head: { sha: 'a'.repeat(40), repo: { full_name: 'mallory/site' } },
      base: { sha: 'b'.repeat(40), repo: { full_name: 'octo/site' } }
    },
    repository: { full_name: 'octo/site', default_branch: 'main' }
  }
  it('refuses to send credentials, explaining why, with zero requests', async () => {
    emulator = await startZtgameEmulator({ tokens: ['t'] })
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: emulator.url, token: 't', urls: 'https://www.example.com/a' },
      eventName: 'pull_request_target',
      event
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/Refusing to send CDN credentials: .*fork mallory\/site.*allow-fork-credentials: true/)
    expect(emulator.requests).toHaveLength(0)
  })
  it('goes ahead when the user opts in', async () => {
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    const r = await runAction({
      inputs: {
        provider: 'ztgame',
        endpoint: emulator.url,
        token: 't',
        urls: 'https://www.example.com/a',
        'allow-fork-credentials': 'true',
        'poll-interval': '0.1'
      },
      eventName: 'pull_request_target',
      event
    })
    expect(r.code).toBe(0)
    expect(emulator.requests.length).toBeGreaterThan(0)
  })
})

describe('other runs that hold secrets for a fork', () => {
  it.each([
    [
      'pull_request_target whose fork was deleted (head.repo null)',
      'pull_request_target',
      {
        action: 'opened',
        number: 7,
        pull_request: { number: 7, head: { sha: 'a'.repeat(40), repo: null }, base: { sha: 'b'.repeat(40), repo: { full_name: 'octo/site' } } },
        repository: { full_name: 'octo/site', default_branch: 'main' }
      },
      /fork \(deleted repository\)/
    ],
    [
      "workflow_run started by a fork's pull request",
      'workflow_run',
      {
        action: 'completed',
        workflow_run: {
          event: 'pull_request',
          head_sha: 'a'.repeat(40),
          head_repository: { full_name: 'mallory/site' },
          repository: { full_name: 'octo/site' }
        },
        repository: { full_name: 'octo/site', default_branch: 'main' }
      },
      /workflow_run run was started by a pull_request run from the fork mallory\/site/
    ]
  ])('%s: refuses to send credentials, with zero requests', async (_, eventName, event, detail) => {
    emulator = await startZtgameEmulator({ tokens: ['t'] })
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: emulator.url, token: 't', urls: 'https://www.example.com/a' },
      eventName,
      event
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/Refusing to send CDN credentials: /)
    expect(r.stdout).toMatch(detail)
    expect(emulator.requests).toHaveLength(0)
  })
})

describe('file names are data', () => {
  it('a changed file named with a workflow command, $(id) or a leading - produces no command and runs nothing', async () => {
    emulator = await startZtgameEmulator({ tokens: ['t'], completeAfterMs: 0 })
    const files = ['public/x\n::set-output name=pwned::1', 'public/$(id).html', 'public/;id', 'public/-rf'].join('\n')
    const r = await runAction({
      inputs: {
        provider: 'ztgame',
        endpoint: emulator.url,
        token: 't',
        files,
        rules: "- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://www.example.com/{path}'\n",
        'poll-interval': '0.1'
      },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(0)
    expect(r.stdout).not.toMatch(/^::set-output/m)
    expect(r.outputs.pwned).toBeUndefined()
    const sent = emulator.requests.filter((q) => q.path === '/cdn_api/purge').flatMap((q) => JSON.parse(q.body).urls)
    expect(sent.sort()).toEqual(
      ['https://www.example.com/x', 'https://www.example.com/$(id).html', 'https://www.example.com/-rf', 'https://www.example.com/;id'].sort()
    )
  })
})

describe('secrets on every provider, in debug mode, with failures', () => {
  /** Every credential-derived value the emulator saw: auth headers, their decoded parts, signatures. */
  function derived(requests: { headers: Record<string, unknown>; body: string }[]): string[] {
    const out: string[] = []
    for (const r of requests) {
      const auth = r.headers['authorization']
      if (typeof auth === 'string') {
        out.push(auth)
        const basic = /^Basic (.+)$/.exec(auth)
        if (basic) out.push(basic[1], Buffer.from(basic[1], 'base64').toString().split(':')[1])
        const sig = /Signature=([0-9a-f]+)/.exec(auth)
        if (sig) out.push(sig[1])
      }
      try {
        const sig = JSON.parse(r.body)?.Signature
        if (typeof sig === 'string') out.push(sig)
      } catch {
        // a form body (aliyun RPC): Signature is a parameter
        const sig = new URLSearchParams(r.body).get('Signature')
        if (sig) out.push(sig)
      }
    }
    return out.filter((s) => s.length >= 8)
  }

  const cases: {
    provider: string
    secrets: string[]
    start: () => Promise<any>
    good: Record<string, string>
    bad: Record<string, string>
    /** More inputs for both runs (cloudfront has no failed state: a stalled path and a short timeout fail the good run). */
    extra?: Record<string, string>
  }[] = [
    {
      provider: 'cdnetworks',
      secrets: ['cdn-api-key-77Zq', 'cdn-secret-key-88Qz'],
      start: async () => {
        const { startCdnetworksEmulator } = await import('../../emulators/cdnetworks.js')
        return startCdnetworksEmulator({
          users: { acct: 'cdn-api-key-77Zq' },
          completeAfterMs: 0,
          prefetchCompleteAfterMs: 0,
          failUrls: ['https://www.example.com/b']
        })
      },
      good: { username: 'acct', 'api-key': 'cdn-api-key-77Zq' },
      bad: { 'access-key': 'AK1', 'secret-key': 'cdn-secret-key-88Qz' }
    },
    {
      provider: 'ucloud',
      secrets: ['ucloud-private-99Xy'],
      start: async () => {
        const { startUcloudEmulator } = await import('../../emulators/ucloud.js')
        return startUcloudEmulator({ keys: { pub1: 'ucloud-private-99Xy' }, completeAfterMs: 0, failUrls: ['https://www.example.com/b'] })
      },
      good: { 'public-key': 'pub1', 'private-key': 'ucloud-private-99Xy' },
      bad: { 'public-key': 'pub1', 'private-key': 'ucloud-private-99Xy-wrong' }
    },
    {
      provider: 'aliyun',
      secrets: ['aliyun-secret-55Kw', 'aliyun-sts-token-66Jv'],
      start: async () => {
        const { startAliyunEmulator } = await import('../../emulators/aliyun.js')
        return startAliyunEmulator({
          keys: { LTAIid1: 'aliyun-secret-55Kw' },
          securityTokens: { LTAIid1: 'aliyun-sts-token-66Jv' },
          completeAfterMs: 0,
          failUrls: ['https://www.example.com/b']
        })
      },
      good: { 'access-key': 'LTAIid1', 'secret-key': 'aliyun-secret-55Kw', 'session-token': 'aliyun-sts-token-66Jv' },
      bad: { 'access-key': 'LTAIid1', 'secret-key': 'aliyun-secret-55Kw-wrong', 'session-token': 'aliyun-sts-token-66Jv' }
    },
    {
      provider: 'tencentcloud',
      secrets: ['tencent-secret-44Hm', 'tencent-session-token-33Gx'],
      start: async () => {
        const { startTencentEmulator } = await import('../../emulators/tencentcloud.js')
        return startTencentEmulator({
          keys: { AKIDid1: 'tencent-secret-44Hm' },
          tokens: { AKIDid1: 'tencent-session-token-33Gx' },
          completeAfterMs: 0,
          failUrls: ['https://www.example.com/b']
        })
      },
      good: { 'access-key': 'AKIDid1', 'secret-key': 'tencent-secret-44Hm', 'session-token': 'tencent-session-token-33Gx' },
      bad: { 'access-key': 'AKIDid1', 'secret-key': 'tencent-secret-44Hm-wrong', 'session-token': 'tencent-session-token-33Gx' }
    },
    {
      // The Authorization header (Bearer + token) is among the derived values checked.
      provider: 'cloudflare',
      secrets: ['CloudflareSecretToken_77Pq-0123456789abcd', 'CloudflareWrongToken_88Rs-0123456789abcde'],
      start: async () => {
        const { startCloudflareEmulator } = await import('../../emulators/cloudflare.js')
        return startCloudflareEmulator({
          tokens: { 'CloudflareSecretToken_77Pq-0123456789abcd': ['023e105f4ecef8ad9ca31a8372d0c353'] },
          failUrls: ['https://www.example.com/b']
        })
      },
      good: { token: 'CloudflareSecretToken_77Pq-0123456789abcd', 'zone-id': '023e105f4ecef8ad9ca31a8372d0c353' },
      bad: { token: 'CloudflareWrongToken_88Rs-0123456789abcde', 'zone-id': '023e105f4ecef8ad9ca31a8372d0c353' }
    },
    {
      provider: 'cloudfront',
      secrets: ['aws-secret-22Np/key+x', 'aws-session-token-11Rt'],
      start: async () => {
        const { startCloudFrontEmulator } = await import('../../emulators/cloudfront.js')
        return startCloudFrontEmulator({
          keys: { AKIAID1: 'aws-secret-22Np/key+x' },
          tokens: { AKIAID1: 'aws-session-token-11Rt' },
          distributions: { EDFDVBD6EXAMPLE: 'AKIAID1' },
          completeAfterMs: 0,
          stallPaths: ['/b']
        })
      },
      good: { 'access-key': 'AKIAID1', 'secret-key': 'aws-secret-22Np/key+x', 'session-token': 'aws-session-token-11Rt', 'distribution-id': 'EDFDVBD6EXAMPLE' },
      bad: {
        'access-key': 'AKIAID1',
        'secret-key': 'aws-secret-22Np/key+x-wrong',
        'session-token': 'aws-session-token-11Rt',
        'distribution-id': 'EDFDVBD6EXAMPLE'
      },
      extra: { timeout: '3' }
    }
  ]

  it.each(cases)(
    '$provider: no secret or derived credential reaches the log, outputs, summary or report',
    async ({ provider, secrets, start, good, bad, extra }) => {
      const e = await start()
      try {
        const urls = 'https://www.example.com/a\nhttps://www.example.com/b\nhttps://www.example.com/c/'
        for (const creds of [good, bad]) {
          const before = e.requests.length
          const r = await runAction({
            inputs: { provider, endpoint: e.url, ...creds, urls, mode: 'purge', 'poll-interval': '0.1', 'min-success-rate': '100', ...extra },
            eventName: 'workflow_dispatch',
            env: { RUNNER_DEBUG: '1' }
          })
          expect(r.code).toBe(1)
          const seen = derived(e.requests.slice(before) as any)
          expect(seen.length).toBeGreaterThan(0)
          const all = everything(r)
          for (const secret of [...secrets, ...seen]) for (const form of forms(secret)) expect(all).not.toContain(form)
        }
      } finally {
        await e.close()
      }
    }
  )
})
