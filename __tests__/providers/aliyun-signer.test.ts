import { createHmac } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import {
  acs3Authorization,
  acs3CanonicalRequest,
  acs3Signature,
  acs3StringToSign,
  percentEncode,
  rpcSignature,
  rpcStringToSign,
  sha256Hex
} from '../../src/providers/aliyun/signer.js'
import { A1_TRAP_SIGNATURE, ACS3_VECTORS, RPC_VECTORS } from './aliyun-vectors.js'

describe('percentEncode (RFC 3986, providers-next.md §1 step 2)', () => {
  it.each([
    ['a b', 'a%20b'],
    ['*', '%2A'],
    ['~', '~'],
    ["!'()", '%21%27%28%29'],
    ['https://x/é\n', 'https%3A%2F%2Fx%2F%C3%A9%0A'],
    ['A-Z_a.z0-9', 'A-Z_a.z0-9']
  ])('%j → %s', (input, out) => expect(percentEncode(input)).toBe(out))
})

describe('RPC HMAC-SHA1 known-answer vectors', () => {
  it.each(RPC_VECTORS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const sts = rpcStringToSign(v.method, v.params)
    if (v.stringToSign) expect(sts).toBe(v.stringToSign)
    if (v.stringToSignStart) expect(sts.startsWith(v.stringToSignStart)).toBe(true)
    expect(rpcSignature(v.method, v.params, v.secret)).toBe(v.signature)
    // Signature itself is never signed.
    expect(rpcSignature(v.method, { ...v.params, Signature: 'x' }, v.secret)).toBe(v.signature)
  })

  it('A-1 trap: the doc text with literal & signs to a different value, which we do not produce', () => {
    const v = RPC_VECTORS[0]
    const printed = v.stringToSign!.replace(/%26/g, '&')
    expect(createHmac('sha1', 'testsecret&').update(printed).digest('base64')).toBe(A1_TRAP_SIGNATURE)
    expect(rpcSignature(v.method, v.params, v.secret)).not.toBe(A1_TRAP_SIGNATURE)
  })

  it('the method is signed', () => {
    const v = RPC_VECTORS[0]
    expect(rpcSignature('POST', v.params, v.secret)).not.toBe(v.signature)
  })
})

describe('ACS3-HMAC-SHA256 known-answer vectors', () => {
  it.each(ACS3_VECTORS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const canonical = acs3CanonicalRequest(v.request)
    expect(canonical.split('\n')[0]).toBe('POST')
    if (v.hashedCanonicalRequest) expect(sha256Hex(canonical)).toBe(v.hashedCanonicalRequest)
    expect(acs3StringToSign(v.request)).toBe(`ACS3-HMAC-SHA256\n${sha256Hex(canonical)}`)
    expect(acs3Signature(v.request, v.secret)).toBe(v.signature)
    expect(acs3Authorization(v.request, v.accessKeyId, v.secret)).toBe(
      `ACS3-HMAC-SHA256 Credential=${v.accessKeyId},SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=${v.signature}`
    )
  })

  it('A-4 canonical request text, line by line', () => {
    expect(acs3CanonicalRequest(ACS3_VECTORS[0].request)).toBe(
      [
        'POST',
        '/',
        'ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai',
        'host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n',
        'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
      ].join('\n')
    )
  })

  it('A-4 with GET instead of POST signs differently (the method matters)', () => {
    const v = ACS3_VECTORS[0]
    expect(acs3Signature({ ...v.request, method: 'GET' }, v.secret)).not.toBe(v.signature)
  })
})
