import { InputError } from '../../errors.js'
import type { ProviderDefinition } from '../provider.js'
import { ALIYUN_PREFETCH_PATH_CHARS, AliyunClient, aliyunLimits, type AliyunSettings } from './client.js'

export { ALIYUN_MAX_ATTEMPTS, AliyunClient, aliyunLimits, mapAliyunStatus, type AliyunSettings, type AliyunQuotaNeed, type AliyunQuotaLine } from './client.js'
export { acs3Authorization, acs3Signature, percentEncode, rpcSignature, rpcStringToSign } from './signer.js'

/**
 * Alibaba Cloud CDN (API 2018-05-10), classic RPC HMAC-SHA1 signing. Credentials from the
 * inputs, or all from the variables Alibaba's own tools read.
 */
export const aliyun: ProviderDefinition<AliyunSettings> = {
  name: 'aliyun',
  defaultEndpoint: 'https://cdn.aliyuncs.com',
  limits: aliyunLimits,
  // §1 Operations: PushObjectCache takes paths of at most 1,024 characters each (URLs are sent encoded, so ASCII).
  refuseItem: (item, op) =>
    op === 'prefetch' && item.url.length > ALIYUN_PREFETCH_PATH_CHARS
      ? `PushObjectCache takes URLs of at most ${ALIYUN_PREFETCH_PATH_CHARS} characters; this one has ${item.url.length} (purge it instead, or shorten the path)`
      : null,
  inputs: [
    { name: 'access-key', secret: false, env: ['ALIBABA_CLOUD_ACCESS_KEY_ID'] },
    { name: 'secret-key', secret: true, env: ['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] },
    { name: 'session-token', secret: true, env: ['ALIBABA_CLOUD_SECURITY_TOKEN'] }
  ],
  readSettings(read) {
    const c: AliyunSettings = { accessKey: read('access-key'), secretKey: read('secret-key'), securityToken: read('session-token') }
    if (c.accessKey === '') {
      throw new InputError(
        'access-key',
        'aliyun needs an AccessKey ID (RAM console); pass access-key: ${{ secrets.ALIBABA_CLOUD_ACCESS_KEY_ID }} or set ALIBABA_CLOUD_ACCESS_KEY_ID'
      )
    }
    if (c.secretKey === '') {
      throw new InputError(
        'secret-key',
        'aliyun needs the AccessKey secret that signs every request; store it as a repository secret and pass secret-key: ${{ secrets.ALIBABA_CLOUD_ACCESS_KEY_SECRET }} or set ALIBABA_CLOUD_ACCESS_KEY_SECRET'
      )
    }
    if (/\s/.test(c.accessKey)) throw new InputError('access-key', 'contains white space; paste the AccessKey ID exactly as the console shows it')
    if (/\s/.test(c.secretKey)) throw new InputError('secret-key', 'contains white space; paste the AccessKey secret exactly as the console shows it')
    if (/\s/.test(c.securityToken)) throw new InputError('session-token', 'contains white space; give the STS security token exactly as issued')
    return c
  },
  create: (ctx, settings) => new AliyunClient(ctx, settings)
}
