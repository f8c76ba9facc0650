import { randomUUID } from 'node:crypto'
import { jsonBody, startServer, type RecordedRequest, type EmulatorResponse, type RunningEmulator } from './server.js'

/** How the ztgame emulator behaves; every field has a default. */
export interface ZtgameEmulatorOptions {
  /** Tokens accepted in X-Auth-Token. */
  tokens?: string[]
  /** username → password accepted by POST /cdn_api/tokens (the token issued is `tokens[0]`). */
  users?: Record<string, string>
  /** Hosts in the caller's project; others get HTTP 403. Empty = every host. */
  hosts?: string[]
  /** A task moves RUN → SUCCESS/FAILURE this long after its submission. */
  completeAfterMs?: number
  /** URLs whose task ends FAILURE (the status is per task). */
  failUrls?: Iterable<string>
  /** URLs whose task never leaves RUN. */
  stallUrls?: Iterable<string>
  /**
   * Shape of an accepted submit: `zt_api` (the vendor page, seeds/001: `{"zt_api": {"msg",
   * "reqId", "ret", "success_rate"}}`, the default) or `flat` (the public server code:
   * `{"reqId", "successRate"}` at the top level).
   */
  answerShape?: 'zt_api' | 'flat'
  /** `upper` (vendor page: RUN/SUCCESS) or `lower` (server code: run/success). */
  statusCase?: 'upper' | 'lower'
  /** Rewrites a status word before it is sent (e.g. to answer an unknown status now and then). */
  statusWord?: (task: ZtgameTask, word: string) => string
  latencyMs?: number
  port?: number
}

export interface ZtgameTask {
  id: string
  type: '0' | '1' | '2'
  urls: string[]
  createdAt: number
  outcome: 'success' | 'failure' | 'stall'
}

export interface ZtgameEmulator extends RunningEmulator {
  tasks: Map<string, ZtgameTask>
}

export const ZTGAME_ITEMS_PER_CALL = 10

const json = (status: number, body: object): EmulatorResponse => ({ status, body })

/** Werkzeug's answer to an exception in a view (what Flask 0.10 serves for a 500). */
const INTERNAL_SERVER_ERROR: EmulatorResponse = {
  status: 500,
  headers: { 'Content-Type': 'text/html' },
  body:
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n' +
    '<p>The server encountered an internal error and was unable to complete your request.  Either the server is overloaded or there is an error in the application.</p>\n'
}

export async function startZtgameEmulator(options: ZtgameEmulatorOptions = {}): Promise<ZtgameEmulator> {
  const tokens = new Set(options.tokens ?? ['test-token'])
  const users = options.users ?? {}
  const hosts = new Set(options.hosts ?? [])
  const completeAfterMs = options.completeAfterMs ?? 200
  const failUrls = new Set(options.failUrls ?? [])
  const stallUrls = new Set(options.stallUrls ?? [])
  const word = (w: string): string => (options.statusCase === 'lower' ? w.toLowerCase() : w.toUpperCase())
  const tasks = new Map<string, ZtgameTask>()

  function authorise(req: RecordedRequest): EmulatorResponse | null {
    const token = req.headers['x-auth-token']
    if (token === undefined) return { status: 401, body: 'Unauthorized' }
    if (typeof token !== 'string' || !tokens.has(token)) return json(400, { error: 'invalid token' })
    return null
  }

  function submit(req: RecordedRequest, op: 'purge' | 'prefetch'): EmulatorResponse {
    const denied = authorise(req)
    if (denied) return denied
    // The server (Flask on Werkzeug 0.10, seeds/001's answer headers) reads `request.json.get(...)`
    // (public server code, providers.md §1): without `Content-Type: application/json`
    // `request.json` is None, the call raises, and Werkzeug answers its HTML 500 page.
    if (!/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) return INTERNAL_SERVER_ERROR
    const body = jsonBody(req) as Record<string, unknown> | null
    if (body === null || typeof body !== 'object') return json(400, { error: 'request body is not JSON' })
    const key = Array.isArray(body.urls) ? 'urls' : Array.isArray(body.dirs) && op === 'purge' ? 'dirs' : null
    if (key === null) return op === 'prefetch' ? json(404, { error: 'urls not found' }) : json(400, { error: 'urls or dirs is required' })
    if (Array.isArray(body.urls) && Array.isArray(body.dirs)) return json(400, { error: 'give urls or dirs, not both' })
    const list = body[key] as unknown[]
    if (list.length === 0 || !list.every((u) => typeof u === 'string')) return json(400, { error: `${key} must be a non-empty list of strings` })
    const urls = list as string[]
    // The vendor pages say "no more than 10"; the answer for more is inferred.
    if (urls.length > ZTGAME_ITEMS_PER_CALL) return json(400, { error: `${key} can not be more than ${ZTGAME_ITEMS_PER_CALL}` })
    const seen = new Set<string>()
    for (const u of urls) {
      let parsed: URL
      try {
        parsed = new URL(u)
      } catch {
        return json(400, { error: `invalid url ${u}` })
      }
      if (!/^https?:$/.test(parsed.protocol)) return json(400, { error: `invalid url ${u}` })
      if (key === 'dirs' && !u.endsWith('/')) return json(400, { error: `dir must end with / : ${u}` })
      seen.add(parsed.host)
    }
    if (seen.size > 1) return json(400, { error: 'A single host name can only be submitted at a time' })
    const [host] = seen
    if (hosts.size > 0 && !hosts.has(host)) return json(403, { error: `${host} is not yours or not ready` })
    const id = randomUUID()
    const outcome = urls.some((u) => stallUrls.has(u)) ? 'stall' : urls.some((u) => failUrls.has(u)) ? 'failure' : 'success'
    tasks.set(id, { id, type: op === 'prefetch' ? '2' : key === 'dirs' ? '1' : '0', urls, createdAt: Date.now(), outcome })
    if (options.answerShape === 'flat') return json(200, { reqId: id, successRate: 100.0 })
    return json(200, { zt_api: { msg: 'OK', reqId: id, ret: 0, success_rate: 100.0 } })
  }

  function status(req: RecordedRequest, id: string): EmulatorResponse {
    const denied = authorise(req)
    if (denied) return denied
    const task = tasks.get(id)
    if (!task) return json(404, { error: 'task id can not found' })
    const done = task.outcome !== 'stall' && Date.now() - task.createdAt >= completeAfterMs
    return json(200, {
      task: {
        projectId: '74d4bda6aa1c466d8cb1f2b8eac79567',
        taskContent: task.urls.join(','),
        taskCreateAt: null,
        taskDoneAt: null,
        taskId: task.id,
        taskStatus: options.statusWord ? options.statusWord(task, word(done ? task.outcome : 'run')) : word(done ? task.outcome : 'run'),
        taskType: task.type,
        taskUser: 'admin'
      }
    })
  }

  function issueToken(req: RecordedRequest): EmulatorResponse {
    const body = jsonBody(req) as Record<string, any> | null
    const creds = body?.auth?.passwordCredentials ?? body
    const username = creds?.username
    const password = creds?.password
    if (typeof username !== 'string' || users[username] === undefined || users[username] !== password) {
      return { status: 401, body: 'Unauthorized' }
    }
    const id = [...tokens][0]
    return { status: 200, headers: { 'X-Subject-Token': id }, body: { access: { token: { id, expires: '2099-01-01T00:00:00Z' }, user: { name: username } } } }
  }

  const server = await startServer(
    (req) => {
      if (req.method === 'POST' && req.path === '/cdn_api/tokens') return issueToken(req)
      if (req.method === 'POST' && req.path === '/cdn_api/purge') return submit(req, 'purge')
      if (req.method === 'POST' && req.path === '/cdn_api/prefetch') return submit(req, 'prefetch')
      const m = /^\/cdn_api\/req_status\/([^/]+)$/.exec(req.path)
      if (req.method === 'GET' && m) return status(req, decodeURIComponent(m[1]))
      return json(404, { error: 'not found' })
    },
    { latencyMs: options.latencyMs, port: options.port }
  )
  return Object.assign(server, { tasks })
}
