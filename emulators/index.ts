import { startAliyunEmulator } from './aliyun.js'
import { startCdnetworksEmulator } from './cdnetworks.js'
import { CLOUDFLARE_EXAMPLE_ZONE, startCloudflareEmulator } from './cloudflare.js'
import { startCloudFrontEmulator } from './cloudfront.js'
import type { RunningEmulator } from './server.js'
import { startTencentEmulator } from './tencentcloud.js'
import { startUcloudEmulator } from './ucloud.js'
import { startZtgameEmulator } from './ztgame.js'

/** An emulator plus the action inputs that authenticate against it. */
export interface DemoEmulator extends RunningEmulator {
  credentials: Record<string, string>
}

export interface DemoEmulatorOptions {
  completeAfterMs?: number
  latencyMs?: number
  port?: number
  /** URLs that end in failure (ztgame: their whole task, as its status is per task). */
  failUrls?: string[]
  /** URLs that never become final. */
  stallUrls?: string[]
  /** ztgame only: the account's hosts; a submit for any other host is refused (HTTP 403). */
  hosts?: string[]
}

/** Providers whose demo emulator takes `hosts`. */
export const providersWithHosts = ['ztgame']

export const demoProviders = ['ztgame', 'cdnetworks', 'ucloud', 'aliyun', 'tencentcloud', 'cloudfront', 'cloudflare']

/** Starts the named provider's emulator with demo credentials. */
export async function startDemoEmulator(provider: string, options: DemoEmulatorOptions = {}): Promise<DemoEmulator> {
  const common = {
    completeAfterMs: options.completeAfterMs ?? 1500,
    latencyMs: options.latencyMs,
    port: options.port,
    failUrls: options.failUrls,
    stallUrls: options.stallUrls
  }
  if (options.hosts?.length && !providersWithHosts.includes(provider)) throw new Error(`the ${provider} emulator takes no host list`)
  switch (provider) {
    case 'ztgame': {
      const token = 'demo-token'
      return Object.assign(await startZtgameEmulator({ ...common, hosts: options.hosts, tokens: [token] }), { credentials: { token } })
    }
    case 'cdnetworks': {
      const username = 'demo'
      const apiKey = 'demo-api-key'
      // Prefetch status is limited to one call per 5 minutes: a prefetch not final at the
      // first round (~1 s after submitting) would hold the demo for 5 minutes, so it is final at once.
      return Object.assign(await startCdnetworksEmulator({ ...common, prefetchCompleteAfterMs: 0, users: { [username]: apiKey } }), {
        credentials: { username, 'api-key': apiKey }
      })
    }
    case 'ucloud': {
      const publicKey = 'demo-public-key'
      const privateKey = 'demo-private-key'
      return Object.assign(await startUcloudEmulator({ ...common, keys: { [publicKey]: privateKey } }), {
        credentials: { 'public-key': publicKey, 'private-key': privateKey }
      })
    }
    case 'aliyun': {
      const accessKey = 'demo-access-key-id'
      const secretKey = 'demo-access-key-secret'
      return Object.assign(await startAliyunEmulator({ ...common, keys: { [accessKey]: secretKey } }), {
        credentials: { 'access-key': accessKey, 'secret-key': secretKey }
      })
    }
    case 'tencentcloud': {
      const secretId = 'AKIDdemo'
      const secretKey = 'demo-secret-key'
      return Object.assign(await startTencentEmulator({ ...common, keys: { [secretId]: secretKey } }), {
        credentials: { 'access-key': secretId, 'secret-key': secretKey }
      })
    }
    case 'cloudfront': {
      // CloudFront has no failed state (providers-next.md §0): an invalidation only completes.
      if (options.failUrls?.length) throw new Error('the cloudfront emulator has no failing URLs: an invalidation only completes (use a stall URL)')
      const accessKey = 'AKIADEMOACCESSKEY'
      const secretKey = 'demo-secret-access-key'
      const distribution = 'EDFDVBD6EXAMPLE'
      const stallPaths = (options.stallUrls ?? []).map((u) => {
        const url = new URL(u)
        return url.pathname + url.search
      })
      return Object.assign(
        await startCloudFrontEmulator({ ...common, stallPaths, keys: { [accessKey]: secretKey }, distributions: { [distribution]: accessKey } }),
        { credentials: { 'access-key': accessKey, 'secret-key': secretKey, 'distribution-id': distribution } }
      )
    }
    case 'cloudflare': {
      // Purge only, final on acceptance: failUrls are refused at submit; nothing stalls or completes later.
      const token = 'DemoCloudflareApiToken0123456789abcdefgh'
      return Object.assign(
        await startCloudflareEmulator({
          tokens: { [token]: [CLOUDFLARE_EXAMPLE_ZONE] },
          latencyMs: options.latencyMs,
          port: options.port,
          failUrls: options.failUrls
        }),
        { credentials: { token, 'zone-id': CLOUDFLARE_EXAMPLE_ZONE } }
      )
    }
    default:
      throw new Error(`no emulator for provider '${provider}'`)
  }
}
