import { createHash, randomUUID } from 'node:crypto'
import { InputError } from '../../errors.js'
import { shown } from '../../external.js'
import type { ProviderDefinition } from '../provider.js'
import { CLOUDFRONT_DEFAULT_ENDPOINT, CLOUDFRONT_ENV, CloudFrontClient, cloudfrontLimits, invalidationPath, type CloudFrontSettings } from './client.js'

export { CloudFrontClient, CLOUDFRONT_ENV, type CloudFrontSettings } from './client.js'

/** A distribution id as the console shows it, e.g. EDFDVBD6EXAMPLE: upper-case letters and digits. */
const DISTRIBUTION_ID = /^[A-Z0-9]{1,128}$/
/** A host as URLs give it: letters, digits, dots, hyphens, an optional port. */
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/

/**
 * The `distribution-id` input: one id for every host, or one `host=id` per line. Throws
 * InputError naming the input for a malformed line, a bad id or a host given twice.
 */
export function parseDistributions(raw: string): Pick<CloudFrontSettings, 'distribution' | 'hosts'> {
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  const checkId = (id: string, line: string): string => {
    if (!DISTRIBUTION_ID.test(id))
      throw new InputError(
        'distribution-id',
        `'${shown(line, 200)}': '${shown(id, 140)}' is not a distribution id (upper-case letters and digits, e.g. EDFDVBD6EXAMPLE, as the CloudFront console shows it)`
      )
    return id
  }
  if (lines.length === 0)
    throw new InputError('distribution-id', 'cloudfront needs the distribution id (e.g. EDFDVBD6EXAMPLE), or one host=id line per host the rules map to')
  if (lines.length === 1 && !lines[0].includes('=')) return { distribution: checkId(lines[0], lines[0]), hosts: {} }
  const hosts: Record<string, string> = {}
  for (const line of lines) {
    const eq = line.indexOf('=')
    if (eq < 0)
      throw new InputError('distribution-id', `'${shown(line, 200)}' is not host=id; with several lines, each names its host (cdn.example.com=EDFDVBD6EXAMPLE)`)
    const host = line.slice(0, eq).trim().toLowerCase()
    const id = line.slice(eq + 1).trim()
    if (!HOST.test(host))
      throw new InputError('distribution-id', `'${shown(line, 200)}': '${shown(host, 200)}' is not a host name (as in the URLs, no scheme or path)`)
    if (Object.hasOwn(hosts, host)) throw new InputError('distribution-id', `host ${host} is given twice; give each host one distribution`)
    hosts[host] = checkId(id, line)
  }
  return { distribution: '', hosts }
}

/** Keeps a CallerReference part to letters, digits and `-`, bounded. */
const part = (text: string, max: number): string => text.replace(/[^A-Za-z0-9-]/g, '').slice(0, max)

/**
 * The run's part of every CallerReference: GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT, and a hash
 * of the job and step (GITHUB_JOB, GITHUB_ACTION), so a re-run or a second purge step makes new
 * invalidations while a resend within one step repeats its reference. Outside Actions, random.
 */
export function runReference(env: NodeJS.ProcessEnv): string {
  const run = part(env.GITHUB_RUN_ID ?? '', 24)
  if (run === '') return `local-${randomUUID()}`
  const step = createHash('sha256')
    .update(`${env.GITHUB_JOB ?? ''}\n${env.GITHUB_ACTION ?? ''}`)
    .digest('hex')
    .slice(0, 12)
  return `run-${run}-${part(env.GITHUB_RUN_ATTEMPT ?? '1', 6) || '1'}-${step}`
}

/**
 * AWS CloudFront (API 2020-05-31, SigV4). `access-key`, `secret-key` and `session-token`, or all
 * from the variables aws-actions/configure-aws-credentials sets (OIDC needs no stored keys).
 * Purge only: CloudFront has no prefetch API. `readSettings` reads the run ids from the
 * environment for CallerReference.
 */
export const cloudfront: ProviderDefinition<CloudFrontSettings> = {
  name: 'cloudfront',
  defaultEndpoint: CLOUDFRONT_DEFAULT_ENDPOINT,
  limits: cloudfrontLimits,
  operations: ['purge'],
  refuseItem(item) {
    try {
      invalidationPath(item)
      return null
    } catch (err) {
      return (err as Error).message
    }
  },
  inputs: [
    { name: 'access-key', secret: false, env: [CLOUDFRONT_ENV.accessKey] },
    { name: 'secret-key', secret: true, env: [CLOUDFRONT_ENV.secretKey] },
    { name: 'session-token', secret: true, env: [CLOUDFRONT_ENV.sessionToken] },
    { name: 'distribution-id', secret: false }
  ],
  readSettings(read) {
    const accessKey = read('access-key')
    const secretKey = read('secret-key')
    const sessionToken = read('session-token')
    if (accessKey === '')
      throw new InputError(
        'access-key',
        `cloudfront needs AWS credentials: run aws-actions/configure-aws-credentials first (OIDC, it sets ${CLOUDFRONT_ENV.accessKey}), or pass access-key: \${{ secrets.AWS_ACCESS_KEY_ID }}`
      )
    if (secretKey === '')
      throw new InputError(
        'secret-key',
        `cloudfront needs the secret access key of access-key; pass secret-key: \${{ secrets.AWS_SECRET_ACCESS_KEY }} or set ${CLOUDFRONT_ENV.secretKey}`
      )
    if (/\s/.test(accessKey)) throw new InputError('access-key', 'contains white space; paste the access key id exactly as IAM shows it')
    if (/\s/.test(secretKey)) throw new InputError('secret-key', 'contains white space; paste the secret access key exactly as issued')
    if (/\s/.test(sessionToken)) throw new InputError('session-token', 'contains white space; give the session token exactly as issued')
    return { accessKey, secretKey, sessionToken, ...parseDistributions(read('distribution-id')), runRef: runReference(process.env) }
  },
  create: (ctx, settings) => new CloudFrontClient(ctx, settings)
}
