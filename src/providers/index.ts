import { InputError } from '../errors.js'
import type { ProviderDefinition } from './provider.js'
import { aliyun } from './aliyun/index.js'
import { cdnetworks } from './cdnetworks.js'
import { cloudflare } from './cloudflare.js'
import { cloudfront } from './cloudfront/index.js'
import { tencentcloud } from './tencentcloud/index.js'
import { ucloud } from './ucloud.js'
import { ztgame } from './ztgame.js'

/** Every supported CDN, by the name the `provider` input takes. */
export const providers: readonly ProviderDefinition[] = [ztgame, cdnetworks, ucloud, aliyun, tencentcloud, cloudfront, cloudflare]

export const providerNames = providers.map((p) => p.name)

export function providerByName(name: string): ProviderDefinition {
  const found = providers.find((p) => p.name === name)
  if (!found) {
    const shown = name === '' ? 'is required' : `'${name}' is not supported`
    throw new InputError('provider', `${shown}; use one of: ${providerNames.join(', ')}`)
  }
  return found
}
