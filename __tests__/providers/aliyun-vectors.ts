/** The Alibaba Cloud known-answer vectors of providers-next.md §1 (A-1…A-5), shared by the signer and emulator tests. */
import type { Acs3Request } from '../../src/providers/aliyun/signer.js'

export interface RpcVector {
  name: string
  method: 'GET' | 'POST'
  secret: string
  params: Record<string, string>
  /** The whole StringToSign where providers-next.md prints it, else its printed beginning. */
  stringToSign?: string
  stringToSignStart?: string
  signature: string
}

const a1: Record<string, string> = {
  AccessKeyId: 'testid',
  Action: 'DescribeRegions',
  Format: 'XML',
  SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
  SignatureVersion: '1.0',
  TimeStamp: '2016-02-23T12:46:24Z',
  Version: '2014-05-26'
}

export const RPC_VECTORS: RpcVector[] = [
  {
    name: 'A-1 (published, DescribeRegions)',
    method: 'GET',
    secret: 'testsecret',
    params: a1,
    stringToSign:
      'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
    signature: 'CT9X0VtwR86fNWSnsc6v8YGOjuE='
  },
  {
    name: 'A-2 (SDK test, RegionId)',
    method: 'GET',
    secret: 'testsecret',
    params: { ...a1, TimeStamp: '2012-12-26T10:33:56Z', SignatureNonce: 'NwDAxvLU6tFE0DVb', RegionId: 'region1' },
    signature: 'K9fCVP6Jrklpd3rLYKh1pfrrFNo='
  },
  {
    name: 'A-3 (derived, CDN POST with a newline and a space)',
    method: 'POST',
    secret: 'testsecret',
    params: {
      AccessKeyId: 'testid',
      Action: 'RefreshObjectCaches',
      Format: 'JSON',
      ObjectPath: 'https://example.com/a.png\nhttps://example.com/dir/b c.png',
      ObjectType: 'File',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Timestamp: '2024-01-01T00:00:00Z',
      Version: '2018-05-10'
    },
    stringToSignStart:
      'POST&%2F&AccessKeyId%3Dtestid%26Action%3DRefreshObjectCaches%26Format%3DJSON%26ObjectPath%3Dhttps%253A%252F%252Fexample.com%252Fa.png%250Ahttps%253A',
    signature: 'KOv9u3AVvyLikUp9Wkopvl88Ggg='
  }
]

/** A-1's trap: the doc prints the pairs joined by a literal `&`; signing that text gives this. */
export const A1_TRAP_SIGNATURE = 'LZ5DVzNj95387UDL70u7+18AwWY='

export interface Acs3Vector {
  name: string
  request: Acs3Request
  accessKeyId: string
  secret: string
  /** Hex SHA-256 of the CanonicalRequest, where published. */
  hashedCanonicalRequest?: string
  signature: string
}

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

export const ACS3_VECTORS: Acs3Vector[] = [
  {
    name: 'A-4 (published, RunInstances)',
    request: {
      method: 'POST',
      path: '/',
      query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
      headers: {
        host: 'ecs.cn-shanghai.aliyuncs.com',
        'x-acs-action': 'RunInstances',
        'x-acs-version': '2014-05-26',
        'x-acs-date': '2023-10-26T10:22:32Z',
        'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
        'x-acs-content-sha256': EMPTY
      },
      body: ''
    },
    accessKeyId: 'YourAccessKeyId',
    secret: 'YourAccessKeySecret',
    hashedCanonicalRequest: '7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259',
    signature: '06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0'
  },
  {
    name: 'A-5 (derived, CDN RefreshObjectCaches)',
    request: {
      method: 'POST',
      path: '/',
      query: { ObjectPath: 'https://example.com/a.png', ObjectType: 'File' },
      headers: {
        host: 'cdn.aliyuncs.com',
        'x-acs-action': 'RefreshObjectCaches',
        'x-acs-version': '2018-05-10',
        'x-acs-date': '2024-01-01T00:00:00Z',
        'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
        'x-acs-content-sha256': EMPTY
      },
      body: ''
    },
    accessKeyId: 'testid',
    secret: 'testsecret',
    signature: 'cb2eea19c79336609c72ed62485a7de8a8409beb9ba4567647340dc6c08490b5'
  }
]
