import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'
import { startServer } from '../../emulators/server.js'
import { createTransport } from '../../src/http/transport.js'
import { ProviderError, type CdnProvider, type Task } from '../../src/providers/provider.js'
import { readerOf } from './reader.js'
import { type ZtgameSettings, ztgame } from '../../src/providers/ztgame.js'
import { InputError } from '../../src/errors.js'

const noCreds: ZtgameSettings = { token: '', username: '', password: '' }

let emulator: ZtgameEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

function client(creds: Partial<ZtgameSettings>, masked: string[] = [], endpoint = emulator!.url): CdnProvider {
  return ztgame.create(
    {
      endpoint,
      request: transport.request,
      mask: (s) => masked.push(s),
      log: () => {},
      now: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms))
    },
    { ...noCreds, ...creds }
  )
}

async function waitFinal(p: CdnProvider, task: Task) {
  for (;;) {
    const s = await p.status([task])
    if (s.every((x) => x.state !== 'pending')) return s
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('ztgame provider against its emulator', () => {
  it('purges URLs with X-Auth-Token and polls the task to SUCCESS', async () => {
    emulator = await startZtgameEmulator({ completeAfterMs: 50 })
    const p = client({ token: 'test-token' })
    const urls = ['http://a.example.com/x.js', 'http://a.example.com/y.js']
    const task = await p.submit({ op: 'purge', host: 'a.example.com', items: urls.map((url) => ({ kind: 'url', url })) })
    const sent = emulator.requests[0]
    expect(sent.path).toBe('/cdn_api/purge')
    expect(sent.headers['x-auth-token']).toBe('test-token')
    expect(JSON.parse(sent.body)).toEqual({ urls })
    expect((await p.status([task])).map((s) => s.state)).toEqual(['pending', 'pending'])
    const final = await waitFinal(p, task)
    expect(final).toEqual(urls.map((url) => ({ taskId: task.id, url, state: 'success', detail: 'SUCCESS' })))
  })

  it('sends directories as dirs and prefetches to /cdn_api/prefetch', async () => {
    emulator = await startZtgameEmulator()
    const p = client({ token: 'test-token' })
    await p.submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'dir', url: 'http://a.example.com/img/' }] })
    await p.submit({ op: 'prefetch', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/a.png' }] })
    expect(JSON.parse(emulator.requests[0].body)).toEqual({ dirs: ['http://a.example.com/img/'] })
    expect(emulator.requests[1].path).toBe('/cdn_api/prefetch')
    expect([...emulator.tasks.values()].map((t) => t.type)).toEqual(['1', '2'])
  })

  it('compares status words case-insensitively and maps FAILURE', async () => {
    emulator = await startZtgameEmulator({ statusCase: 'lower', completeAfterMs: 0, failUrls: ['http://a.example.com/bad'] })
    const p = client({ token: 'test-token' })
    const ok = await p.submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/good' }] })
    const bad = await p.submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/bad' }] })
    expect((await p.status([ok]))[0]).toMatchObject({ state: 'success', detail: 'success' })
    expect((await p.status([bad]))[0]).toMatchObject({ state: 'failure', detail: 'failure' })
  })

  it('turns a wrong token into a ProviderError naming the token input, without the token', async () => {
    emulator = await startZtgameEmulator()
    const p = client({ token: 'wrong-secret-token' })
    const err = await p.submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/x' }] }).catch((e) => e)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toMatch(/token input/)
    expect(err.message).not.toContain('wrong-secret-token')
  })

  it('reports the emulator refusing more than one host or more than 10 items', async () => {
    emulator = await startZtgameEmulator()
    const p = client({ token: 'test-token' })
    const twoHosts = await p
      .submit({
        op: 'purge',
        host: '',
        items: [
          { kind: 'url', url: 'http://a.example.com/x' },
          { kind: 'url', url: 'http://b.example.com/x' }
        ]
      })
      .catch((e) => e)
    expect(twoHosts.message).toMatch(/single host name/)
    const eleven = Array.from({ length: 11 }, (_, i) => ({ kind: 'url' as const, url: `http://a.example.com/${i}` }))
    const tooMany = await p.submit({ op: 'purge', host: 'a.example.com', items: eleven }).catch((e) => e)
    expect(tooMany).toBeInstanceOf(ProviderError)
    expect(emulator.tasks.size).toBe(0)
  })

  it('reports a host outside the project with the provider message', async () => {
    emulator = await startZtgameEmulator({ hosts: ['a.example.com'] })
    const p = client({ token: 'test-token' })
    const err = await p.submit({ op: 'purge', host: 'c.example.com', items: [{ kind: 'url', url: 'http://c.example.com/x' }] }).catch((e) => e)
    expect(err.message).toContain('c.example.com is not yours or not ready')
    expect(err.message).toMatch(/^ztgame purge of 1 URL on c\.example\.com failed/)
    const dirs = [{ kind: 'dir' as const, url: 'http://c.example.com/a/' }]
    expect((await p.submit({ op: 'purge', host: 'c.example.com', items: dirs }).catch((e) => e)).message).toMatch(/^ztgame purge of 1 directory on/)
    const two = [...dirs, { kind: 'dir' as const, url: 'http://c.example.com/b/' }]
    expect((await p.submit({ op: 'purge', host: 'c.example.com', items: two }).catch((e) => e)).message).toMatch(/^ztgame purge of 2 directories on/)
  })

  it('obtains a token with username/password and masks it', async () => {
    emulator = await startZtgameEmulator({ tokens: ['issued-token'], users: { alice: 'pw' } })
    const masked: string[] = []
    const p = client({ username: 'alice', password: 'pw' }, masked)
    await p.prepare!()
    expect(masked).toEqual(['issued-token'])
    await p.submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/x' }] })
    expect(emulator.requests[1].headers['x-auth-token']).toBe('issued-token')
  })

  it.each([
    ['one character', 'e', /a token that is too short \(1 character, fewer than 8\)/],
    ['1 MB', 'x'.repeat(1024 * 1024), /a token that is too long \(1048576 characters, more than 4096\)/],
    ['white space', 'abcd efgh ijkl', /a token that holds white space/],
    ['a line break and a command', 'abcdefgh\n::error::PWN', /a token that holds white space/],
    ['a control character', 'abcdefgh\x1b[31m', /a token that holds characters that are not printable ASCII/],
    ['a zero-width space', 'abcdefgh\u200bijk', /a token that holds characters that are not printable ASCII/]
  ])('refuses an issued token of %s: nothing masked or quoted', async (_, token, message) => {
    // A hand-made server: the token in the body only (a header could not carry most of these).
    const server = await startServer(() => ({ status: 200, body: { access: { token: { id: token } } } }))
    try {
      const masked: string[] = []
      const p = client({ username: 'alice', password: 'pw' }, masked, server.url)
      const err = await p.prepare!().catch((e) => e)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).toMatch(message)
      expect(err.message).toMatch(/check the endpoint input/)
      expect(err.message.length).toBeLessThan(300)
      if (token.length > 1) expect(err.message).not.toContain(token.slice(0, 8))
      expect(masked).toEqual([])
      expect(server.requests.map((r) => r.path)).toEqual(['/cdn_api/tokens'])
    } finally {
      await server.close()
    }
  })

  it('refuses a one-character token given as X-Subject-Token too', async () => {
    emulator = await startZtgameEmulator({ tokens: ['e'], users: { alice: 'pw' } })
    const masked: string[] = []
    const err = await client({ username: 'alice', password: 'pw' }, masked).prepare!().catch((e) => e)
    expect(err.message).toMatch(/a token that is too short \(1 character, fewer than 8\)/)
    expect(masked).toEqual([])
  })

  it('accepts an issued token of 8 and of 4096 printable characters', async () => {
    for (const token of ['a-b_c.d~', 'T'.repeat(4096)]) {
      emulator = await startZtgameEmulator({ tokens: [token], users: { alice: 'pw' } })
      const masked: string[] = []
      await client({ username: 'alice', password: 'pw' }, masked).prepare!()
      expect(masked).toEqual([token])
      await emulator.close()
      emulator = null
    }
  })

  it('fails the token request clearly on a wrong password', async () => {
    emulator = await startZtgameEmulator({ users: { alice: 'pw' } })
    const err = await client({ username: 'alice', password: 'nope' }).prepare!().catch((e) => e)
    expect(err.message).toMatch(/username and password inputs/)
    expect(err.message).not.toContain('nope')
  })

  it.each(['zt_api', 'flat'] as const)('accepts the %s answer shape of a submit', async (answerShape) => {
    emulator = await startZtgameEmulator({ answerShape, completeAfterMs: 0 })
    const p = client({ token: 'test-token' })
    const task = await p.submit({ op: 'prefetch', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/a.png' }] })
    expect(task.id).toBe([...emulator.tasks.keys()][0])
    expect(emulator.requests[0].headers['content-type']).toBe('application/json')
    expect((await p.status([task]))[0].state).toBe('success')
  })

  it.each([
    [{ reqId: 'r1', successRate: 100 }, null],
    [{ zt_api: { ret: 0, reqId: 'r2', msg: 'OK' } }, null],
    [{ zt_api: { ret: 3, msg: 'busy' } }, /failed: ret 3: busy/],
    [{ reqId: 'r3', successRate: 50 }, /failed: successRate 50/],
    [{ successRate: 0, error: 'sp refused' }, /failed: sp refused/],
    [{ msg: 'OK' }, /neither zt_api.reqId nor reqId/]
  ])('reads the submit answer %j', async (answer, error) => {
    emulator = await startZtgameEmulator()
    emulator.injectFaults([{ status: 200, body: JSON.stringify(answer), headers: { 'Content-Type': 'application/json' } }])
    const got = await client({ token: 'test-token' })
      .submit({ op: 'purge', host: 'a.example.com', items: [{ kind: 'url', url: 'http://a.example.com/a' }] })
      .catch((x) => x)
    if (error === null) expect(got.id).toMatch(/^r[12]$/)
    else {
      expect(got).toBeInstanceOf(ProviderError)
      expect(got.message).toMatch(error)
    }
  })

  it('the emulator answers a submit without Content-Type: application/json as the server does: HTTP 500', async () => {
    emulator = await startZtgameEmulator()
    const post = (headers: Record<string, string>) =>
      transport.request({
        method: 'POST',
        url: `${emulator!.url}/cdn_api/purge`,
        headers: { 'X-Auth-Token': 'test-token', ...headers },
        body: '{"urls": ["http://a.example.com/a"]}'
      })
    for (const contentType of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
      const res = await post(contentType === undefined ? {} : { 'Content-Type': contentType })
      expect(res.status).toBe(500)
      expect(res.text).toMatch(/500 Internal Server Error/)
    }
    expect((await post({ 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(200)
    expect(emulator.tasks.size).toBe(1)
  })

  it('counts an unknown task id as failed', async () => {
    emulator = await startZtgameEmulator()
    const p = client({ token: 'test-token' })
    const s = await p.status([{ id: 'missing', op: 'purge', items: [{ kind: 'url', url: 'http://a.example.com/x' }], submittedAt: 0 }])
    expect(s[0]).toMatchObject({ state: 'failure', detail: 'task id can not found' })
  })
})

describe('ztgame credentials check', () => {
  it.each([
    [{}, 'token'],
    [{ username: 'u' }, 'password'],
    [{ password: 'p' }, 'username']
  ])('%j is an InputError on %s', (creds, input) => {
    let caught: unknown
    try {
      ztgame.readSettings(readerOf({ ...creds }))
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(InputError)
    expect((caught as InputError).input).toBe(input)
  })
  it('accepts a token alone', () => {
    expect(() => ztgame.readSettings(readerOf({ token: 't' }))).not.toThrow()
  })
})
