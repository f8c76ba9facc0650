import { createHash } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { startUcloudEmulator, type UcloudEmulator, type UcloudEmulatorOptions } from '../../emulators/ucloud.js'
import { batchForProvider } from '../../src/engine/batch.js'
import { InputError } from '../../src/errors.js'
import { defaultSubmitOptions, submitBatches } from '../../src/engine/submit.js'
import { createTransport } from '../../src/http/transport.js'
import { ProviderError, type BatchItem, type CdnProvider, type Task } from '../../src/providers/provider.js'
import { readerOf } from './reader.js'
import { type UcloudSettings, signUcloudParams, ucloud, UCLOUD_MAX_ATTEMPTS } from '../../src/providers/ucloud.js'

const noCreds: UcloudSettings = { publicKey: '', privateKey: '', projectId: '' }
const keys = { publicKey: 'test-public-key', privateKey: 'test-private-key' }

let emulator: UcloudEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

async function start(options: UcloudEmulatorOptions = {}): Promise<UcloudEmulator> {
  emulator = await startUcloudEmulator(options)
  return emulator
}

interface Harness {
  p: CdnProvider
  masked: string[]
  logged: string[]
  slept: number[]
}

/** A client against the emulator; `sleep` is fake (records the pause, then runs `onSleep`). */
function client(creds: Partial<UcloudSettings> = keys, onSleep: (ms: number) => void = () => {}): Harness {
  const h: Harness = { p: null as unknown as CdnProvider, masked: [], logged: [], slept: [] }
  h.p = ucloud.create(
    {
      endpoint: emulator!.url,
      request: transport.request,
      mask: (s) => h.masked.push(s),
      log: (l) => h.logged.push(l),
      now: Date.now,
      sleep: async (ms) => {
        h.slept.push(ms)
        onSleep(ms)
      }
    },
    { ...noCreds, ...creds }
  )
  return h
}

const urls = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'url', url }))
const dirs = (...list: string[]): BatchItem[] => list.map((url) => ({ kind: 'dir', url }))

async function waitFinal(p: CdnProvider, tasks: Task[]) {
  for (;;) {
    const s = await p.status(tasks)
    if (s.every((x) => x.state !== 'pending')) return s
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A canned Describe answer served instead of the emulator's. */
const describeAnswer = (taskList: object[], extra: object = {}) => ({
  status: 200,
  body: JSON.stringify({ Action: 'DescribeNewUcdnRefreshCacheTaskResponse', RetCode: 0, TotalCount: taskList.length, TaskList: taskList, ...extra })
})
const retCode = (code: number, message: string) => ({ status: 200, body: JSON.stringify({ RetCode: code, Message: message }) })

describe('signUcloudParams: the known-answer vectors of providers.md', () => {
  const someone = { PublicKey: 'ucloudsomeone@example.com1296235120854146120' }
  const someoneKey = '46f09bb9fab4f12dfc160dae12273d5332b5debe'

  it('DescribeUHostInstance (a number value)', () => {
    expect(signUcloudParams({ ...someone, Action: 'DescribeUHostInstance', Region: 'cn-bj2', Limit: 10 }, someoneKey)).toBe(
      'cba5cf5ec4d4233d206b1b54951e3787350a642f'
    )
  })

  it('AllocateBackendBatch with Backends.0…11 (byte order puts .10 before .2)', () => {
    const params: Record<string, string | number> = { ...someone, Action: 'AllocateBackendBatch' }
    const values = ['foo', 'bar', 42]
    for (let i = 0; i < 12; i++) params[`Backends.${i}`] = values[i % 3]
    expect(signUcloudParams(params, someoneKey)).toBe('6bc32642779f8cb0bb3d3f128b1c0688abf9a1a3')
  })

  it('RefreshUcdnDomainCache of a directory', () => {
    const params = {
      PublicKey: 'uclouduser@example.com14315000530001556269999',
      Action: 'RefreshUcdnDomainCache',
      DomainId: 'ucdn-uw3rtw',
      Type: 'dir',
      'UrlList.0': 'http://test.example.com/folder1/'
    }
    expect(signUcloudParams(params, 'afcaaa83f649dc64f05967f00076bc47d1fa9999')).toBe('42a109a9b8d783c6ac8052653a959ffe6cb720b4')
  })

  it('ignores Signature, does not depend on insertion order, writes booleans as true/false', () => {
    const base = { Action: 'X', IsDcdn: false, 'UrlList.0': 'http://a/b c' }
    const sig = signUcloudParams(base, 'k')
    expect(signUcloudParams({ Signature: 'anything', 'UrlList.0': 'http://a/b c', IsDcdn: false, Action: 'X' }, 'k')).toBe(sig)
    expect(signUcloudParams({ ...base, IsDcdn: 'false' }, 'k')).toBe(sig)
    expect(signUcloudParams({ ...base, IsDcdn: true }, 'k')).not.toBe(sig)
    expect(signUcloudParams(base, 'other')).not.toBe(sig)
    expect(sig).toMatch(/^[0-9a-f]{40}$/)
  })

  it('orders any keys by their UTF-8 bytes (non-ASCII keys too), as the algorithm says', () => {
    const reference = (params: Record<string, string>, key: string): string => {
      const sorted = Object.keys(params)
        .filter((k) => k !== 'Signature')
        .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
      return createHash('sha1')
        .update(sorted.map((k) => k + params[k]).join('') + key, 'utf8')
        .digest('hex')
    }
    const keyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }))
    fc.assert(
      fc.property(fc.dictionary(keyText, fc.string()), fc.string(), (params, key) => {
        expect(signUcloudParams(params, key)).toBe(reference(params, key))
      }),
      { numRuns: 500 }
    )
    // U+FF21 sorts after U+1F600 in UTF-16 units but before it in UTF-8 bytes.
    expect(signUcloudParams({ '\u{1F600}': 'a', '\uFF21': 'b' }, 'k')).toBe(reference({ '\u{1F600}': 'a', '\uFF21': 'b' }, 'k'))
  })
})

describe('ucloud provider against its emulator', () => {
  it('refreshes files with Type=file, flattened UrlList.N, PublicKey and a masked Signature', async () => {
    const e = await start({ completeAfterMs: 60 })
    const h = client()
    const list = ['http://a.example.com/x.js', 'http://b.example.com/y.js']
    const task = await h.p.submit({ op: 'purge', host: '', items: urls(...list) })
    const sent = e.requests[0]
    expect(sent.method).toBe('POST')
    expect(sent.path).toBe('/')
    expect(sent.headers['content-type']).toBe('application/json')
    const body = JSON.parse(sent.body)
    expect(body).toMatchObject({ Action: 'RefreshNewUcdnDomainCache', Type: 'file', 'UrlList.0': list[0], 'UrlList.1': list[1], PublicKey: 'test-public-key' })
    expect(body).not.toHaveProperty('ProjectId')
    expect(h.masked).toEqual([body.Signature])
    expect(e.tasks.get(task.id)).toMatchObject({ kind: 'refresh', type: 'file', urls: list })
    expect(task).toMatchObject({ op: 'purge', items: urls(...list) })
    const final = await waitFinal(h.p, [task])
    expect(final).toEqual(list.map((url) => ({ taskId: task.id, url, state: 'success', detail: 'success' })))
  })

  it('sends directories with Type=dir and prefetches with no Type', async () => {
    const e = await start()
    const h = client()
    await h.p.submit({ op: 'purge', host: '', items: dirs('http://a.example.com/img/') })
    await h.p.submit({ op: 'prefetch', host: '', items: urls('http://a.example.com/a.png') })
    const [purge, prefetch] = e.params()
    expect(purge).toMatchObject({ Action: 'RefreshNewUcdnDomainCache', Type: 'dir', 'UrlList.0': 'http://a.example.com/img/' })
    expect(prefetch.Action).toBe('PrefetchNewUcdnDomainCache')
    expect(prefetch).not.toHaveProperty('Type')
    expect([...e.tasks.values()].map((t) => [t.kind, t.type])).toEqual([
      ['refresh', 'dir'],
      ['prefetch', null]
    ])
  })

  it('sends ProjectId when project-id is given, signed with the rest', async () => {
    const e = await start({ projects: ['org-site'] })
    await client({ ...keys, projectId: 'org-site' }).p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') })
    expect(e.params()[0].ProjectId).toBe('org-site')
    expect(e.tasks.size).toBe(1)
  })

  it('with dcdn, sends IsDcdn=true on every call (submit, status, look-up), signed with the rest', async () => {
    const e = await start({ completeAfterMs: 0 })
    const p = ucloud.create(
      {
        endpoint: e.url,
        request: transport.request,
        mask: () => {},
        log: () => {},
        now: Date.now,
        sleep: async () => {},
        dcdn: true
      },
      { ...noCreds, ...keys }
    )
    const batch = { op: 'purge' as const, host: '', items: urls('http://a.example.com/x') }
    const since = Date.now()
    const task = await p.submit(batch)
    expect((await p.status([task]))[0].state).toBe('success')
    expect(await p.findSubmitted!(batch, since)).toMatchObject({ id: task.id })
    expect(e.params().map((x) => [x.Action, x.IsDcdn])).toEqual([
      ['RefreshNewUcdnDomainCache', 'true'],
      ['DescribeNewUcdnRefreshCacheTask', 'true'],
      ['DescribeNewUcdnRefreshCacheTask', 'true']
    ])
    expect(e.tasks.get(task.id)?.dcdn).toBe(true)
    // Without it no IsDcdn is sent, and the emulator does not list whole-site tasks to such calls (inferred).
    const plain = client()
    expect(await plain.p.status([task])).toEqual([expect.objectContaining({ state: 'pending', detail: expect.stringMatching(/not listed/) })])
    expect(e.params().at(-1)?.IsDcdn).toBeUndefined()
  })

  it('the emulator checks IsDcdn like any signed parameter, and its value', async () => {
    const e = await start()
    const send = (params: Record<string, string | boolean>, signed: Record<string, string | boolean> = params) =>
      transport.request({
        method: 'POST',
        url: e.url,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...params, Signature: signUcloudParams(signed, keys.privateKey) })
      })
    const base = { Action: 'RefreshNewUcdnDomainCache', PublicKey: keys.publicKey, Type: 'file', 'UrlList.0': 'http://a.example.com/x' }
    expect(JSON.parse((await send({ ...base, IsDcdn: true }, base)).text)).toMatchObject({ RetCode: 171 }) // added after signing
    expect(JSON.parse((await send({ ...base, IsDcdn: 'yes' })).text)).toMatchObject({ RetCode: 230, Message: expect.stringMatching(/IsDcdn/) })
    expect(JSON.parse((await send({ ...base, IsDcdn: true })).text)).toMatchObject({ RetCode: 0 })
  })

  it('prefetches 600 URLs of one domain as 500 + 100: 500 are prefetched, only the last call meets the daily quota', async () => {
    let clock = 1_700_000_000_000
    const e = await start({ now: () => clock })
    const h = client(keys, (ms) => (clock += ms))
    const items = Array.from({ length: 600 }, (_, i) => `http://a.example.com/${i}`)
    const batches = batchForProvider('prefetch', urls(...items), ucloud.limits)
    expect(batches.map((b) => b.items.length)).toEqual([500, 100])
    await h.p.submit(batches[0])
    clock += 10_000
    const err = await h.p.submit(batches[1]).catch((x) => x)
    expect(err).toBeInstanceOf(ProviderError)
    expect(err.message).toMatch(/RetCode 44012: Daily quota exceeded: prefetch on a\.example\.com is limited to 500 a day \(500 used today, 100 asked\)/)
    expect(err.message).toMatch(/daily per-domain quota/)
    expect([...e.tasks.values()].flatMap((t) => t.urls)).toHaveLength(500)
  })

  it('asks about many tasks in one Describe call (TaskId.0…N) and reads per-URL status', async () => {
    const e = await start({ completeAfterMs: 80, failUrls: ['http://a.example.com/bad'] })
    const h = client()
    const tasks = [
      await h.p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/1', 'http://a.example.com/bad') }),
      await h.p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/2') }),
      await h.p.submit({ op: 'purge', host: '', items: dirs('http://a.example.com/d/') })
    ]
    const before = e.actionCounts().DescribeNewUcdnRefreshCacheTask ?? 0
    const first = await h.p.status(tasks)
    expect(e.actionCounts().DescribeNewUcdnRefreshCacheTask).toBe(before + 1)
    const asked = e.params().at(-1)!
    expect(
      Object.keys(asked)
        .filter((k) => k.startsWith('TaskId.'))
        .map((k) => asked[k])
    ).toEqual(tasks.map((t) => t.id))
    expect(first).toHaveLength(4)
    expect(first.every((s) => s.state === 'pending')).toBe(true)
    const final = await waitFinal(h.p, tasks)
    expect(final.map((s) => [s.url, s.state])).toEqual([
      ['http://a.example.com/1', 'success'],
      ['http://a.example.com/bad', 'failure'],
      ['http://a.example.com/2', 'success'],
      ['http://a.example.com/d/', 'success']
    ])
  })

  it('reads every page when the answer lists fewer tasks than TotalCount', async () => {
    const e = await start({ completeAfterMs: 0, maxPageSize: 2 })
    const h = client()
    const tasks: Task[] = []
    for (let i = 0; i < 5; i++) tasks.push(await h.p.submit({ op: 'purge', host: '', items: urls(`http://a.example.com/${i}`) }))
    const s = await h.p.status(tasks)
    expect(s.map((x) => x.state)).toEqual(Array(5).fill('success'))
    expect(e.actionCounts().DescribeNewUcdnRefreshCacheTask).toBe(3)
    expect(
      e
        .params()
        .slice(-3)
        .map((p) => p.Offset)
    ).toEqual(['0', '2', '4'])
  })

  it('shows wait/process with Progress as pending; reads status words case-insensitively', async () => {
    await start({ completeAfterMs: 60_000, statusCase: 'upper' })
    const h = client()
    const task = await h.p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') })
    const [s] = await h.p.status([task])
    expect(s).toMatchObject({ state: 'pending', detail: 'WAIT 0%' })
    emulator!.injectFaults([
      describeAnswer([
        {
          TaskId: task.id,
          Status: 'SUCCESS',
          UrlLists: [{ Url: 'http://a.example.com/x', Status: 'Success', Progress: 100 }]
        }
      ])
    ])
    expect((await h.p.status([task]))[0]).toMatchObject({ state: 'success', detail: 'Success' })
  })

  it.each([
    ['unknow', 'pending'],
    ['wait', 'pending'],
    ['process', 'pending'],
    ['something-new', 'pending'],
    ['failure', 'failure'],
    ['FAILURE', 'failure'],
    ['fail', 'failure'],
    ['Fail', 'failure'],
    ['failed', 'failure'],
    ['success', 'success'],
    ['SUCCESS', 'success']
  ])('maps URL status %s to %s', async (word, state) => {
    const e = await start()
    const h = client()
    const task: Task = { id: 'T1', op: 'purge', items: urls('http://a.example.com/x'), submittedAt: 0 }
    e.injectFaults([describeAnswer([{ TaskId: 'T1', Status: 'process', UrlLists: [{ Url: 'http://a.example.com/x', Status: word, Progress: 40 }] }])])
    expect((await h.p.status([task]))[0].state).toBe(state)
  })

  it('matches URLs the answer spells differently, and falls back to the task status for a missing one', async () => {
    const e = await start()
    const h = client()
    const task: Task = { id: 'T1', op: 'purge', items: urls('https://www.example.com/caf%C3%A9/a.html', 'https://www.example.com/gone.html'), submittedAt: 0 }
    e.injectFaults([
      describeAnswer([{ TaskId: 'T1', Status: 'success', UrlLists: [{ Url: 'https://WWW.example.com:443/café/a.html', Status: 'success', Progress: 100 }] }])
    ])
    expect(await h.p.status([task])).toEqual([
      { taskId: 'T1', url: 'https://www.example.com/caf%C3%A9/a.html', state: 'success', detail: 'success' },
      { taskId: 'T1', url: 'https://www.example.com/gone.html', state: 'success', detail: 'success (task)' }
    ])
  })

  it('keeps a task the answer does not list pending, saying so', async () => {
    await start()
    const h = client()
    const s = await h.p.status([{ id: 'missing', op: 'prefetch', items: urls('http://a.example.com/x'), submittedAt: 0 }])
    expect(s[0]).toMatchObject({ state: 'pending', detail: 'not listed by DescribeNewUcdnPrefetchCacheTask yet' })
  })

  describe('RetCode 153 (rate limited)', () => {
    it('retries a too-fast prefetch after pausing the documented 10 s (fake sleep moves the emulator clock)', async () => {
      let clock = 1_700_000_000_000
      const e = await start({ now: () => clock })
      const h = client(keys, (ms) => (clock += ms))
      await h.p.submit({ op: 'prefetch', host: '', items: urls('http://a.example.com/1') })
      const second = await h.p.submit({ op: 'prefetch', host: '', items: urls('http://a.example.com/2') })
      expect(h.slept).toEqual([10_000])
      expect(e.tasks.get(second.id)?.urls).toEqual(['http://a.example.com/2'])
      expect(e.actionCounts().PrefetchNewUcdnDomainCache).toBe(3)
      expect(h.logged.join('\n')).toMatch(/rate limited \(RetCode 153\); pausing 10 s before attempt 2 of 4/)
    })

    it('retries a rate-limited status call after a pause, then answers', async () => {
      const e = await start({ completeAfterMs: 0 })
      const h = client()
      const task = await h.p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/1') })
      e.injectFaults([retCode(153, 'Request too frequently'), retCode(153, 'Request too frequently')])
      const s = await h.p.status([task])
      expect(s[0].state).toBe('success')
      expect(h.slept).toHaveLength(2)
      expect(h.slept[1]).toBeGreaterThan(h.slept[0])
    })

    it(`gives up after ${UCLOUD_MAX_ATTEMPTS} attempts with a retryable error`, async () => {
      const e = await start({ prefetchIntervalMs: 3_600_000 })
      const h = client()
      await h.p.submit({ op: 'prefetch', host: '', items: urls('http://a.example.com/1') })
      const err = await h.p.submit({ op: 'prefetch', host: '', items: urls('http://a.example.com/2') }).catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.retryable).toBe(true)
      expect(err.message).toMatch(/^ucloud prefetch of 1 URL failed after 4 attempts: RetCode 153: Request too frequently/)
      expect(h.slept).toHaveLength(UCLOUD_MAX_ATTEMPTS - 1)
      expect(e.actionCounts().PrefetchNewUcdnDomainCache).toBe(1 + UCLOUD_MAX_ATTEMPTS)
      expect(e.tasks.size).toBe(1)
    })
  })

  describe('errors: RetCode ≠ 0 with HTTP 200 is a failure carrying Message; secrets never appear', () => {
    it('a wrong private key: RetCode 171, names private-key, no key or signature in the text', async () => {
      const e = await start()
      const h = client({ ...keys, privateKey: 'wrong-private-key-123' })
      const err = await h.p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') }).catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.retryable).toBe(false)
      expect(err.message).toMatch(/RetCode 171: Signature VerifyAC Error.*private-key input/)
      expect(err.message).not.toContain('wrong-private-key-123')
      expect(err.message).not.toContain(JSON.parse(e.requests[0].body).Signature)
      expect(e.tasks.size).toBe(0)
    })

    it('a wrong private key on a status call ends those items (not retryable)', async () => {
      await start()
      const h = client({ ...keys, privateKey: 'wrong' })
      const err = await h.p.status([{ id: 'T', op: 'purge', items: urls('http://a.example.com/x'), submittedAt: 0 }]).catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.retryable).toBe(false)
    })

    it.each([
      [{ ...keys, publicKey: 'nobody' }, {}, /RetCode 172: User not exists.*public-key input/],
      [{ ...keys, projectId: 'org-other' }, { projects: ['org-site'] }, /RetCode 292: Project not exists.*project-id input/]
    ])('%j is refused with a message naming the input', async (creds, options, message) => {
      await start(options)
      const err = await client(creds)
        .p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') })
        .catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).toMatch(message)
    })

    it('RetCode 174 names both key inputs', async () => {
      const e = await start()
      e.injectFaults([retCode(174, 'Token not exists')])
      const err = await client()
        .p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') })
        .catch((x) => x)
      expect(err.message).toMatch(/RetCode 174: Token not exists.*public-key and private-key inputs/)
    })

    it('an over-limit batch sent anyway is refused by the emulator, with its Message', async () => {
      const e = await start()
      const items = Array.from({ length: 101 }, (_, i) => ({ kind: 'url' as const, url: `http://a.example.com/${i}` }))
      const err = await client()
        .p.submit({ op: 'purge', host: '', items })
        .catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).toMatch(/RetCode 230: Params \[UrlList\] not available: at most 100 URLs per call/)
      expect(e.tasks.size).toBe(0)
    })

    it('a quota refusal says it is the daily quota', async () => {
      await start({ quotas: { dir: 1 } })
      const h = client()
      await h.p.submit({ op: 'purge', host: '', items: dirs('http://a.example.com/a/') })
      const err = await h.p.submit({ op: 'purge', host: '', items: dirs('http://a.example.com/b/') }).catch((x) => x)
      expect(err.message).toMatch(/Daily quota exceeded: refresh of directories on a\.example\.com is limited to 1 a day/)
      expect(err.message).toMatch(/daily per-domain quota/)
    })

    it('does not echo a private key or a signature a server message carries', async () => {
      const e = await start()
      const sig = 'a'.repeat(40)
      e.injectFaults([retCode(999, `bad signature ${sig} for key test-private-key`)])
      const err = await client()
        .p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') })
        .catch((x) => x)
      expect(err.message).toMatch(/RetCode 999: bad signature \*\*\* for key \*\*\*/)
    })

    it.each([
      ['an empty body', { status: 200, body: '' }, /empty answer/],
      ['a truncated body', { status: 200, body: '{"RetCode": 0, "TaskId": "ab' }, /not JSON/],
      ['a body without RetCode', { status: 200, body: '{"TaskId": "abc"}' }, /no RetCode/],
      ['RetCode 0 without TaskId', { status: 200, body: '{"RetCode": 0}' }, /no TaskId/],
      ['an HTTP 502', { status: 502, body: 'Bad Gateway' }, /HTTP 502: Bad Gateway/]
    ])('a submit answered with %s is a ProviderError, never a task', async (_, fault, message) => {
      const e = await start()
      e.injectFaults([fault])
      const err = await client()
        .p.submit({ op: 'purge', host: '', items: urls('http://a.example.com/x') })
        .catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.message).toMatch(message)
    })

    it.each([
      ['a truncated body', { status: 200, body: '{"RetCode": 0, "TaskList": [' }],
      ['no TaskList', { status: 200, body: '{"RetCode": 0, "TotalCount": 1}' }],
      ['an HTTP 502', { status: 502, body: '' }],
      ['RetCode 150', retCode(150, 'Service unavailable')]
    ])('a status call answered with %s is a retryable ProviderError', async (_, fault) => {
      const e = await start()
      e.injectFaults([fault])
      const err = await client()
        .p.status([{ id: 'T', op: 'purge', items: urls('http://a.example.com/x'), submittedAt: 0 }])
        .catch((x) => x)
      expect(err).toBeInstanceOf(ProviderError)
      expect(err.retryable).toBe(true)
    })
  })
})

describe('ucloud: a submit whose answer is lost', () => {
  const retrying = createTransport({ maxAttempts: 3, backoffBaseMs: 1, backoffCapMs: 2 })
  afterAll(() => retrying.close())

  it('the look-up (a Describe POST) is retried by the transport after a reset; the submit is not', async () => {
    const e = await start({ completeAfterMs: 0 })
    const p = ucloud.create(
      {
        endpoint: e.url,
        request: retrying.request,
        mask: () => {},
        log: () => {},
        now: Date.now,
        sleep: async () => {}
      },
      { ...noCreds, ...keys }
    )
    const batch = { op: 'purge' as const, host: '', items: urls('http://a.example.com/x') }
    const since = Date.now()
    e.injectFaults([{ kind: 'reset-after-action' }])
    await expect(p.submit(batch)).rejects.toMatchObject({ ambiguous: true })
    expect(e.tasks.size).toBe(1)
    e.injectFaults([{ kind: 'reset-before-headers' }, { kind: 'reset-after-action' }])
    const found = await p.findSubmitted!(batch, since)
    expect(found).toMatchObject({ id: [...e.tasks.keys()][0], items: batch.items })
    expect(e.params().map((x) => x.Action)).toEqual([
      'RefreshNewUcdnDomainCache',
      'DescribeNewUcdnRefreshCacheTask',
      'DescribeNewUcdnRefreshCacheTask',
      'DescribeNewUcdnRefreshCacheTask'
    ])
  })
})

describe('ucloud: a lost submit is matched only to a task made after it was sent', () => {
  const start0 = Date.UTC(2026, 0, 5, 3, 0, 0)
  let t = start0
  const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) }
  const fakeClient = (e: UcloudEmulator): CdnProvider =>
    ucloud.create({ endpoint: e.url, request: transport.request, mask: () => {}, log: () => {}, now: clock.now, sleep: clock.sleep }, { ...noCreds, ...keys })
  const batch = { op: 'purge' as const, host: '', items: urls('http://a.example.com/index.html') }

  it('an identical task made 2 s before the send (an earlier run) is not taken: the batch is sent again', async () => {
    t = start0
    const e = await start({ completeAfterMs: 0, now: clock.now })
    const older = await fakeClient(e).submit(batch) // run 1
    t += 2_000
    // Run 2: the same URL; the connection is reset before the server acts.
    e.injectFaults([{ kind: 'reset-before-headers' }])
    const [outcome] = await submitBatches(fakeClient(e), [batch], 1, clock, undefined, { ...defaultSubmitOptions, deadline: t + 600_000 })
    expect(outcome.task?.id).toBeDefined()
    expect(outcome.task?.id).not.toBe(older.id)
    expect(outcome.resent).toBe(1)
    expect(outcome.notes.join('\n')).toMatch(/task list shows no task for it: sending it again/)
    expect(e.tasks.size).toBe(2)
    expect(e.params().map((x) => x.Action)).toEqual([
      'RefreshNewUcdnDomainCache',
      'RefreshNewUcdnDomainCache',
      'DescribeNewUcdnRefreshCacheTask',
      'RefreshNewUcdnDomainCache'
    ])
  })

  it('a task made in the second the batch was sent is taken; one a second earlier is not', async () => {
    t = start0 + 999
    const e = await start({ completeAfterMs: 0, now: clock.now })
    const p = fakeClient(e)
    const task = await p.submit(batch)
    expect(await p.findSubmitted!(batch, start0 + 500)).toMatchObject({ id: task.id })
    expect(await p.findSubmitted!(batch, start0 + 1_000)).toBeNull()
  })

  it.each([
    ['no CreateTime', {}],
    ['a CreateTime that is not a number', { CreateTime: 'soon' }],
    ['an older CreateTime', { CreateTime: Math.floor(start0 / 1000) - 1 }]
  ])('a listed task with %s is not taken', async (_, fields) => {
    t = start0
    const e = await start({ now: clock.now })
    const listed = { TaskId: 'kRtSCEHO', Status: 'success', UrlLists: [{ Url: batch.items[0].url, Status: 'success' }], ...fields }
    e.injectFaults([{ status: 200, body: JSON.stringify({ RetCode: 0, TotalCount: 1, TaskList: [listed] }) }])
    expect(await fakeClient(e).findSubmitted!(batch, start0)).toBeNull()
  })
})

describe('ucloud limits and credentials check', () => {
  it('declares its limits in one place', () => {
    expect(ucloud.limits).toMatchObject({
      itemsPerCall: { purge: 100, prefetch: 1000 },
      oneHostPerCall: false,
      mixedKindsPerCall: false,
      directories: true,
      minSubmitIntervalMs: { prefetch: 10_000 },
      itemsPerHostPerCall: { prefetch: 500 }
    })
    expect(ucloud.supportsDcdn).toBe(true)
    expect(ucloud.limits.statusIdsPerCall.purge).toBeGreaterThan(1)
  })

  it.each([
    [{}, 'public-key'],
    [{ privateKey: 'p' }, 'public-key'],
    [{ publicKey: 'u' }, 'private-key'],
    [{ publicKey: 'u v', privateKey: 'p' }, 'public-key'],
    [{ publicKey: 'u', privateKey: 'p q' }, 'private-key'],
    [{ publicKey: 'u', privateKey: 'p', projectId: 'a b' }, 'project-id']
  ])('%j is an InputError on %s', (creds, input) => {
    let caught: unknown
    try {
      ucloud.readSettings(readerOf({ ...creds }))
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(InputError)
    expect((caught as InputError).input).toBe(input)
    expect((caught as InputError).message).not.toMatch(/p q/)
  })

  it('accepts a public and a private key, with or without a project', () => {
    expect(() => ucloud.readSettings(readerOf({ publicKey: 'u', privateKey: 'p' }))).not.toThrow()
    expect(() => ucloud.readSettings(readerOf({ publicKey: 'u', privateKey: 'p', projectId: 'org-1' }))).not.toThrow()
  })
})
