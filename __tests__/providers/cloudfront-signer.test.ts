import { describe, expect, it } from '@jest/globals'
import { verifySigV4 } from '../../emulators/cloudfront.js'
import { amzDate, canonicalQuery, sha256Hex, sigV4Sign, signingKey } from '../../src/providers/cloudfront/signer.js'

/** The SigV4 known-answer vectors of providers-next.md §3 (S-1…S-5), every published value pinned. */
const AK = 'AKIDEXAMPLE'
const SK = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const DATE = '20150830T123600Z'
const AT = Date.UTC(2015, 7, 30, 12, 36, 0)
const suite = { accessKey: AK, secretKey: SK, region: 'us-east-1', service: 'service', amzDate: DATE }
const host = 'example.amazonaws.com'
const S5_BODY =
  '<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>2</Quantity><Items><Path>/index.html</Path><Path>/images/*</Path></Items></Paths><CallerReference>release-2015-08-30-1</CallerReference></InvalidationBatch>'

interface Vector {
  name: string
  method: string
  path: string
  query: [string, string][]
  headers: Record<string, string>
  body: string
  service: string
  canonicalHash: string
  signature: string
}

const vectors: Vector[] = [
  {
    name: 'S-1 get-vanilla',
    method: 'GET',
    path: '/',
    query: [],
    headers: { Host: host, 'X-Amz-Date': DATE },
    body: '',
    service: 'service',
    canonicalHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'
  },
  {
    name: 'S-2 post-vanilla',
    method: 'POST',
    path: '/',
    query: [],
    headers: { Host: host, 'X-Amz-Date': DATE },
    body: '',
    service: 'service',
    canonicalHash: '553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'
  },
  {
    name: 'S-3 get-vanilla-query-order-key-case',
    method: 'GET',
    path: '/',
    query: [
      ['Param2', 'value2'],
      ['Param1', 'value1']
    ],
    headers: { Host: host, 'X-Amz-Date': DATE },
    body: '',
    service: 'service',
    canonicalHash: '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'
  },
  {
    name: 'S-4 post-x-www-form-urlencoded (signed body)',
    method: 'POST',
    path: '/',
    query: [],
    headers: {
      'Content-Length': '13',
      'Content-Type': 'application/x-www-form-urlencoded',
      Host: host,
      'X-Amz-Content-Sha256': sha256Hex('Param1=value1'),
      'X-Amz-Date': DATE
    },
    body: 'Param1=value1',
    service: 'service',
    canonicalHash: 'b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb',
    signature: 'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b'
  },
  {
    name: 'S-5 (derived) CloudFront CreateInvalidation',
    method: 'POST',
    path: '/2020-05-31/distribution/EDFDVBD6EXAMPLE/invalidation',
    query: [],
    headers: { 'Content-Type': 'application/xml', Host: 'cloudfront.amazonaws.com', 'X-Amz-Date': DATE },
    body: S5_BODY,
    service: 'cloudfront',
    canonicalHash: 'eead55fb2c43db8341dd67458dd0d46c5dde9d142fda4c391d9a3108499da565',
    signature: '87c1c49ce19c166dd172a66cd571eb3d099902c0c164a1383455e565733cf715'
  }
]

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]))

describe('SigV4: the known-answer vectors of providers-next.md §3', () => {
  it('common inputs: empty body hash, signing key, X-Amz-Date', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(signingKey(SK, '20150830', 'us-east-1', 'service').toString('hex')).toBe('938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75')
    expect(signingKey(SK, '20150830', 'us-east-1', 'cloudfront').toString('hex')).toBe('d7b9c0bced616b02801361a061b7c697294d5a822c3f4bd18a14b5eea7418760')
    expect(amzDate(AT)).toBe(DATE)
    expect(sha256Hex(S5_BODY)).toBe('e752f7252e91bfa87da650d02732631b1e5084ecc8c015e1f9c71491fcfda86e')
    expect(
      canonicalQuery([
        ['Param2', 'value2'],
        ['Param1', 'value1']
      ])
    ).toBe('Param1=value1&Param2=value2')
  })

  for (const v of vectors) {
    it(`${v.name}: the client's signer gives the published canonical request hash and signature`, () => {
      const s = sigV4Sign({ ...suite, service: v.service, method: v.method, path: v.path, query: v.query, headers: v.headers, body: v.body })
      expect(sha256Hex(s.canonicalRequest)).toBe(v.canonicalHash)
      expect(s.signature).toBe(v.signature)
      expect(s.authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/${v.service}/aws4_request, SignedHeaders=${s.signedHeaders}, Signature=${v.signature}`
      )
    })

    it(`${v.name}: the emulator's verifier accepts the published Authorization and refuses a changed one`, () => {
      const signed = Object.keys(v.headers)
        .map((h) => h.toLowerCase())
        .sort()
        .join(';')
      const authorization = `AWS4-HMAC-SHA256 Credential=${AK}/20150830/us-east-1/${v.service}/aws4_request, SignedHeaders=${signed}, Signature=${v.signature}`
      const query = new URLSearchParams(v.query)
      const req = { method: v.method, path: v.path, query, headers: { ...lower(v.headers), authorization }, body: v.body }
      const scope = { region: 'us-east-1', service: v.service, now: AT, maxSkewSeconds: 300 }
      const secretOf = (ak: string) => (ak === AK ? SK : undefined)
      expect(verifySigV4(req, secretOf, scope)).toEqual({ ok: true, accessKey: AK })
      expect(verifySigV4({ ...req, body: v.body + ' ' }, secretOf, scope)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })
      expect(verifySigV4({ ...req, method: v.method === 'GET' ? 'POST' : 'GET' }, secretOf, scope)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })
      expect(verifySigV4(req, () => SK + 'x', scope)).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' })
      // six minutes later: expired (§3 step 4)
      expect(verifySigV4(req, secretOf, { ...scope, now: AT + 6 * 60_000 })).toMatchObject({
        ok: false,
        code: 'SignatureDoesNotMatch',
        message: expect.stringMatching(/^Signature expired/)
      })
    })
  }

  it('the verifier sorts the query by name, then value, as the signer does (a=1 before a-b=2, unlike the joined text)', () => {
    const query: [string, string][] = [
      ['a-b', '2'],
      ['a', '1'],
      ['a', '0']
    ]
    const s = sigV4Sign({ ...suite, method: 'GET', path: '/', query, headers: { Host: host, 'X-Amz-Date': DATE }, body: '' })
    expect(s.canonicalRequest.split('\n')[2]).toBe('a=0&a=1&a-b=2')
    const req = { method: 'GET', path: '/', query: new URLSearchParams(query), headers: { host, 'x-amz-date': DATE, authorization: s.authorization }, body: '' }
    expect(verifySigV4(req, () => SK, { region: 'us-east-1', service: 'service', now: AT, maxSkewSeconds: 300 })).toEqual({ ok: true, accessKey: AK })
  })

  it('the verifier checks host and x-amz-date are signed, and the token header when sent', () => {
    const s = sigV4Sign({ ...suite, method: 'GET', path: '/', headers: { 'X-Amz-Date': DATE }, body: '' })
    const base = { method: 'GET', path: '/', query: new URLSearchParams(), body: '' }
    const scope = { region: 'us-east-1', service: 'service', now: AT, maxSkewSeconds: 300 }
    expect(verifySigV4({ ...base, headers: { host, 'x-amz-date': DATE, authorization: s.authorization } }, () => SK, scope)).toMatchObject({
      ok: false,
      code: 'IncompleteSignature',
      message: 'SignedHeaders must include host.'
    })
    const t = sigV4Sign({ ...suite, method: 'GET', path: '/', headers: { Host: host, 'X-Amz-Date': DATE }, body: '' })
    expect(
      verifySigV4({ ...base, headers: { host, 'x-amz-date': DATE, 'x-amz-security-token': 'tok', authorization: t.authorization } }, () => SK, scope)
    ).toMatchObject({ ok: false, code: 'IncompleteSignature', message: 'SignedHeaders must include x-amz-security-token.' })
    expect(verifySigV4({ ...base, headers: { host, 'x-amz-date': DATE } }, () => SK, scope)).toMatchObject({ code: 'MissingAuthenticationToken' })
    expect(verifySigV4({ ...base, headers: { host, 'x-amz-date': DATE, authorization: t.authorization } }, () => undefined, scope)).toMatchObject({
      code: 'InvalidClientTokenId'
    })
  })
})
