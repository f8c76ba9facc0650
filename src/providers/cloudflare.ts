import { hostOf } from '../engine/host.js'
import { InputError } from '../errors.js'
import { hasControls, shown, shownBody } from '../external.js'
import { HttpError, type HttpResponse } from '../http/transport.js'
import { count } from '../text.js'
import {
  asRecord,
  ProviderError,
  transportError,
  type Batch,
  type CdnProvider,
  type ItemStatus,
  type PlanNeeds,
  type ProviderContext,
  type ProviderDefinition,
  type ProviderLimits,
  type Task
} from './provider.js'

/** Cloudflare's API v4 (providers-next.md §4). */
export const CLOUDFLARE_DEFAULT_ENDPOINT = 'https://api.cloudflare.com/client/v4'
/** The variable wrangler and Cloudflare's other tools read the API token from. */
export const CLOUDFLARE_TOKEN_ENV = 'CLOUDFLARE_API_TOKEN'
/** `files` per request: 30 was the figure for every plan until 2025 and is still seen in practice (§4 "Limits"): the safe default. */
export const CLOUDFLARE_FILES_PER_CALL = 30
/** `batch-size` may raise it to this: single-file purge on Enterprise (§4 [C6]). */
export const CLOUDFLARE_MAX_FILES_PER_CALL = 500
/** `prefixes` per request: 100 now (§4 [C6][C12]); 30 before, which the default keeps to. */
export const CLOUDFLARE_PREFIXES_PER_CALL = 100
/** Path separators (`/`) one prefix may hold (§4 "Request bodies"). */
export const CLOUDFLARE_MAX_PREFIX_SEPARATORS = 31

/**
 * What the API allows (§4):
 * - Purge only: no prefetch, no status. A 200 with `success: true` is final (`acceptedIsFinal`).
 * - One kind per request (`files` or `prefixes`) and one zone per request (the zone is in the
 *   path); a host maps to one zone, so one host per call is the simple way to keep to that.
 * - `files` 30 a call, `batch-size` up to 500; prefixes never more than 100 a call.
 * - Rate limits are buckets per account (§4 "Limits": 1,200 requests per 5 minutes per user
 *   [C9]; now 800–3,000 URLs/s by plan, prefix purges 5/min on Free [C6]) that one run rarely
 *   empties: calls go 4 at a time, unspaced, and a 429 is retried by the transport with its
 *   back-off (Retry-After honoured).
 */
const limits: ProviderLimits = {
  // prefetch: none (`operations`); the figure is never used.
  itemsPerCall: { purge: CLOUDFLARE_FILES_PER_CALL, prefetch: CLOUDFLARE_FILES_PER_CALL },
  maxItemsPerCall: { purge: CLOUDFLARE_MAX_FILES_PER_CALL },
  dirsPerCall: CLOUDFLARE_PREFIXES_PER_CALL,
  oneHostPerCall: true,
  mixedKindsPerCall: false,
  directories: true,
  statusIdsPerCall: { purge: 1, prefetch: 1 },
  defaultPollSeconds: { purge: 1, prefetch: 1 },
  defaultConcurrency: 4,
  acceptedIsFinal: true
}

/** The API token and the zone of each host. */
export interface CloudflareSettings {
  token: string
  zones: CloudflareZones
}

/** One zone for every host (`zone-id: <id>`), or one per host (`host=id` lines). */
export interface CloudflareZones {
  all: string | null
  byHost: ReadonlyMap<string, string>
}

const ZONE_ID = /^[0-9a-f]{32}$/
const WHERE_ZONE_ID = "the zone's 32-hex Zone ID, shown on its Overview page in the Cloudflare dashboard (API section)"

function zoneIdOf(raw: string, where: string): string {
  const id = raw.trim().toLowerCase()
  if (ZONE_ID.test(id)) return id
  const said = shown(raw.trim(), 80)
  if (/^[^\s/]+\.[^\s/]+$/.test(raw.trim()) && !/^[0-9a-f.]+$/i.test(raw.trim())) {
    throw new InputError('zone-id', `${where}'${said}' is a zone name, not a zone id; give ${WHERE_ZONE_ID}`)
  }
  throw new InputError('zone-id', `${where}'${said}' is not a zone id; give ${WHERE_ZONE_ID}`)
}

/** A host as the engine spells it (`new URL(url).host`: lower case, punycode), or null. */
function hostKey(raw: string): string | null {
  if (raw === '' || /[\s/?#@\\]/.test(raw) || hasControls(raw)) return null
  try {
    const url = new URL(`https://${raw}/`)
    return url.pathname === '/' ? url.host : null
  } catch {
    return null
  }
}

/**
 * The `zone-id` input: one zone id for every host, or one `host=id` per line (hosts matched
 * exactly, as the URLs spell them; a zone's other hosts need their own line).
 */
export function parseZoneIds(raw: string): CloudflareZones {
  const lines = raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
  if (lines.length === 0) {
    throw new InputError(
      'zone-id',
      `cloudflare needs the zone to purge: give ${WHERE_ZONE_ID}, or one host=id per line when the URLs are on hosts of several zones`
    )
  }
  if (lines.length === 1 && !lines[0].includes('=')) return { all: zoneIdOf(lines[0], ''), byHost: new Map() }
  const byHost = new Map<string, string>()
  for (const [i, line] of lines.entries()) {
    const at = line.indexOf('=')
    const where = `line ${i + 1}: `
    if (at < 0) {
      throw new InputError(
        'zone-id',
        `${where}'${shown(line, 80)}' is not host=id; with several lines each gives a host and its zone id (one bare id covers every host)`
      )
    }
    const host = hostKey(line.slice(0, at).trim())
    if (host === null) throw new InputError('zone-id', `${where}'${shown(line.slice(0, at).trim(), 80)}' is not a host name such as www.example.com`)
    if (byHost.has(host)) throw new InputError('zone-id', `${where}host ${host} is given twice; give each host once`)
    byHost.set(host, zoneIdOf(line.slice(at + 1), where))
  }
  return { all: null, byHost }
}

/** The RFC 6750 bearer token alphabet (b64token): anything else cannot go in the header as is. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
/**
 * Cloudflare's API tokens: 40 characters (older), or the scannable `cfut_` (user) / `cfat_` (account)
 * + 40 + a checksum (developers.cloudflare.com/fundamentals/api/get-started/token-formats); this
 * range leaves room for a longer format.
 */
const TOKEN_CHARS = { min: 20, max: 1024 }
/** A Global API Key: 37 hex (older), or the scannable `cfk_` + 40 + checksum (same page). */
const GLOBAL_API_KEY = /^(?:[0-9a-f]{37}|cfk_[A-Za-z0-9]{40,})$/

/** Throws an InputError naming `token` when it cannot be an API token; never quotes it. */
export function checkToken(token: string): void {
  if (token === '') {
    throw new InputError(
      'token',
      `cloudflare needs an API token with the one permission Zone → Cache Purge (dashboard: My Profile → API Tokens → Create Token); store it as a secret and pass it as token: \${{ secrets.CLOUDFLARE_API_TOKEN }}, or set ${CLOUDFLARE_TOKEN_ENV}`
    )
  }
  if (/^bearer\s/i.test(token)) throw new InputError('token', "give the API token alone, without 'Bearer ' in front")
  if (/\s/.test(token) || hasControls(token)) {
    throw new InputError('token', 'contains white space or control characters; paste the API token exactly as Cloudflare showed it when it was created')
  }
  if (GLOBAL_API_KEY.test(token)) {
    throw new InputError(
      'token',
      `looks like the Global API Key (${token.startsWith('cfk_') ? "it starts with 'cfk_'" : '37 hex characters'}), which is not supported: it can do anything on the account. Create an API token with only Zone → Cache Purge instead`
    )
  }
  if (!BEARER_TOKEN.test(token) || token.length < TOKEN_CHARS.min || token.length > TOKEN_CHARS.max) {
    throw new InputError(
      'token',
      `is not an API token (${token.length} characters; Cloudflare's are cfut_ or cfat_ and about 50 letters and digits, or 40 letters, digits, - and _ when older, and ${TOKEN_CHARS.min}–${TOKEN_CHARS.max} characters of A–Z, a–z, 0–9 and -._~+/ are taken); paste it exactly as created`
    )
  }
}

/** One `errors[]` entry of an answer (§4 "Errors"). */
interface CloudflareErrorEntry {
  code: number | null
  message: string
}

const RATE_LIMITED = new Set([971, 10429])
const RATE_LIMIT_ADVICE = 'purge limits are per account and plan (Free: 5 prefix purges a minute); lower concurrency, or run again later'
const BAD_TOKEN = new Set([9109])
const NOT_PERMITTED = new Set([10000])
const NO_CREDENTIALS = new Set([9106])
const BAD_HEADER = new Set([6003, 6103, 6111])
const BAD_ZONE_ROUTE = new Set([7003, 7000])

export class CloudflareClient implements CdnProvider {
  readonly name = 'cloudflare'
  readonly limits = limits
  /** Requests accepted so far: the local label's number. */
  private accepted = 0

  constructor(
    private readonly ctx: ProviderContext,
    private readonly settings: CloudflareSettings
  ) {
    // Masked already when read as an input; again here for a client made otherwise.
    if (settings.token !== '') ctx.mask(settings.token)
  }

  /** The zone id for `host`, or null when `zone-id` gives none. */
  zoneOf(host: string): string | null {
    return this.settings.zones.all ?? this.settings.zones.byHost.get(host) ?? null
  }

  /** Every host to purge must have a zone: else an InputError naming zone-id, before anything is sent. */
  async preflight(needs: PlanNeeds): Promise<void> {
    const missing = (needs.hosts ?? []).filter((h) => this.zoneOf(h) === null)
    if (missing.length > 0) {
      const known = [...this.settings.zones.byHost.keys()].join(', ')
      throw new InputError(
        'zone-id',
        `no zone id for ${missing.length === 1 ? 'host' : 'hosts'} ${shown(missing.join(', '))} (zone-id names ${shown(known)}); add a line ${missing[0]}=<zone id> for each; nothing was sent`
      )
    }
    if (this.settings.zones.all === null) for (const h of needs.hosts ?? []) this.ctx.log(`cloudflare: ${h} → zone ${this.zoneOf(h)}`)
  }

  /** Text from an answer as it may be shown: the token removed, controls escaped, cut. */
  private scrub(text: string): string {
    const { token } = this.settings
    return shown((token === '' ? text : text.split(token).join('***')).replace(/\s+/g, ' ').trim())
  }

  /** A body that is not Cloudflare's answer, as a message may quote it: one line, the token removed, cut. */
  private bodyText(res: HttpResponse): string {
    const { token } = this.settings
    return shownBody(res.text, (text) => (token === '' ? text : text.split(token).join('***')))
  }

  /** The answer's `errors[]`, or null when the body is no Cloudflare answer. */
  private errorsOf(data: Record<string, unknown> | null): CloudflareErrorEntry[] | null {
    if (data === null || !Array.isArray(data.errors)) return null
    return data.errors.map((raw) => {
      const e = asRecord(raw)
      const code = typeof e?.code === 'number' && Number.isInteger(e.code) ? e.code : null
      return { code, message: typeof e?.message === 'string' ? e.message : '' }
    })
  }

  /** The error for a refused request; each message names what the user can change (§4 "Errors"). */
  private refusal(what: string, status: number, errors: CloudflareErrorEntry[], zone: string, host: string): ProviderError {
    const listed = errors.map((e) => (e.code === null ? e.message : e.message === '' ? `${e.code}` : `${e.code} ${e.message}`)).join('; ')
    const said = this.scrub(listed === '' ? `HTTP ${status}` : `HTTP ${status}, ${listed}`)
    const has = (codes: Set<number>) => errors.some((e) => e.code !== null && codes.has(e.code))
    if (status === 429 || has(RATE_LIMITED)) {
      return new ProviderError(`${what}: Cloudflare rate-limited it (${said}) and still did after the retries; ${RATE_LIMIT_ADVICE}`, true)
    }
    if (has(BAD_TOKEN)) {
      // 9109 is "Invalid access token", and also "Unauthorized to access requested resource" for a valid
      // token without the permission (octodns/octodns-cloudflare#60, cloudflare/terraform-provider-cloudflare#3227).
      return new ProviderError(
        `${what}: Cloudflare rejected the API token (${said}); check the token input (or ${CLOUDFLARE_TOKEN_ENV}): an active, unexpired API token, not the Global API Key, with Zone → Cache Purge on zone ${zone} (zone-id for ${host})`
      )
    }
    if (has(NOT_PERMITTED)) {
      return new ProviderError(
        `${what}: Cloudflare refused the token on zone ${zone} (${said}); give the token the permission Zone → Cache Purge with this zone in its zone resources, and check zone-id for ${host}`
      )
    }
    if (has(NO_CREDENTIALS)) {
      return new ProviderError(
        `${what}: Cloudflare saw no credentials (${said}); check the endpoint input (something on the way may drop the Authorization header)`
      )
    }
    if (has(BAD_HEADER)) {
      return new ProviderError(
        `${what}: Cloudflare could not read the Authorization header (${said}); give the token alone, as created: no 'Bearer ', quotes or line breaks`
      )
    }
    if (has(BAD_ZONE_ROUTE)) {
      return new ProviderError(`${what}: Cloudflare has no zone ${zone} (${said}); check zone-id for ${host}: ${WHERE_ZONE_ID}, not the zone's name`)
    }
    // "no more than N", and "cannot provide more than N items" as a user quotes it (§4 [C11]).
    const most = /more than (\d+)|maximum of (\d+)|at most (\d+)|up to (\d+)/i.exec(listed)
    // Any status below 500: Cloudflare also refuses with HTTP 200 and success: false (opennextjs/opennextjs-cloudflare PR #655, observed there).
    if (status < 500 && most) {
      const n = most.slice(1).find((m) => m !== undefined)
      return new ProviderError(
        `${what}: Cloudflare takes no more than ${n} in one request on this zone's plan (${said}); lower batch-size to ${n} or less (the default, ${CLOUDFLARE_FILES_PER_CALL}, is taken on every plan)`
      )
    }
    if (status >= 500) {
      // A 503 was not acted on (the transport retried it); another 5xx may have been: purging again is harmless.
      return new ProviderError(`${what}: Cloudflare failed (${said}); purging again is harmless`, true, status !== 503)
    }
    if (status === 401 || status === 403) {
      return new ProviderError(
        `${what}: Cloudflare refused the credentials (${said}); check the token input and that it has Zone → Cache Purge on zone ${zone}`
      )
    }
    return new ProviderError(`${what}: Cloudflare refused it (${said})`)
  }

  /** `host/path` of a directory URL, as `prefixes` takes it: no scheme, query or fragment (§4). */
  private prefixOf(url: string, what: string): string {
    const problem = prefixProblem(url)
    if (problem !== null) throw new ProviderError(`${what}: ${shown(url)} ${problem}`)
    const u = new URL(url)
    return `${u.host}${u.pathname}`
  }

  async submit(batch: Batch): Promise<Task> {
    const kind = batch.items[0]?.kind ?? 'url'
    const n = batch.items.length
    const what = `cloudflare purge of ${kind === 'dir' ? count(n, 'prefix', 'prefixes') : count(n, 'URL')}`
    if (n === 0) throw new ProviderError(`${what}: nothing to send`)
    if (batch.op !== 'purge') throw new ProviderError(`${what}: Cloudflare has no ${batch.op} API`)
    if (batch.items.some((i) => i.kind !== kind)) throw new ProviderError(`${what}: URLs and prefixes need separate requests`)
    const host = batch.host || hostOf(batch.items[0].url)
    const zone = this.zoneOf(host)
    if (zone === null) throw new ProviderError(`${what}: no zone id for host ${host} (zone-id)`)
    if (batch.items.some((i) => this.zoneOf(hostOf(i.url)) !== zone)) throw new ProviderError(`${what}: the URLs are on hosts of several zones`)
    const body = JSON.stringify(
      kind === 'dir' ? { prefixes: batch.items.map((i) => this.prefixOf(i.url, what)) } : { files: batch.items.map((i) => fileOf(i.url)) }
    )

    let res: HttpResponse
    try {
      res = await this.ctx.request({
        method: 'POST',
        url: `${this.ctx.endpoint.replace(/\/+$/, '')}/zones/${zone}/purge_cache`,
        headers: { Authorization: `Bearer ${this.settings.token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body,
        // A lost answer is resolved by the engine: sent again, as purging twice is harmless (§4 "Idempotency").
        idempotent: false
      })
    } catch (err) {
      if (err instanceof HttpError && err.status === 429) {
        // The transport would not wait as long as Cloudflare asked (the run's timeout or retry budget comes first).
        throw new ProviderError(
          `${what}: Cloudflare rate-limited it and asked to wait longer than this run can (${this.scrub(err.message)}); ${RATE_LIMIT_ADVICE}`,
          true
        )
      }
      if (err instanceof HttpError) throw transportError(err, what, false)
      throw err
    }
    let data: Record<string, unknown> | null = null
    try {
      data = asRecord(JSON.parse(res.text))
    } catch {
      /* not JSON: judged below */
    }
    const ok = res.status >= 200 && res.status < 300
    if (ok && data?.success === true) {
      this.accepted++
      return { id: `request ${this.accepted} to zone ${zone}`, localId: true, op: batch.op, items: batch.items, submittedAt: this.ctx.now() }
    }
    const errors = this.errorsOf(data)
    if (ok && (errors === null || errors.length === 0)) {
      // A 2xx that says neither yes nor no: it may have purged; sending again is harmless.
      throw new ProviderError(
        `${what}: HTTP ${res.status} but no Cloudflare answer (${this.bodyText(res)}); Cloudflare may or may not have purged it`,
        false,
        true
      )
    }
    if (errors === null && !ok && res.status < 500 && res.status !== 429) {
      // Not Cloudflare's shape: a proxy or gateway answered (its words kept, cut).
      throw new ProviderError(`${what}: HTTP ${res.status} with no Cloudflare answer: ${this.bodyText(res)}; check the endpoint input`)
    }
    throw this.refusal(what, res.status, errors ?? [], zone, host)
  }

  /** Never called: an accepted purge is final (`acceptedIsFinal`) and there is no status API (§4 "Completion"). */
  async status(tasks: Task[]): Promise<ItemStatus[]> {
    return tasks.flatMap((t) => t.items.map((i): ItemStatus => ({ taskId: t.id, url: i.url, state: 'success', detail: 'accepted' })))
  }
}

/**
 * A URL as `files` takes it: UTF-8 percent-encoded ("Always use UTF-8 encoded URLs for single-file
 * cache purges", developers.cloudflare.com/cache/how-to/purge-cache/purge-by-single-file/), as a
 * browser requests it and so as the cache key holds it (`new URL(url).href`: non-ASCII encoded,
 * the host in lower case and punycode, the default port and dot segments dropped; and, as a
 * browser never sends one, no fragment).
 */
export function fileOf(url: string): string {
  const u = new URL(url)
  u.hash = ''
  return u.href
}

/**
 * Cloudflare (API v4, purge_cache). `token` is an API token (Bearer), from the input or
 * CLOUDFLARE_API_TOKEN; the Global API Key (X-Auth-Email/X-Auth-Key) is not supported, as
 * it can do anything on the account. `zone-id` gives the zone of each host.
 */
/** Why a directory URL cannot be a `prefixes` entry (§4 "Request bodies"), or null. */
export function prefixProblem(url: string): string | null {
  const u = new URL(url)
  if (u.search !== '' || u.hash !== '') return 'has a query or fragment, which a prefix cannot hold'
  const separators = `${u.host}${u.pathname}`.split('/').length - 1
  if (separators > CLOUDFLARE_MAX_PREFIX_SEPARATORS) {
    return `has ${separators} path separators; Cloudflare takes at most ${CLOUDFLARE_MAX_PREFIX_SEPARATORS} in a prefix: purge a shorter directory, or its files`
  }
  return null
}

export const cloudflare: ProviderDefinition<CloudflareSettings> = {
  name: 'cloudflare',
  defaultEndpoint: CLOUDFLARE_DEFAULT_ENDPOINT,
  limits,
  operations: ['purge'],
  refuseItem: (item) => (item.kind === 'dir' ? prefixProblem(item.url) : null),
  inputs: [
    { name: 'token', secret: true, env: [CLOUDFLARE_TOKEN_ENV] },
    { name: 'zone-id', secret: false }
  ],
  readSettings(read) {
    const token = read('token')
    checkToken(token)
    return { token, zones: parseZoneIds(read('zone-id')) }
  },
  create: (ctx, settings) => new CloudflareClient(ctx, settings)
}
