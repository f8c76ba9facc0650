import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { XMLParser } from 'fast-xml-parser'
import { startCloudFrontEmulator, type CloudFrontEmulator, type CloudFrontEmulatorOptions } from '../../emulators/cloudfront.js'
import { createTransport } from '../../src/http/transport.js'
import { amzDate, sigV4Sign } from '../../src/providers/cloudfront/signer.js'

const AK = 'AKIAEMU'
const SK = 'emu-secret'
const DIST = 'EDFDVBD6EXAMPLE'
const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/'

let emulator: CloudFrontEmulator | null = null
const transport = createTransport({ maxAttempts: 1 })
afterEach(async () => {
  await emulator?.close()
  emulator = null
})
afterAll(() => transport.close())

const clock = { t: Date.UTC(2026, 10, 29, 12, 0, 0) }
async function start(options: CloudFrontEmulatorOptions = {}): Promise<CloudFrontEmulator> {
  clock.t = Date.UTC(2026, 10, 29, 12, 0, 0)
  emulator = await startCloudFrontEmulator({
    keys: { [AK]: SK, AKIAOTHER: 'other' },
    distributions: { [DIST]: AK, EOTHER: 'AKIAOTHER' },
    now: () => clock.t,
    ...options
  })
  return emulator
}

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'InvalidationSummary' || name === 'Path' })

interface RawOptions {
  query?: [string, string][]
  body?: string
  accessKey?: string
  secretKey?: string
  token?: string
  at?: number
  contentType?: string
}

/** A SigV4-signed request to the emulator (the client is tested in providers/). */
async function raw(method: 'GET' | 'POST', path: string, o: RawOptions = {}) {
  const url = new URL(emulator!.url + path)
  for (const [k, v] of o.query ?? []) url.searchParams.append(k, v)
  const headers: Record<string, string> = { host: url.host, 'x-amz-date': amzDate(o.at ?? clock.t) }
  if (method === 'POST') headers['content-type'] = o.contentType ?? 'application/xml'
  if (o.token) headers['x-amz-security-token'] = o.token
  const body = o.body ?? ''
  const s = sigV4Sign({
    method,
    path: url.pathname,
    query: o.query,
    headers,
    body,
    accessKey: o.accessKey ?? AK,
    secretKey: o.secretKey ?? SK,
    region: 'us-east-1',
    service: 'cloudfront',
    amzDate: headers['x-amz-date']
  })
  const sent: Record<string, string> = { 'X-Amz-Date': headers['x-amz-date'], Authorization: s.authorization }
  if (headers['content-type']) sent['Content-Type'] = headers['content-type']
  if (o.token) sent['X-Amz-Security-Token'] = o.token
  const res = await transport.request({ method, url: url.href, headers: sent, body: method === 'POST' ? body : undefined, idempotent: true })
  return { status: res.status, location: res.header('location'), text: res.text, doc: parser.parse(res.text) as Record<string, any> }
}

const batchXml = (paths: string[], ref: string, quantity = paths.length) =>
  `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="${NS}"><Paths><Quantity>${quantity}</Quantity><Items>${paths.map((p) => `<Path>${p}</Path>`).join('')}</Items></Paths><CallerReference>${ref}</CallerReference></InvalidationBatch>`
const create = (paths: string[], ref: string, o: RawOptions = {}) =>
  raw('POST', `/2020-05-31/distribution/${DIST}/invalidation`, { body: batchXml(paths, ref), ...o })
const codeOf = (r: { doc: Record<string, any> }) => r.doc.ErrorResponse?.Error?.Code as string | undefined

describe('the CloudFront emulator', () => {
  it('CreateInvalidation: 201, Location, an Invalidation InProgress that completes over time; GetInvalidation reads it', async () => {
    await start({ completeAfterMs: 60_000 })
    const r = await create(['/index.html', '/a&amp;b.js', '/img/*'], 'ref-1')
    expect(r.status).toBe(201)
    const inv = r.doc.Invalidation
    expect(inv.Status).toBe('InProgress')
    expect(r.location).toBe(`http://${new URL(emulator!.url).host}/2020-05-31/distribution/${DIST}/invalidation/${inv.Id}`)
    expect(inv.InvalidationBatch.Paths.Items.Path).toEqual(['/index.html', '/a&b.js', '/img/*'])
    expect(r.text).toContain('<Path>/a&amp;b.js</Path>')
    clock.t += 60_000
    const g = await raw('GET', `/2020-05-31/distribution/${DIST}/invalidation/${inv.Id}`)
    expect(g.status).toBe(200)
    expect(g.doc.Invalidation.Status).toBe('Completed')
    expect(codeOf(await raw('GET', `/2020-05-31/distribution/${DIST}/invalidation/INOPE`))).toBe('NoSuchInvalidation')
  })

  it('CallerReference: same paths → the same invalidation; other paths, or the same in another order → InvalidationBatchAlreadyExists', async () => {
    await start()
    const a = await create(['/a', '/b'], 'ref-x')
    const b = await create(['/a', '/b'], 'ref-x')
    expect(b.status).toBe(201)
    expect(b.doc.Invalidation.Id).toBe(a.doc.Invalidation.Id)
    expect(emulator!.invalidations.size).toBe(1)
    for (const other of [
      ['/a', '/c'],
      ['/b', '/a']
    ]) {
      const c = await create(other, 'ref-x')
      expect([c.status, codeOf(c)]).toEqual([409, 'InvalidationBatchAlreadyExists'])
    }
  })

  it('refuses a bad body: MissingBody, InconsistentQuantities, wrong namespace, no CallerReference, malformed XML, bad paths', async () => {
    await start()
    const path = `/2020-05-31/distribution/${DIST}/invalidation`
    expect(codeOf(await raw('POST', path, { body: '' }))).toBe('MissingBody')
    expect(codeOf(await raw('POST', path, { body: batchXml(['/a', '/b'], 'r', 3) }))).toBe('InconsistentQuantities')
    expect(codeOf(await raw('POST', path, { body: batchXml(['/a'], 'r').replace(NS, 'urn:x') }))).toBe('InvalidArgument')
    expect(codeOf(await raw('POST', path, { body: batchXml(['/a'], '') }))).toBe('InvalidArgument')
    expect(codeOf(await raw('POST', path, { body: '<InvalidationBatch><Paths>' }))).toBe('InvalidArgument')
    for (const bad of ['a.html', '/a b.html', '/中.png', '/a[1].js', '/100%.txt', '/runtime~main.js', `/${'x'.repeat(4000)}`]) {
      const r = await create([bad], `r-${bad.length}`)
      expect([bad.slice(0, 20), r.status, codeOf(r)]).toEqual([bad.slice(0, 20), 400, 'InvalidArgument'])
    }
    expect((await create(['/a%20b.html', '/%E4%B8%AD.png', '/a*b.js', '/runtime%7Emain.js'], 'ok')).status).toBe(201)
    expect(codeOf(await raw('POST', path, { body: batchXml(['/a'], 'ct'), contentType: 'application/json' }))).toBe('InvalidArgument')
  })

  it('in-progress caps per distribution: 3,000 file paths and 15 wildcard paths, apart; room again once completed', async () => {
    await start({ completeAfterMs: 1000, caps: { files: 4, wildcards: 2 } })
    expect((await create(['/1', '/2', '/3'], 'f1')).status).toBe(201)
    expect(codeOf(await create(['/4', '/5'], 'f2'))).toBe('TooManyInvalidationsInProgress')
    expect((await create(['/d1/*', '/d2/*'], 'w1')).status).toBe(201)
    expect(codeOf(await create(['/d3/*'], 'w2'))).toBe('TooManyInvalidationsInProgress')
    expect((await create(['/4'], 'f3')).status).toBe(201)
    clock.t += 1000
    expect((await create(['/5', '/6', '/7', '/8'], 'f4')).status).toBe(201)
    expect((await create(['/d3/*'], 'w2')).status).toBe(201)
  })

  it('ListInvalidations pages newest first with Marker / NextMarker / IsTruncated', async () => {
    await start()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.unshift((await create([`/p${i}`], `ref-${i}`)).doc.Invalidation.Id)
      clock.t += 1000
    }
    const path = `/2020-05-31/distribution/${DIST}/invalidation`
    const p1 = (await raw('GET', path, { query: [['MaxItems', '2']] })).doc.InvalidationList
    expect(p1.IsTruncated).toBe('true')
    expect(p1.Items.InvalidationSummary.map((s: { Id: string }) => s.Id)).toEqual(ids.slice(0, 2))
    const p2 = (
      await raw('GET', path, {
        query: [
          ['MaxItems', '2'],
          ['Marker', p1.NextMarker]
        ]
      })
    ).doc.InvalidationList
    expect(p2.Items.InvalidationSummary.map((s: { Id: string }) => s.Id)).toEqual(ids.slice(2, 4))
    const p3 = (await raw('GET', path, { query: [['Marker', p2.NextMarker]] })).doc.InvalidationList
    expect(p3.IsTruncated).toBe('false')
    expect(p3.Items.InvalidationSummary.map((s: { Id: string }) => s.Id)).toEqual(ids.slice(4))
  })

  it('auth: wrong secret, unknown key, skew over 5 minutes, tokens required or expired, another account’s distribution', async () => {
    await start({ tokens: { AKIATEMP: 'tok-1' }, keys: { [AK]: SK, AKIATEMP: 'temp-secret', AKIAOTHER: 'other' }, expiredTokens: ['tok-old'] })
    const r1 = await create(['/a'], 'r', { secretKey: 'wrong' })
    expect([r1.status, codeOf(r1)]).toEqual([403, 'SignatureDoesNotMatch'])
    expect(codeOf(await create(['/a'], 'r', { accessKey: 'AKIANOPE' }))).toBe('InvalidClientTokenId')
    const skew = await create(['/a'], 'r', { at: clock.t - 6 * 60_000 })
    expect([codeOf(skew), skew.doc.ErrorResponse.Error.Message]).toEqual(['SignatureDoesNotMatch', expect.stringMatching(/^Signature expired/)])
    expect((await create(['/a'], 'r', { at: clock.t - 4 * 60_000 })).status).toBe(201)
    expect(codeOf(await create(['/a'], 't', { accessKey: 'AKIATEMP', secretKey: 'temp-secret' }))).toBe('InvalidClientTokenId')
    expect(codeOf(await create(['/a'], 't', { accessKey: 'AKIATEMP', secretKey: 'temp-secret', token: 'tok-old' }))).toBe('ExpiredToken')
    const other = await raw('POST', '/2020-05-31/distribution/EOTHER/invalidation', { body: batchXml(['/a'], 'o') })
    expect([other.status, codeOf(other)]).toEqual([404, 'NoSuchDistribution'])
    expect(emulator!.errorCounts()).toMatchObject({ SignatureDoesNotMatch: 2, InvalidClientTokenId: 2, ExpiredToken: 1, NoSuchDistribution: 1 })
  })

  it('Throttling (400, Rate exceeded) over the configured rate; BatchTooLarge (413) over a configured size', async () => {
    await start({ requestsPerSecond: 2, maxPathsPerCall: 2 })
    expect((await create(['/a'], 'a')).status).toBe(201)
    expect(codeOf(await create(['/a', '/b', '/c'], 'b'))).toBe('BatchTooLarge')
    const t = await create(['/c'], 'c')
    expect([t.status, codeOf(t), t.doc.ErrorResponse.Error.Message]).toEqual([400, 'Throttling', 'Rate exceeded'])
  })
})
