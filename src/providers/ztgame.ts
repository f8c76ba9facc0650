import { InputError } from '../errors.js'
import { shown, shownBody } from '../external.js'
import { HttpError, parseJsonBody, type HttpResponse } from '../http/transport.js'
import {
  asRecord,
  checkTaskId,
  ProviderError,
  transportError,
  type Batch,
  type CdnProvider,
  type ItemStatus,
  type ItemStatusState,
  type ProviderContext,
  type ProviderDefinition,
  type ProviderLimits,
  type Task
} from './provider.js'
import { count } from '../text.js'

/** Limits from the vendor pages: ≤ 10 items and one host per request, urls or dirs. */
const limits: ProviderLimits = {
  itemsPerCall: { purge: 10, prefetch: 10 },
  oneHostPerCall: true,
  mixedKindsPerCall: false,
  directories: true,
  statusIdsPerCall: { purge: 1, prefetch: 1 },
  defaultPollSeconds: { purge: 5, prefetch: 5 },
  // No rate limit is documented; a push of 1,000 files is ~100 calls of 10, so calls go
  // 16 at a time (the transport's socket pool). The `concurrency` input lowers it.
  defaultConcurrency: 16
}

/**
 * Status words: the vendor page shows `RUN`, public server code lower case. Final:
 * success / failure / error (inferred from server code); everything else is pending.
 */
function mapStatus(word: string): ItemStatusState {
  switch (word.toLowerCase()) {
    case 'success':
      return 'success'
    case 'failure':
    case 'failed':
    case 'error':
      return 'failure'
    default:
      return 'pending'
  }
}

/**
 * The provider's own words for a non-2xx answer: `{"error": ...}`, or else the whole body
 * (JSON escapes undone, secrets redacted, cut with its length stated).
 */
function errorText(res: HttpResponse): string {
  try {
    const err = asRecord(JSON.parse(res.text))?.error
    if (typeof err === 'string') return shown(err)
  } catch {
    /* not JSON */
  }
  return shownBody(res.text)
}

/**
 * The task id of an accepted submit, in either documented shape: the vendor page's
 * `{"zt_api": {"ret": 0, "reqId": ...}}`, or the top-level `{"reqId": ..., "successRate": 100}`
 * that the public server code returns (it sets `reqId` only when every CDN behind it accepted).
 */
function acceptedId(body: unknown, what: string): string {
  const root = asRecord(body)
  const api = asRecord(root?.zt_api)
  if (api) {
    if (typeof api.ret !== 'number') throw new ProviderError(`${what}: answer has no zt_api.ret`)
    if (api.ret !== 0) throw new ProviderError(`${what} failed: ret ${api.ret}: ${shown(String(api.msg ?? ''))}`)
    if (typeof api.reqId !== 'string' || api.reqId === '') throw new ProviderError(`${what}: answer has no zt_api.reqId`)
    return api.reqId
  }
  if (root && typeof root.reqId === 'string' && root.reqId !== '') {
    if (typeof root.successRate === 'number' && root.successRate < 100) throw new ProviderError(`${what} failed: successRate ${root.successRate}`)
    return root.reqId
  }
  if (root && typeof root.error === 'string') throw new ProviderError(`${what} failed: ${shown(root.error)}`)
  throw new ProviderError(`${what}: answer has neither zt_api.reqId nor reqId`)
}

/** A token is 8–4096 printable ASCII characters without white space (a header value; inferred). */
const TOKEN_CHARS = { min: 8, max: 4096 }

/** Why `token` cannot be a token (never quoting it), or null. */
function tokenProblem(token: string): string | null {
  if (token.length < TOKEN_CHARS.min) return `is too short (${count(token.length, 'character')}, fewer than ${TOKEN_CHARS.min})`
  if (token.length > TOKEN_CHARS.max) return `is too long (${count(token.length, 'character')}, more than ${TOKEN_CHARS.max})`
  if (/\s/.test(token)) return 'holds white space'
  if (!/^[\x21-\x7e]+$/.test(token)) return 'holds characters that are not printable ASCII'
  return null
}

class ZtgameClient implements CdnProvider {
  readonly name = 'ztgame'
  readonly limits = limits
  private token: string

  constructor(
    private readonly ctx: ProviderContext,
    private readonly settings: ZtgameSettings
  ) {
    this.token = settings.token
  }

  private url(path: string): string {
    return this.ctx.endpoint.replace(/\/+$/, '') + path
  }

  private authFailure(res: HttpResponse): ProviderError | null {
    if (res.status === 401) return new ProviderError('ztgame rejected the request: no valid X-Auth-Token (HTTP 401); check the token input')
    if (res.status === 400 && /invalid token/i.test(res.text)) return new ProviderError('ztgame rejected the token (invalid token); check the token input')
    if (res.status === 404 && /could not find token/i.test(res.text))
      return new ProviderError('ztgame does not know this token (Could not find token); check the token input')
    return null
  }

  async prepare(): Promise<void> {
    if (this.token !== '') return
    const { username, password } = this.settings
    // Public server code reads top-level username/password; the vendor page shows the
    // Keystone v2 shape. Send both so either deployment accepts the body (inferred).
    const body = JSON.stringify({ username, password, auth: { passwordCredentials: { username, password } } })
    const res = await this.ctx.request({
      method: 'POST',
      url: this.url('/cdn_api/tokens'),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body,
      idempotent: true
    })
    if (res.status < 200 || res.status >= 300) {
      throw new ProviderError(`ztgame token request failed (HTTP ${res.status}: ${errorText(res)}); check the username and password inputs`)
    }
    const data = asRecord(parseJsonBody(res, 'ztgame token request'))
    const id = asRecord(asRecord(asRecord(data?.access)?.token))?.id
    const token = typeof id === 'string' && id !== '' ? id : (res.header('x-subject-token') ?? '')
    if (token === '') throw new ProviderError('ztgame token request answered without access.token.id or X-Subject-Token')
    const problem = tokenProblem(token)
    // Masked only when it looks like a token: masking "e" would hide every "e" of the log.
    if (problem !== null)
      throw new ProviderError(`ztgame token request answered with a token that ${problem}; check the endpoint input (is it the ztgame API?)`)
    this.ctx.mask(token)
    this.token = token
    this.ctx.log('ztgame: obtained a token with username/password')
  }

  private headers(): Record<string, string> {
    return { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Auth-Token': this.token }
  }

  async submit(batch: Batch): Promise<Task> {
    const kind = batch.items[0]?.kind ?? 'url'
    const path = batch.op === 'prefetch' ? '/cdn_api/prefetch' : '/cdn_api/purge'
    const key = kind === 'dir' ? 'dirs' : 'urls'
    const what = `ztgame ${batch.op} of ${kind === 'dir' ? count(batch.items.length, 'directory', 'directories') : count(batch.items.length, 'URL')} on ${batch.host}`
    let res: HttpResponse
    try {
      res = await this.ctx.request({
        method: 'POST',
        url: this.url(path),
        headers: this.headers(),
        body: JSON.stringify({ [key]: batch.items.map((item) => item.url) })
      })
    } catch (err) {
      if (err instanceof HttpError) throw transportError(err, what, false)
      throw err
    }
    const auth = this.authFailure(res)
    if (auth) throw auth
    if (res.status < 200 || res.status >= 300) {
      // 429 and 503 say the request was not acted on; other 5xx may have made a task.
      const acted = res.status >= 500 && res.status !== 503
      throw new ProviderError(`${what} failed: HTTP ${res.status}: ${errorText(res)}`, res.status === 429 || res.status >= 500, acted)
    }
    let body: unknown
    try {
      body = parseJsonBody(res, what)
    } catch (err) {
      // A 2xx whose body is cut or garbled: the task may exist, but its id is lost.
      if (err instanceof HttpError) throw new ProviderError(err.message, false, true)
      throw err
    }
    return { id: checkTaskId(acceptedId(body, what), what), op: batch.op, items: batch.items, submittedAt: this.ctx.now() }
  }

  async status(tasks: Task[]): Promise<ItemStatus[]> {
    const out: ItemStatus[] = []
    for (const task of tasks) {
      const what = `ztgame status of task ${shown(task.id)}`
      let res: HttpResponse
      try {
        res = await this.ctx.request({
          method: 'GET',
          url: this.url(`/cdn_api/req_status/${encodeURIComponent(task.id)}`),
          headers: { Accept: 'application/json', 'X-Auth-Token': this.token }
        })
      } catch (err) {
        if (err instanceof HttpError) throw transportError(err, what, true)
        throw err
      }
      const auth = this.authFailure(res)
      if (auth) throw auth
      if (res.status === 404) {
        // "task id can not found": the provider lost or never kept it; it cannot succeed.
        for (const item of task.items) out.push({ taskId: task.id, url: item.url, state: 'failure', detail: errorText(res) })
        continue
      }
      if (res.status < 200 || res.status >= 300) throw new ProviderError(`${what} failed: HTTP ${res.status}: ${errorText(res)}`, true)
      let body: unknown
      try {
        body = parseJsonBody(res, what)
      } catch (err) {
        if (err instanceof HttpError) throw new ProviderError(err.message, true)
        throw err
      }
      const word = asRecord(asRecord(body)?.task)?.taskStatus
      if (typeof word !== 'string') throw new ProviderError(`${what}: answer has no task.taskStatus`, true)
      // The status is per task: every URL of the task shares it.
      const state = mapStatus(word)
      const detail = shown(word)
      for (const item of task.items) out.push({ taskId: task.id, url: item.url, state, detail })
    }
    return out
  }
}

/** The `token` input, or `username` and `password` to obtain one. */
export interface ZtgameSettings {
  token: string
  username: string
  password: string
}

export const ztgame: ProviderDefinition<ZtgameSettings> = {
  name: 'ztgame',
  defaultEndpoint: 'http://cdnapi.ztgame.com.cn',
  limits,
  inputs: [
    { name: 'token', secret: true },
    { name: 'username', secret: false },
    { name: 'password', secret: true }
  ],
  readSettings(read) {
    const c: ZtgameSettings = { token: read('token'), username: read('username'), password: read('password') }
    if (c.token !== '') return c
    if (c.username !== '' && c.password !== '') return c
    if (c.username !== '' || c.password !== '') {
      throw new InputError(c.username === '' ? 'username' : 'password', 'ztgame needs both username and password to obtain a token (or give token instead)')
    }
    throw new InputError(
      'token',
      'ztgame needs a token (X-Auth-Token), or username and password to obtain one; store it as a repository secret and pass it as token: ${{ secrets.ZTGAME_TOKEN }}'
    )
  },
  create: (ctx, settings) => new ZtgameClient(ctx, settings)
}
