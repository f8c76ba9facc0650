// Placeholder: being written (issue 3).
import { InputError } from '../errors.js'
import type { ProviderDefinition } from './provider.js'

export const cdnetworks: ProviderDefinition = {
  name: 'cdnetworks',
  defaultEndpoint: 'https://api.cdnetworks.com',
  limits: {
    itemsPerCall: { purge: 500, prefetch: 400 },
    oneHostPerCall: false,
    mixedKindsPerCall: true,
    directories: true,
    statusIdsPerCall: { purge: 1, prefetch: 1 },
    defaultPollSeconds: { purge: 10, prefetch: 300 },
    defaultConcurrency: 2
  },
  checkCredentials() {
    throw new InputError('provider', 'cdnetworks is not available yet')
  },
  create() {
    throw new Error('cdnetworks is not available yet')
  }
}
