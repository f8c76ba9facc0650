import { InputError } from '../../errors.js'
import type { ProviderDefinition } from '../provider.js'
import { limits, TENCENT_DEFAULT_ENDPOINT, TENCENT_ENV, TencentClient, type TencentSettings } from './client.js'

export { TencentClient, TENCENT_ENV, type TencentSettings, type TencentNeed, type TencentQuota } from './client.js'

/**
 * Tencent Cloud CDN (API 2018-06-06, TC3-HMAC-SHA256). `access-key` is the SecretId,
 * `secret-key` the SecretKey and `session-token` the token of temporary credentials; from the
 * inputs, or all from the variables Tencent's own tools read.
 */
export const tencentcloud: ProviderDefinition<TencentSettings> = {
  name: 'tencentcloud',
  defaultEndpoint: TENCENT_DEFAULT_ENDPOINT,
  limits,
  // A `*` anywhere is refused for the whole call (InvalidParameter.CdnPurgeWildcardNotAllowed /
  // CdnPushWildcardNotAllowed, providers-next.md §2 "Errors"): named before anything is sent.
  refuseItem: (item) =>
    item.url.includes('*') ? 'Tencent Cloud takes * for a wildcard and refuses the whole call; rename the file or leave the URL out' : null,
  inputs: [
    { name: 'access-key', secret: false, env: [TENCENT_ENV.secretId] },
    { name: 'secret-key', secret: true, env: [TENCENT_ENV.secretKey] },
    { name: 'session-token', secret: true, env: [TENCENT_ENV.sessionToken] }
  ],
  readSettings(read) {
    const c: TencentSettings = { accessKey: read('access-key'), secretKey: read('secret-key'), sessionToken: read('session-token') }
    if (c.accessKey === '') {
      throw new InputError(
        'access-key',
        'tencentcloud needs the SecretId (CAM console, API keys; it starts with AKID); pass it as access-key: ${{ secrets.TENCENTCLOUD_SECRET_ID }} or set TENCENTCLOUD_SECRET_ID'
      )
    }
    if (c.secretKey === '') {
      throw new InputError(
        'secret-key',
        'tencentcloud needs the SecretKey that signs every request; store it as a repository secret and pass it as secret-key: ${{ secrets.TENCENTCLOUD_SECRET_KEY }} or set TENCENTCLOUD_SECRET_KEY'
      )
    }
    if (/\s/.test(c.accessKey)) throw new InputError('access-key', 'contains white space; paste the SecretId exactly as the console shows it')
    if (/\s/.test(c.secretKey)) throw new InputError('secret-key', 'contains white space; paste the SecretKey exactly as the console shows it')
    if (/\s/.test(c.sessionToken)) throw new InputError('session-token', 'contains white space; give the session token exactly as issued')
    return c
  },
  create: (ctx, settings) => new TencentClient(ctx, settings)
}
