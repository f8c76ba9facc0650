import { InputError } from '../../errors.js'
import type { ProviderDefinition } from '../provider.js'
import { limits, TENCENT_DEFAULT_ENDPOINT, TencentClient, type TencentContext } from './client.js'

export { TencentClient, TENCENT_ENV, type TencentContext, type TencentNeed, type TencentQuota } from './client.js'

/**
 * Tencent Cloud CDN (API 2018-06-06, TC3-HMAC-SHA256). `access-key` is the SecretId and
 * `secret-key` the SecretKey; an STS session token comes in `TencentContext.sessionToken`.
 * Not registered in ../index.ts yet.
 */
export const tencentcloud: ProviderDefinition = {
  name: 'tencentcloud',
  defaultEndpoint: TENCENT_DEFAULT_ENDPOINT,
  limits,
  checkCredentials(c) {
    if (c.accessKey === '') {
      throw new InputError(
        'access-key',
        'tencentcloud needs the SecretId (CAM console, API keys; it starts with AKID); pass it as access-key: ${{ secrets.TENCENTCLOUD_SECRET_ID }}'
      )
    }
    if (c.secretKey === '') {
      throw new InputError(
        'secret-key',
        'tencentcloud needs the SecretKey that signs every request; store it as a repository secret and pass it as secret-key: ${{ secrets.TENCENTCLOUD_SECRET_KEY }}'
      )
    }
    if (/\s/.test(c.accessKey)) throw new InputError('access-key', 'contains white space; paste the SecretId exactly as the console shows it')
    if (/\s/.test(c.secretKey)) throw new InputError('secret-key', 'contains white space; paste the SecretKey exactly as the console shows it')
  },
  create: (ctx) => new TencentClient(ctx as TencentContext)
}
