import { InputError } from '../../errors.js'
import type { ProviderDefinition } from '../provider.js'
import { AliyunClient, aliyunLimits, type AliyunCredentials } from './client.js'

export {
  ALIYUN_MAX_ATTEMPTS,
  AliyunClient,
  aliyunLimits,
  mapAliyunStatus,
  type AliyunCredentials,
  type AliyunQuotaNeed,
  type AliyunQuotaLine
} from './client.js'
export { acs3Authorization, acs3Signature, percentEncode, rpcSignature, rpcStringToSign } from './signer.js'

/**
 * Alibaba Cloud CDN (API 2018-05-10), classic RPC HMAC-SHA1 signing. Not registered yet:
 * the lead wires it through the new provider seam (env fallbacks ALIBABA_CLOUD_ACCESS_KEY_ID,
 * ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN belong there).
 */
export const aliyun: ProviderDefinition = {
  name: 'aliyun',
  defaultEndpoint: 'https://cdn.aliyuncs.com',
  limits: aliyunLimits,
  checkCredentials(c) {
    if (c.accessKey === '') {
      throw new InputError('access-key', 'aliyun needs an AccessKey ID (RAM console); pass access-key: ${{ secrets.ALIBABA_CLOUD_ACCESS_KEY_ID }}')
    }
    if (c.secretKey === '') {
      throw new InputError(
        'secret-key',
        'aliyun needs the AccessKey secret that signs every request; store it as a repository secret and pass secret-key: ${{ secrets.ALIBABA_CLOUD_ACCESS_KEY_SECRET }}'
      )
    }
    if (/\s/.test(c.accessKey)) throw new InputError('access-key', 'contains white space; paste the AccessKey ID exactly as the console shows it')
    if (/\s/.test(c.secretKey)) throw new InputError('secret-key', 'contains white space; paste the AccessKey secret exactly as the console shows it')
    const token = (c as AliyunCredentials).securityToken
    if (token !== undefined && /\s/.test(token))
      throw new InputError('ALIBABA_CLOUD_SECURITY_TOKEN', 'contains white space; give the STS token exactly as issued')
  },
  create: (ctx) => new AliyunClient(ctx)
}
