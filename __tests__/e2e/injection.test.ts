/**
 * Strings from outside (a provider's answers, the event payload, data-carrying inputs) run
 * through dist/index.js as the runner runs it: no line of the log is a workflow command the
 * action did not mean to write, long values are cut, secrets echoed by a provider reach
 * neither the report nor the summary nor an output.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { runAction, type ActionRun } from '../../emulators/runner.js'
import { jsonBody, startServer, type EmulatorResponse, type RunningEmulator } from '../../emulators/server.js'

let server: RunningEmulator | null = null
afterEach(async () => {
  await server?.close()
  server = null
})

/** The commands the action writes itself, each at the very start of its line. */
const OWN = /^::(add-mask|group|endgroup|debug|notice|warning|error)( title=[^:]*)?::/

/**
 * What actions/runner would read as a command in one line (ActionCommand.cs: `::name` after
 * leading white space, or `##[name` anywhere), by name; null when none.
 */
function commandIn(line: string): string | null {
  const v2 = /^\s*::([^:\s]+)[^:]*::/.exec(line)
  if (v2) return v2[1]
  const legacy = /##\[([^\]\s]+)[^\]]*\]/.exec(line)
  return legacy ? legacy[1] : null
}

/** Every stdout line the runner would read as a command is one the action wrote on purpose. */
function expectNoInjectedCommand(r: ActionRun, secrets: string[] = []): void {
  for (const line of r.stdout.split(/\r\n|\r|\n/)) {
    if (commandIn(line) === null) continue
    expect(line).toMatch(OWN)
    expect(line).not.toContain('##[')
    if (line.startsWith('::add-mask::')) expect(secrets).toContain(line.slice('::add-mask::'.length))
  }
  expect(r.stdout).not.toMatch(/^\s*::(error|warning|add-mask|stop-commands|set-output)::PWN/m)
}

/** A ztgame-shaped server whose answers carry `hostile` text where the test puts it. */
async function hostileZtgame(answers: { reqId?: () => string; status?: () => string; submit?: () => EmulatorResponse }): Promise<RunningEmulator> {
  return startServer((req) => {
    if (req.method === 'POST' && req.path === '/cdn_api/purge') {
      if (answers.submit) return answers.submit()
      const urls = (jsonBody(req) as { urls: string[] }).urls
      return { status: 200, body: { zt_api: { ret: 0, msg: 'OK', reqId: answers.reqId?.() ?? `task-${urls.length}` } } }
    }
    if (req.method === 'GET' && req.path.startsWith('/cdn_api/req_status/'))
      return { status: 200, body: { task: { taskStatus: answers.status?.() ?? 'SUCCESS' } } }
    return { status: 404, body: { error: 'not found' } }
  })
}

const ztgameRun = (url: string, extra: Record<string, string> = {}) =>
  runAction({
    inputs: { provider: 'ztgame', endpoint: url, token: 'tok-Zq81-secret', urls: 'https://www.example.com/a', 'poll-interval': '0.1', ...extra },
    eventName: 'workflow_dispatch'
  })

describe('a provider answer is data', () => {
  it('a task id holding a newline and a command is refused as malformed, shown escaped', async () => {
    server = await hostileZtgame({ reqId: () => 'x\n::error::PWN' })
    const r = await ztgameRun(server.url)
    expect(r.code).toBe(1)
    expectNoInjectedCommand(r, ['tok-Zq81-secret'])
    expect(r.stdout).toContain("the answer's task id is malformed (it holds control characters): x\\n::error::PWN")
    expect(r.report.items[0]).toMatchObject({ state: 'submit-failed', taskId: null })
    expect(r.report.items[0].message).toContain('x\\n::error::PWN')
    expect(r.summary).not.toMatch(/^::error::PWN/m)
    // no status call was made for an id the run cannot use
    expect(server.requests.filter((q) => q.method === 'GET')).toHaveLength(0)
  }, 30_000)

  it('a task id with commands but no line break is used, and no log line reads as a command', async () => {
    const id = '::add-mask::PWN ##[stop-commands]tok ##[error]PWN'
    server = await hostileZtgame({ reqId: () => id })
    const r = await ztgameRun(server.url)
    expect(r.code).toBe(0)
    expectNoInjectedCommand(r, ['tok-Zq81-secret'])
    expect(r.stdout).toContain('purge: task ::add-mask::PWN ##\\[stop-commands]tok ##\\[error]PWN accepted 1 item')
    expect(JSON.parse(r.outputs['task-ids'])).toEqual([id])
    expect(r.report.taskIds).toEqual([id])
    expect(decodeURIComponent(server.requests.find((q) => q.method === 'GET')!.path)).toBe(`/cdn_api/req_status/${id}`)
  }, 30_000)

  it('a 1 MB task id is refused, and the log, summary and report stay small', async () => {
    server = await hostileZtgame({ reqId: () => 'i'.repeat(1024 * 1024) })
    const r = await ztgameRun(server.url)
    expect(r.code).toBe(1)
    expectNoInjectedCommand(r, ['tok-Zq81-secret'])
    expect(r.stdout).toMatch(/task id is malformed \(1048576 characters, more than 1024\): i{80}…\(1048576 characters\)/)
    // today: 53 MB of log
    expect(r.stdout.length).toBeLessThan(10_000)
    expect(r.summary.length).toBeLessThan(10_000)
    expect(JSON.stringify(r.report).length).toBeLessThan(10_000)
  }, 30_000)

  it('a 5 MB error body is cut in the log, the summary and the report', async () => {
    const body = 'E'.repeat(5 * 1024 * 1024)
    server = await hostileZtgame({ submit: () => ({ status: 400, body: { error: body } }) })
    const r = await ztgameRun(server.url)
    expect(r.code).toBe(1)
    expectNoInjectedCommand(r, ['tok-Zq81-secret'])
    expect(r.report.items[0].message).toMatch(/HTTP 400: E{300}…\(5242880 characters\)$/)
    // today: an 11 MB summary and report
    expect(r.stdout.length).toBeLessThan(10_000)
    expect(r.summary.length).toBeLessThan(10_000)
    expect(JSON.stringify(r.report).length).toBeLessThan(10_000)
  }, 30_000)

  it('a status word with line breaks, a heading, an image and a command is one escaped value everywhere', async () => {
    const word = 'RUN\n\n# heading\n\n![x](https://evil.example/x.png)\n::error::PWN ##[add-mask]PWN'
    server = await hostileZtgame({ status: () => word })
    // the word is not final: the items time out with it as their last status
    const r = await ztgameRun(server.url, { timeout: '1' })
    expect(r.code).toBe(1)
    expectNoInjectedCommand(r, ['tok-Zq81-secret'])
    expect(r.report.items[0].state).toBe('timeout')
    expect(r.report.items[0].message).toContain('RUN\\n\\n# heading\\n\\n![x](https://evil.example/x.png)\\n::error::PWN ##[add-mask]PWN')
    expect(r.summary).not.toMatch(/^# heading/m)
    expect(r.summary).not.toContain('![x](')
    expect(r.summary).toContain('RUN&#92;n&#92;n&#35; heading&#92;n&#92;n&#33;&#91;x&#93;&#40;https://evil.example/x.png&#41;')
  }, 30_000)

  it('a ztgame token of one character is refused: no add-mask line, no submit', async () => {
    server = await startServer((req) => {
      if (req.path === '/cdn_api/tokens') return { status: 200, body: { access: { token: { id: 'e' } } } }
      return { status: 200, body: { zt_api: { ret: 0, msg: 'OK', reqId: 'task-1' } } }
    })
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: server.url, username: 'alice', password: 'pw-secret', urls: 'https://www.example.com/a' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(1)
    expectNoInjectedCommand(r, ['pw-secret'])
    expect(r.stdout).not.toMatch(/^::add-mask::e$/m)
    expect(r.stdout).toContain('ztgame token request answered with a token that is too short (1 character, fewer than 8)')
    expect(server.requests.map((q) => q.path)).toEqual(['/cdn_api/tokens'])
  }, 30_000)
})

describe('inputs and the event payload are data', () => {
  it('an endpoint with a newline is refused, the value shown escaped', async () => {
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: 'http://127.0.0.1:9\n::error::PWN', token: 't-secret', urls: 'https://www.example.com/a' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(1)
    expectNoInjectedCommand(r, ['t-secret'])
    expect(r.stdout).toContain("Input 'endpoint': 'http://127.0.0.1:9\\n::error::PWN' is not an http(s) base URL")
  }, 30_000)

  it('a cdnetworks username with a command is logged as one escaped value', async () => {
    const { startCdnetworksEmulator } = await import('../../emulators/cdnetworks.js')
    const e = await startCdnetworksEmulator({ users: { acct: 'cdn-api-key-77Zq' }, completeAfterMs: 0 })
    server = e
    const username = 'acct\n::add-mask::PWN\n##[stop-commands]tok'
    const r = await runAction({
      inputs: { provider: 'cdnetworks', endpoint: e.url, username, 'api-key': 'cdn-api-key-77Zq', urls: 'https://www.example.com/a', 'poll-interval': '0.1' },
      eventName: 'workflow_dispatch'
    })
    // the emulator does not know this user; the point is what the log shows
    expect(r.stdout).toContain('cdnetworks: signing requests with the API key of user acct\\n::add-mask::PWN\\n##\\[stop-commands]tok')
    for (const line of r.stdout.split('\n')) {
      if (commandIn(line) === 'add-mask') expect(line).not.toContain('PWN')
      expect(commandIn(line)).not.toBe('stop-commands')
    }
  }, 30_000)

  it('a branch name from the event payload with a command is shown escaped in the log', async () => {
    server = await hostileZtgame({})
    const r = await runAction({
      inputs: { provider: 'ztgame', endpoint: server.url, token: 't-secret', rules: "- files: '**'\n  urls: 'https://www.example.com/{path}'\n" },
      eventName: 'push',
      event: {
        ref: 'refs/heads/x\n::error::PWN\n##[add-mask]PWN',
        before: '0'.repeat(40),
        after: 'a'.repeat(40),
        created: true,
        deleted: false,
        repository: { full_name: 'octo/site', default_branch: 'main' }
      }
    })
    expectNoInjectedCommand(r, ['t-secret'])
    expect(r.stdout).toContain('x\\n::error::PWN\\n##\\[add-mask]PWN')
  }, 30_000)
})

describe('secrets a provider echoes in an error body stay out of the report, summary and outputs', () => {
  /** Every place the runner does not mask. */
  const unmasked = (r: ActionRun) => [JSON.stringify(r.outputs), r.summary, JSON.stringify(r.report)].join('\n')
  const forms = (secret: string) => [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex'), encodeURIComponent(secret)]

  it('ztgame: a 403 that echoes the token', async () => {
    const token = 'tok-Zq81-secret'
    server = await hostileZtgame({
      submit: () => ({
        status: 403,
        body: { error: `token ${token} (${Buffer.from(token).toString('base64')}) may not purge www.example.com` }
      })
    })
    const r = await ztgameRun(server.url)
    expect(r.code).toBe(1)
    expect(r.report.items[0].message).toContain('token *** (***) may not purge www.example.com')
    for (const form of forms(token)) expect(unmasked(r)).not.toContain(form)
  }, 30_000)

  it('cdnetworks: an error that echoes the API key, the derived password and the Authorization header', async () => {
    const apiKey = 'cdn-api-key-77Zq'
    const seen: string[] = []
    server = await startServer((req) => {
      const auth = String(req.headers.authorization ?? '')
      const basic = auth.replace(/^Basic /, '')
      const password = Buffer.from(basic, 'base64').toString().split(':')[1] ?? ''
      seen.push(auth, basic, password)
      const key64 = Buffer.from(apiKey).toString('base64')
      return { status: 401, body: { Code: 0, Message: `bad credentials: ${auth} / ${password} / key ${apiKey} ${key64} ${encodeURIComponent(apiKey)}` } }
    })
    const r = await runAction({
      inputs: { provider: 'cdnetworks', endpoint: server.url, username: 'acct', 'api-key': apiKey, urls: 'https://www.example.com/a' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(1)
    expect(r.report.items[0].message).toContain('bad credentials')
    for (const secret of [apiKey, ...seen.filter((s) => s.length >= 8)]) for (const form of forms(secret)) expect(unmasked(r)).not.toContain(form)
  }, 30_000)

  it('ucloud: an error that echoes the private key and the request signature', async () => {
    const privateKey = 'ucloud-private-99Xy'
    const seen: string[] = []
    server = await startServer((req) => {
      const signature = String((jsonBody(req) as { Signature?: string })?.Signature ?? '')
      seen.push(signature)
      // encoded forms too, which the client's own scrubbing does not know
      const key64 = Buffer.from(privateKey).toString('base64')
      const keyHex = Buffer.from(privateKey).toString('hex')
      return { status: 200, body: { RetCode: 171, Message: `signature ${signature} does not match (${privateKey}; ${key64}; ${keyHex})` } }
    })
    const r = await runAction({
      inputs: { provider: 'ucloud', endpoint: server.url, 'public-key': 'pub1', 'private-key': privateKey, urls: 'https://www.example.com/a' },
      eventName: 'workflow_dispatch'
    })
    expect(r.code).toBe(1)
    expect(r.report.items[0].message).toMatch(/UCloud rejected the signature/)
    for (const secret of [privateKey, ...seen]) for (const form of forms(secret)) expect(unmasked(r)).not.toContain(form)
  }, 30_000)
})

describe('a secret echoed in any escaped form of a JSON body stays out of the report, summary and outputs', () => {
  const unmasked = (r: ActionRun) => [JSON.stringify(r.outputs), r.summary, JSON.stringify(r.report)].join('\n')
  /** The secret as a server may write it inside a JSON string (raw text, not re-encoded by the test server). */
  const forms = (secret: string) => [
    secret,
    secret.replace(/\//g, '\\/'),
    [...secret].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    Buffer.from(secret).toString('base64'),
    encodeURIComponent(secret)
  ]
  const echo = (secret: string) => `refused: ${forms(secret).join(' | ')}`

  it.each([
    // ztgame: a 403 whose JSON has no string `error` (the whole body is quoted)
    ['ztgame', 'token', 'tok/Zq81-secret', (json: string) => ({ status: 403, body: `{"detail":"${json}"}` })],
    // ucloud: a non-2xx from a gateway (the whole body is quoted)
    ['ucloud', 'private-key', 'ucloud/private-99Xy', (json: string) => ({ status: 403, body: `{"RetCode":403,"Message":"${json}"}` })],
    // cdnetworks: the documented refusal, HTTP 200 with Code 0 (its Message is quoted)
    ['cdnetworks', 'api-key', 'cdn-api/key-77Zq', (json: string) => ({ status: 200, body: `{"Code":0,"Message":"${json}"}` })]
  ])(
    '%s',
    async (provider, input, secret, answer) => {
      server = await startServer(() => answer(echo(secret)))
      const extra: Record<string, string> = provider === 'ucloud' ? { 'public-key': 'pub1' } : provider === 'cdnetworks' ? { username: 'acct' } : {}
      const r = await runAction({
        inputs: { provider, endpoint: server.url, [input]: secret, ...extra, urls: 'https://www.example.com/a' },
        eventName: 'workflow_dispatch'
      })
      expect(r.code).toBe(1)
      expect(r.report.items[0].message).toContain('refused: *** | *** | *** | *** | ***')
      for (const form of forms(secret)) expect(unmasked(r)).not.toContain(form)
    },
    30_000
  )
})

describe('plain HTTP', () => {
  it('warns when credentials go over plain HTTP to a host that is not loopback', async () => {
    server = await hostileZtgame({})
    const port = new URL(server.url).port
    // 0.0.0.0 reaches this machine on Linux but is not a loopback name: it stands for a remote host
    const remote = await ztgameRun(`http://0.0.0.0:${port}`)
    expect(remote.code).toBe(0)
    expect(remote.stdout).toMatch(/^::warning::endpoint http:\/\/0\.0\.0\.0:\d+ is plain HTTP: the credentials and every request go unencrypted/m)
    const local = await ztgameRun(server.url)
    expect(local.code).toBe(0)
    expect(local.stdout).not.toContain('plain HTTP')
  }, 30_000)
})
