import { describe, expect, it } from '@jest/globals'
import { sha256Hex, tc3Date, tc3Sign, tc3SigningKey, tc3Signature, tc3StringToSign } from '../../src/providers/tencentcloud/signer.js'

/** The known-answer vectors of providers-next.md §2 (T-1…T-4), every published value pinned. */
const CVM_BODY = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
const CONTENT_TYPE = 'application/json; charset=utf-8'
const EXAMPLE = { secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE', secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE' }
const cvm = { service: 'cvm', host: 'cvm.tencentcloudapi.com', timestamp: 1551113065, contentType: CONTENT_TYPE, body: CVM_BODY }

describe('TC3-HMAC-SHA256: the known-answer vectors of providers-next.md §2', () => {
  it('common inputs: the body is the literal \\uXXXX text; its SHA-256 and the UTC date', () => {
    expect(CVM_BODY).toContain('\\u672a')
    expect(sha256Hex(CVM_BODY)).toBe('35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064')
    // UTC date 2019-02-25, although in UTC+8 it is already the 26th.
    expect(tc3Date(1551113065)).toBe('2019-02-25')
    expect(tc3Date(1700000000)).toBe('2023-11-14')
  })

  it('T-1 (published, current form): canonical request, string to sign, signature, Authorization', () => {
    const s = tc3Sign({ ...cvm, secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******', secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******' })
    expect(s.canonicalRequest).toBe(
      'POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064'
    )
    expect(sha256Hex(s.canonicalRequest)).toBe('5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031')
    expect(s.stringToSign).toBe('TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031')
    expect(s.signedHeaders).toBe('content-type;host')
    expect(s.signature).toBe('2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c')
    expect(s.authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c'
    )
  })

  it('T-2 (published, older form): the …EXAMPLE key', () => {
    const s = tc3Sign({ ...cvm, ...EXAMPLE })
    expect(sha256Hex(s.canonicalRequest)).toBe('5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031')
    expect(s.signature).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168')
    expect(s.authorization).toBe(
      'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168'
    )
  })

  it('T-3 (derived): signing x-tc-action (lowercased)', () => {
    const s = tc3Sign({ ...cvm, ...EXAMPLE, action: 'DescribeInstances' })
    expect(s.canonicalRequest).toContain('host:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n')
    expect(s.signedHeaders).toBe('content-type;host;x-tc-action')
    expect(sha256Hex(s.canonicalRequest)).toBe('7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84')
    expect(s.signature).toBe('644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26')
  })

  it('T-4 (derived): a CDN purge body', () => {
    const body = '{"Urls":["https://example.com/a.png","https://example.com/b.png"]}'
    const s = tc3Sign({ ...EXAMPLE, service: 'cdn', host: 'cdn.tencentcloudapi.com', timestamp: 1700000000, contentType: CONTENT_TYPE, body })
    expect(sha256Hex(body)).toBe('c85478fd0d6e9b639f152a46b19b3ca53d9e2c0ded1ba5aa79aef4defb81f2a5')
    expect(sha256Hex(s.canonicalRequest)).toBe('5d56bee5df813a631c4218270937e376aaeb08ed0ead02587b7d0078df035a92')
    expect(s.stringToSign).toBe('TC3-HMAC-SHA256\n1700000000\n2023-11-14/cdn/tc3_request\n5d56bee5df813a631c4218270937e376aaeb08ed0ead02587b7d0078df035a92')
    expect(s.signature).toBe('4829893c5479d5e747b2e91b319cb2d0159626144d35f23091db34f71829f30d')
  })

  it('the steps compose: derived key then HMAC of the string to sign gives the same signature', () => {
    const s = tc3Sign({ ...cvm, ...EXAMPLE })
    const key = tc3SigningKey(EXAMPLE.secretKey, '2019-02-25', 'cvm')
    expect(key).toHaveLength(32)
    expect(tc3Signature(key, tc3StringToSign(1551113065, 'cvm', s.canonicalRequest))).toBe(s.signature)
    // The date in the key is the UTC one: the UTC+8 date gives another key.
    expect(tc3SigningKey(EXAMPLE.secretKey, '2019-02-26', 'cvm').equals(key)).toBe(false)
  })

  it('the content type is signed byte for byte (charset matters)', () => {
    const a = tc3Sign({ ...cvm, ...EXAMPLE })
    const b = tc3Sign({ ...cvm, ...EXAMPLE, contentType: 'application/json' })
    expect(b.signature).not.toBe(a.signature)
  })
})
