import { afterEach, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { expectedAcs3Signature, expectedRpcSignature, startAliyunEmulator, type AliyunEmulator, type AliyunEmulatorOptions } from '../../emulators/aliyun.js'
import { acs3Authorization, EMPTY_SHA256, rpcSignature, sha256Hex } from '../../src/providers/aliyun/signer.js'
import { ACS3_VECTORS, RPC_VECTORS } from '../providers/aliyun-vectors.js'

let emulator: AliyunEmulator | null = null
afterEach(async () => {
  await emulator?.close()
  emulator = null
})

let clock = Date.parse('2026-03-01T00:00:00Z')
const now = () => clock
async function start(options: AliyunEmulatorOptions = {}): Promise<AliyunEmulator> {
  clock = Date.parse('2026-03-01T00:00:00Z')
  emulator = await startAliyunEmulator({ now, ...options })
  return emulator
}

let nonce = 0
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** Sends one RPC-signed POST (form body) and returns status and JSON. */
async function rpc(
  action: string,
  params: Record<string, string>,
  opts: { secret?: string; id?: string; timestamp?: string; nonce?: string; token?: string } = {}
) {
  const all: Record<string, string> = {
    Action: action,
    Version: '2018-05-10',
    Format: 'JSON',
    AccessKeyId: opts.id ?? 'testid',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: opts.nonce ?? `n-${++nonce}`,
    Timestamp: opts.timestamp ?? iso(clock),
    ...(opts.token ? { SecurityToken: opts.token } : {}),
    ...params
  }
  all.Signature = rpcSignature('POST', all, opts.secret ?? 'testsecret')
  const res = await fetch(emulator!.url + '/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(all).toString()
  })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

describe('the emulator verifier accepts the published vectors (its own code path)', () => {
  it.each(RPC_VECTORS.map((v) => [v.name, v] as const))('RPC %s', (_n, v) => {
    expect(expectedRpcSignature(v.method, v.params, v.secret)).toBe(v.signature)
    expect(expectedRpcSignature(v.method, v.params, 'other')).not.toBe(v.signature)
  })
  it.each(ACS3_VECTORS.map((v) => [v.name, v] as const))('ACS3 %s', (_n, v) => {
    const signed = Object.keys(v.request.headers).sort()
    expect(expectedAcs3Signature(v.request, signed, v.secret)).toBe(v.signature)
  })
})

describe('the client signer and the emulator verifier agree on any parameters', () => {
  it('RPC: random names and values (unicode, spaces, *, ~, newlines)', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('a b', '*', '~', '\n', '+', '%20'))
    fc.assert(
      fc.property(fc.dictionary(text, text), fc.string(), fc.constantFrom('GET', 'POST'), (params, secret, method) => {
        expect(expectedRpcSignature(method, params, secret)).toBe(rpcSignature(method, params, secret))
      }),
      { numRuns: 300 }
    )
  })
})

describe('aliyun emulator', () => {
  it('accepts a RefreshObjectCaches and moves its paths Pending → Refreshing → Complete / Failed', async () => {
    const e = await start({ completeAfterMs: 900, failUrls: ['https://a.example.com/bad.js'] })
    const r = await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/x.js\nhttps://a.example.com/bad.js', ObjectType: 'File' })
    expect(r.status).toBe(200)
    const id = r.body.RefreshTaskId as string
    expect(id).toMatch(/^\d+$/)
    const states = async () => (await rpc('DescribeRefreshTaskById', { TaskId: id })).body.Tasks.map((t: any) => `${t.Status} ${t.Process}`)
    expect(await states()).toEqual(['Pending 0%', 'Pending 0%'])
    clock += 450
    expect(await states()).toEqual(['Refreshing 50%', 'Refreshing 50%'])
    clock += 450
    const done = (await rpc('DescribeRefreshTaskById', { TaskId: id })).body
    expect(done.TotalCount).toBe(2)
    expect(done.Tasks.map((t: any) => [t.ObjectPath, t.Status, t.Description])).toEqual([
      ['https://a.example.com/x.js', 'Complete', undefined],
      ['https://a.example.com/bad.js', 'Failed', 'Internal Error']
    ])
    expect(e.entries).toHaveLength(2)
  })

  it('merges same-second URL tasks of one domain into one id; several domains give ids joined by a comma', async () => {
    await start()
    const a = await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/1' })
    const b = await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/2\nhttps://b.example.com/3' })
    const [first, second] = (b.body.RefreshTaskId as string).split(',')
    expect(first).toBe(a.body.RefreshTaskId)
    expect(second).not.toBe(first)
  })

  it('refuses bad signatures, unknown keys, stale timestamps and reused nonces in the vendor shape', async () => {
    await start()
    const bad = await rpc('DescribeRefreshQuota', {}, { secret: 'wrong' })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ RequestId: expect.any(String), HostId: 'cdn.aliyuncs.com', Code: 'SignatureDoesNotMatch', Message: expect.any(String) })
    expect((await rpc('DescribeRefreshQuota', {}, { id: 'nobody' })).body.Code).toBe('InvalidAccessKeyId.NotFound')
    expect((await rpc('DescribeRefreshQuota', {}, { timestamp: iso(clock - 16 * 60_000) })).body.Code).toBe('InvalidTimeStamp.Expired')
    expect((await rpc('DescribeRefreshQuota', {}, { timestamp: iso(clock - 14 * 60_000) })).status).toBe(200)
    // §1: Timestamp is yyyy-MM-ddTHH:mm:ssZ (seconds, no fraction).
    expect((await rpc('DescribeRefreshQuota', {}, { timestamp: iso(clock).slice(0, 16) + 'Z' })).body.Code).toBe('InvalidTimeStamp.Format')
    expect((await rpc('DescribeRefreshQuota', {}, { timestamp: new Date(clock).toISOString() })).body.Code).toBe('InvalidTimeStamp.Format')
    expect((await rpc('DescribeRefreshQuota', {}, { nonce: 'same' })).status).toBe(200)
    expect((await rpc('DescribeRefreshQuota', {}, { nonce: 'same' })).body.Code).toBe('SignatureNonceUsed')
  })

  it('requires the STS token of STS keys', async () => {
    await start({ securityTokens: { testid: 'tok' } })
    expect((await rpc('DescribeRefreshQuota', {})).body.Code).toBe('InvalidSecurityToken.Mismatch')
    expect((await rpc('DescribeRefreshQuota', {}, { token: 'tok' })).status).toBe(200)
  })

  it('enforces per-call limits, directory form and the 10-domain rule', async () => {
    await start()
    const many = (n: number, d = 'a.example.com') => Array.from({ length: n }, (_, i) => `https://${d}/${i}`).join('\n')
    expect((await rpc('RefreshObjectCaches', { ObjectPath: many(1001) })).body.Code).toBe('SingleRequest.OverLimit')
    expect((await rpc('RefreshObjectCaches', { ObjectPath: many(1000) })).status).toBe(200)
    const dirs = Array.from({ length: 101 }, (_, i) => `https://a.example.com/d${i}/`).join('\n')
    expect((await rpc('RefreshObjectCaches', { ObjectPath: dirs, ObjectType: 'Directory' })).body.Code).toBe('SingleRequest.OverLimit')
    expect((await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/d', ObjectType: 'Directory' })).body.Code).toBe('InvalidObjectPath.Malformed')
    expect((await rpc('PushObjectCache', { ObjectPath: many(101) })).body.Code).toBe('InvalidObjectPath.Size.Malformed')
    const eleven = Array.from({ length: 11 }, (_, i) => `https://h${i}.example.com/x`).join('\n')
    expect((await rpc('RefreshObjectCaches', { ObjectPath: eleven })).body.Code).toBe('InvalidObjectPath.Malformed')
    expect((await rpc('RefreshObjectCaches', {})).body.Code).toBe('MissingParameter')
  })

  it('records Force of a directory refresh (default false), refuses a malformed one', async () => {
    const e = await start()
    expect((await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/d/', ObjectType: 'Directory' })).status).toBe(200)
    expect((await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/e/', ObjectType: 'Directory', Force: 'true' })).status).toBe(200)
    expect((await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/f/', ObjectType: 'Directory', Force: 'yes' })).body.Code).toBe(
      'InvalidParameter'
    )
    expect((await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/x' })).status).toBe(200)
    expect(e.entries.map((x) => [x.path, x.force])).toEqual([
      ['https://a.example.com/d/', false],
      ['https://a.example.com/e/', true],
      ['https://a.example.com/x', undefined]
    ])
  })

  it('counts daily quotas, reports them in DescribeRefreshQuota (as strings) and refuses past them', async () => {
    await start({ quotas: { url: 3, preload: 2 } })
    expect((await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/1\nhttps://a.example.com/2' })).status).toBe(200)
    const q = (await rpc('DescribeRefreshQuota', {})).body
    expect(q).toMatchObject({ UrlQuota: '3', UrlRemain: '1', DirQuota: '100', DirRemain: '100', PreloadRemain: '2' })
    const over = await rpc('RefreshObjectCaches', { ObjectPath: 'https://a.example.com/3\nhttps://a.example.com/4' })
    expect([over.status, over.body.Code]).toEqual([400, 'QuotaExceeded.Refresh'])
    expect((await rpc('PushObjectCache', { ObjectPath: 'https://a.example.com/1\nhttps://a.example.com/2\nhttps://a.example.com/3' })).body.Code).toBe(
      'QuotaExceeded.Refresh'
    )
    clock += 24 * 3_600_000
    expect((await rpc('DescribeRefreshQuota', {})).body.UrlRemain).toBe('3')
  })

  it('throttles calls per second per action (503 Throttling by default, 400 Throttling.User on request)', async () => {
    await start({ rates: { DescribeRefreshTasks: 2 } })
    expect((await rpc('DescribeRefreshTasks', {})).status).toBe(200)
    expect((await rpc('DescribeRefreshTasks', {})).status).toBe(200)
    const t = await rpc('DescribeRefreshTasks', {})
    expect([t.status, t.body.Code]).toEqual([503, 'Throttling'])
    clock += 1000
    expect((await rpc('DescribeRefreshTasks', {})).status).toBe(200)
    await emulator!.close()
    await start({ rates: { DescribeRefreshQuota: 0 }, throttle: 'Throttling.User' })
    const u = await rpc('DescribeRefreshQuota', {})
    expect([u.status, u.body.Code]).toEqual([400, 'Throttling.User'])
  })

  it('pages DescribeRefreshTasks newest first within a time range and filters by exact ObjectPath and type', async () => {
    await start({ rates: { DescribeRefreshTasks: 100 } })
    for (let i = 0; i < 5; i++) {
      await rpc('RefreshObjectCaches', { ObjectPath: `https://a.example.com/${i}` })
      clock += 2000
    }
    await rpc('PushObjectCache', { ObjectPath: 'https://a.example.com/p' })
    const range = { StartTime: iso(clock - 7000), EndTime: iso(clock), ObjectType: 'file', PageSize: '2' }
    const p1 = (await rpc('DescribeRefreshTasks', { ...range, PageNumber: '1' })).body
    expect(p1).toMatchObject({ PageNumber: 1, PageSize: 2, TotalCount: 3 })
    expect(p1.Tasks.CDNTask.map((t: any) => t.ObjectPath)).toEqual(['https://a.example.com/4', 'https://a.example.com/3'])
    const p2 = (await rpc('DescribeRefreshTasks', { ...range, PageNumber: '2' })).body
    expect(p2.Tasks.CDNTask.map((t: any) => t.ObjectPath)).toEqual(['https://a.example.com/2'])
    const exact = (await rpc('DescribeRefreshTasks', { ObjectPath: 'https://a.example.com/1', ObjectType: 'file' })).body
    expect(exact.TotalCount).toBe(1)
    expect((await rpc('DescribeRefreshTasks', { ObjectType: 'preload' })).body.Tasks.CDNTask[0].ObjectType).toBe('preload')
    expect((await rpc('DescribeRefreshTasks', { PageSize: '101' })).body.Code).toBe('InvalidParameter')
    expect((await rpc('DescribeRefreshTasks', { ...range, StartTime: iso(clock - 7000).slice(0, 16) + 'Z' })).body.Code).toBe('InvalidTime.Malformed')
    expect((await rpc('DescribeRefreshTasks', { Status: 'Complete' })).body.Code).toBe('MissingParameter')
    expect((await rpc('DescribeRefreshTaskById', { TaskId: Array(11).fill('1').join(',') })).body.Code).toBe('InvalidTaskId.Malformed')
  })

  it('accepts an ACS3-HMAC-SHA256 request and refuses one whose signature is off', async () => {
    const e = await start()
    const send = async (secret: string) => {
      const headers: Record<string, string> = {
        host: new URL(e.url).host,
        'x-acs-action': 'RefreshObjectCaches',
        'x-acs-version': '2018-05-10',
        'x-acs-date': iso(clock),
        'x-acs-signature-nonce': `v3-${++nonce}`,
        'x-acs-content-sha256': EMPTY_SHA256
      }
      const query = { ObjectPath: 'https://a.example.com/v3.js', ObjectType: 'File' }
      const authorization = acs3Authorization({ method: 'POST', path: '/', query, headers, body: '' }, 'testid', secret)
      const res = await fetch(`${e.url}/?${new URLSearchParams(query)}`, { method: 'POST', headers: { ...headers, authorization } })
      return { status: res.status, body: (await res.json()) as Record<string, any> }
    }
    expect(sha256Hex('')).toBe(EMPTY_SHA256)
    expect((await send('testsecret')).status).toBe(200)
    expect((await send('wrong')).body.Code).toBe('SignatureDoesNotMatch')
  })
})
