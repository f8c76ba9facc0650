/**
 * Every provider takes what its server answers as data: status words and error bodies come
 * back one line, bounded, secrets redacted; a task id over 1 KB or holding control characters
 * makes the submit fail as malformed. Servers here are hand-made, answering in each API's shape
 * (providers.md) with hostile text where a value goes.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import { jsonBody, startServer, type EmulatorResponse, type RecordedRequest, type RunningEmulator } from '../../emulators/server.js'
import { SHOWN_CHARS } from '../../src/external.js'
import { createTransport } from '../../src/http/transport.js'
import { cdnetworks } from '../../src/providers/cdnetworks.js'
import { ProviderError, type Batch, type ProviderDefinition } from '../../src/providers/provider.js'
import { settingsOf, type InputValues } from './reader.js'
import { ucloud } from '../../src/providers/ucloud.js'
import { ztgame } from '../../src/providers/ztgame.js'
import { addSecret, clearSecrets } from '../../src/redact.js'

const transport = createTransport({ maxAttempts: 1 })
let server: RunningEmulator | null = null
afterEach(async () => {
  await server?.close()
  server = null
  clearSecrets()
})
afterAll(() => transport.close())

const MB = 'x'.repeat(1024 * 1024)
const HOSTILE = `RUN\n::error::PWN\r\n##[add-mask]PWN ${MB}`

interface Shape {
  definition: ProviderDefinition
  credentials: InputValues
  /** The secret the test expects redacted (given as an input, so registered by readSettings in a run). */
  secret: string
  submitted: (id: string) => EmulatorResponse
  status: (req: RecordedRequest, word: string) => EmulatorResponse
  error: (text: string) => EmulatorResponse
  /** An error answer whose body is raw JSON text with `json` (already escaped) where the message goes. */
  rawError: (json: string) => EmulatorResponse
}

const shapes: Record<string, Shape> = {
  ztgame: {
    definition: ztgame,
    credentials: { token: 'tok/Zq81-secret' },
    secret: 'tok/Zq81-secret',
    submitted: (id) => ({ status: 200, body: { zt_api: { ret: 0, msg: 'OK', reqId: id } } }),
    status: (_, word) => ({ status: 200, body: { task: { taskStatus: word } } }),
    error: (text) => ({ status: 400, body: { error: text } }),
    // no string `error`: the whole body is quoted
    rawError: (json) => ({ status: 403, body: `{"detail":"${json}","code":403}` })
  },
  cdnetworks: {
    definition: cdnetworks,
    credentials: { username: 'acct', apiKey: 'cdn-api/key-77Zq' },
    secret: 'cdn-api/key-77Zq',
    submitted: (id) => ({ status: 200, body: { Code: 1, Message: 'handle success', itemId: id } }),
    status: (req, word) => {
      const { pageNo } = jsonBody(req) as { pageNo: number }
      const detail = pageNo === 1 ? [{ url: 'https://www.example.com/a', status: word, createTime: '2030-01-01 00:00:00' }] : []
      return { status: 200, body: { Code: 1, count: 1, pageSize: 100, resultDetail: detail } }
    },
    error: (text) => ({ status: 200, body: { Code: 0, Message: text } }),
    rawError: (json) => ({ status: 200, body: `{"Code":0,"Message":"${json}"}` })
  },
  ucloud: {
    definition: ucloud,
    credentials: { publicKey: 'pub1', privateKey: 'ucloud/private-99Xy' },
    secret: 'ucloud/private-99Xy',
    submitted: (id) => ({ status: 200, body: { RetCode: 0, TaskId: id } }),
    status: (req, word) => {
      const id = (jsonBody(req) as Record<string, string>)['TaskId.0']
      return {
        status: 200,
        body: { RetCode: 0, TotalCount: 1, TaskList: [{ TaskId: id, Status: 'process', UrlLists: [{ Url: 'https://www.example.com/a', Status: word }] }] }
      }
    },
    error: (text) => ({ status: 200, body: { RetCode: 230, Message: text } }),
    // a non-2xx (a gateway's answer): the whole body is quoted
    rawError: (json) => ({ status: 403, body: `{"RetCode":403,"Message":"${json}"}` })
  }
}

const batch: Batch = { op: 'purge', host: 'www.example.com', items: [{ kind: 'url', url: 'https://www.example.com/a' }] }

/** A client of `shape` against a server that answers submits with `submit` and status calls with `status`. */
async function client(shape: Shape, submit: () => EmulatorResponse, status: (req: RecordedRequest) => EmulatorResponse) {
  server = await startServer((req) => {
    const body = req.body === '' ? {} : (jsonBody(req) as Record<string, unknown>)
    const isStatus = req.method === 'GET' || /ItemIdQuery$/.test(req.path) || /^Describe/.test(String(body?.Action ?? ''))
    return isStatus ? status(req) : submit()
  })
  // the central mechanism: what log.setSecret records (inputs by readSettings, derived values by ctx.mask)
  addSecret(shape.secret)
  return shape.definition.create(
    {
      endpoint: server.url,
      request: transport.request,
      mask: addSecret,
      log: () => {},
      now: Date.now,
      sleep: async () => {}
    },
    settingsOf(shape.definition, shape.credentials)
  )
}

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p
  } catch (err) {
    if (err instanceof ProviderError) return err
    throw err
  }
  throw new Error('expected a ProviderError')
}

const oneLine = (text: string) => expect(text).not.toMatch(/[\r\n\u2028\u2029\u0085]/)

describe.each(Object.keys(shapes))('%s', (name) => {
  const shape = shapes[name]

  it('a status word with line breaks, commands and a megabyte comes back one line, cut, the length stated', async () => {
    const p = await client(
      shape,
      () => shape.submitted('task-1'),
      (req) => shape.status(req, HOSTILE)
    )
    const task = await p.submit(batch)
    const [status] = await p.status([task])
    oneLine(status.detail)
    expect(status.detail.length).toBeLessThan(SHOWN_CHARS + 100)
    expect(status.detail).toContain(`RUN\\n::error::PWN\\r\\n##[add-mask]PWN`)
    expect(status.detail).toContain(`…(${HOSTILE.length} characters)`)
  })

  it('an error body with line breaks, a megabyte and the secret comes back one line, cut, redacted', async () => {
    const p = await client(
      shape,
      () => shape.error(`refused: ${shape.secret} ${Buffer.from(shape.secret).toString('base64')}\n::error::PWN ${MB}`),
      () => ({ status: 500, body: '' })
    )
    const err = await providerError(p.submit(batch))
    oneLine(err.message)
    expect(err.message.length).toBeLessThan(2100)
    // cdnetworks and ucloud fold white space; ztgame escapes it
    expect(err.message).toMatch(/refused: \*\*\* \*\*\*( |\\n)::error::PWN/)
    expect(err.message).not.toContain(shape.secret)
  })

  // The secret echoed in every form a server may write it inside a JSON string.
  const escapedForms = (secret: string): [string, string][] => [
    ['as is', secret],
    ['with `\\/` (PHP json_encode)', secret.replace(/\//g, '\\/')],
    ['as \\u00xx escapes', [...secret].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['in base64', Buffer.from(secret).toString('base64')],
    ['URL-encoded', encodeURIComponent(secret)]
  ]

  it.each(escapedForms(shape.secret))('an error body echoing the secret %s: the message quotes it redacted', async (_, form) => {
    expect(shape.secret).toContain('/')
    const p = await client(
      shape,
      () => shape.rawError(`refused: ${form} is not allowed`),
      () => ({ status: 500, body: '' })
    )
    const err = await providerError(p.submit(batch))
    expect(err.message).toMatch(/refused: \*\*\* is not allowed/)
    expect(err.message).not.toContain(shape.secret)
    expect(err.message).not.toContain(form)
  })

  it('a long error body that is not JSON (a proxy page) is cut with its length stated, its reason kept', async () => {
    const page = `<html><title>403 Forbidden</title><body>blocked by rule 942100 ${shape.secret}</body>${'<p>padding</p>'.repeat(400)}</html>`
    const p = await client(
      shape,
      () => ({ status: 403, body: page }),
      () => ({ status: 500, body: '' })
    )
    const err = await providerError(p.submit(batch))
    expect(err.message).toContain('<title>403 Forbidden</title><body>blocked by rule 942100 ***</body><p>padding</p>')
    expect(err.message).toContain(`…(${page.length - shape.secret.length + 3} characters)`)
    expect(err.message).not.toContain(shape.secret)
    expect(err.message.length).toBeLessThan(SHOWN_CHARS + 300)
  })

  it.each([
    ['over 1 KB', 'i'.repeat(1025), /task id is malformed \(1025 characters, more than 1024\)/],
    ['with a line break', 'x\n::error::PWN', /task id is malformed \(it holds control characters\): x\\n::error::PWN/],
    ['with a zero-width space', 'x\u200b', /task id is malformed \(it holds control characters\): x\\u\{200b\}/]
  ])('a task id %s makes the submit fail as malformed', async (_, id, message) => {
    const p = await client(
      shape,
      () => shape.submitted(id),
      () => ({ status: 500, body: '' })
    )
    const err = await providerError(p.submit(batch))
    expect(err.message).toMatch(message)
    expect(err.ambiguous).toBe(false)
  })

  it('a task id of 1 KB without control characters is used as is', async () => {
    const id = 'i'.repeat(1024)
    const p = await client(
      shape,
      () => shape.submitted(id),
      () => ({ status: 500, body: '' })
    )
    expect((await p.submit(batch)).id).toBe(id)
  })
})
