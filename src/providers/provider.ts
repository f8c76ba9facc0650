import { hasControls, MESSAGE_CHARS, shown } from '../external.js'
import type { ItemKind, Operation } from '../model.js'
import type { HttpError, Transport } from '../http/transport.js'

/** What a provider's API allows; the engine batches and polls by these alone. */
export interface ProviderLimits {
  /** Items (URLs plus directories) one submit call may carry. */
  itemsPerCall: Record<Operation, number>
  /**
   * Items of one host one submit call may carry, where less than `itemsPerCall` (e.g. a daily
   * per-domain quota below it: a call over it is refused whole).
   */
  itemsPerHostPerCall?: Partial<Record<Operation, number>>
  /**
   * Directories one call may carry, where less than `itemsPerCall` can be (e.g. once
   * `batch-size` raised it for URLs). Applies where kinds do not mix in one call.
   */
  dirsPerCall?: number
  /** Every item of one call must share a host. */
  oneHostPerCall: boolean
  /** Distinct hosts one call may carry, where limited (and not one host per call). */
  hostsPerCall?: number
  /** One call may carry URLs and directories together (otherwise one kind per call). */
  mixedKindsPerCall: boolean
  /** Directory purges are supported. */
  directories: boolean
  /** How many tasks one status call can ask about (per operation). */
  statusIdsPerCall: Record<Operation, number>
  /** Default seconds between status rounds (per operation). */
  defaultPollSeconds: Record<Operation, number>
  /** Least time between two submit calls of one operation, if documented. */
  minSubmitIntervalMs?: Partial<Record<Operation, number>>
  /** Least time between two status calls of one operation, if documented. */
  minStatusIntervalMs?: Partial<Record<Operation, number>>
  /** Submit calls the provider tolerates at once. */
  defaultConcurrency: number
  /**
   * Where `itemsPerCall` is a safe default below what some accounts allow: the most the
   * `batch-size` input may raise it to (per operation). Left out: `batch-size` only lowers.
   */
  maxItemsPerCall?: Partial<Record<Operation, number>>
  /**
   * The API has no task status: an accepted submit is final. The engine never polls; items
   * accepted count as succeeded, and the summary says why.
   */
  acceptedIsFinal?: boolean
}

export interface BatchItem {
  kind: ItemKind
  url: string
}

/** One submit call's worth of items. */
export interface Batch {
  op: Operation
  /** The host shared by all items when the provider requires one host per call, else ''. */
  host: string
  items: BatchItem[]
}

/** A batch the provider accepted. */
export interface Task {
  id: string
  op: Operation
  items: BatchItem[]
  /** When it was submitted (ms since epoch), for providers that query by time. */
  submittedAt: number
  /**
   * The provider's id for it is unknown (found by time range after a lost answer, where the
   * answer lists no ids): `id` is a local label, not reported as a task id.
   */
  localId?: boolean
}

export type ItemStatusState = 'pending' | 'success' | 'failure'

export interface ItemStatus {
  taskId: string
  url: string
  state: ItemStatusState
  /** The provider's own status word, shown in the report. */
  detail: string
  /** Set by the poller: clock time the item was first seen final. */
  at?: number
}

/**
 * A submit or status call the provider refused or that failed in transport. The message is
 * made fit to show (secrets redacted, controls escaped, bounded) whatever it quotes.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    /** True when trying again later may succeed (rate limits, 5xx). */
    readonly retryable = false,
    /** The request may have been acted on although no answer came back (a submit may have made a task; the engine resolves it). */
    readonly ambiguous = false
  ) {
    super(shown(message, MESSAGE_CHARS))
    this.name = 'ProviderError'
  }
}

/**
 * A call that failed in transport: a read (`idempotent`) may be asked again; a submit only when
 * it never left, and one whose answer was lost may have been acted on (ambiguous).
 */
export function transportError(err: HttpError, what: string, idempotent: boolean): ProviderError {
  return new ProviderError(`${what}: ${err.message}`, idempotent || err.status === null, !idempotent && err.ambiguous)
}

/**
 * The pre-flight found today's quota for URL purges too small for the run (nothing was sent).
 * `remaining` is what is left; the pipeline may purge directories instead when `dir-threshold`
 * is set, then asks the pre-flight again.
 */
export class UrlQuotaShortError extends ProviderError {
  constructor(
    message: string,
    readonly remaining: number
  ) {
    super(message)
    this.name = 'UrlQuotaShortError'
  }
}

/** Longest task id taken from an answer; real ids are tens of characters. */
export const MAX_TASK_ID_CHARS = 1024

/**
 * A task id from a provider's answer, used as is in later requests and the report. An id
 * over MAX_TASK_ID_CHARS or holding control characters is no real id: the answer is taken
 * as malformed (a ProviderError; the batch counts as failed and is not sent again).
 */
export function checkTaskId(id: string, what: string): string {
  if (id.length <= MAX_TASK_ID_CHARS && !hasControls(id)) return id
  const why = id.length > MAX_TASK_ID_CHARS ? `${id.length} characters, more than ${MAX_TASK_ID_CHARS}` : 'it holds control characters'
  throw new ProviderError(`${what}: the answer's task id is malformed (${why}): ${shown(id, 80)}`)
}

/** Items a run will submit, per operation and kind. */
export interface PlanNeeds {
  purgeUrls: number
  purgeDirs: number
  prefetchUrls: number
  /** Every host an item to send is on (sorted, distinct), e.g. to check each has a distribution or zone; the pipeline always sets it. */
  hosts?: readonly string[]
}

export interface CdnProvider {
  readonly name: string
  readonly limits: ProviderLimits
  /** Called once before any submit (e.g. to obtain a token). */
  prepare?(): Promise<void>
  /**
   * Called once after `prepare`, before any submit, with what the run will send (zero for an
   * operation the mode does not run). A provider whose API tells the quota left today throws
   * a ProviderError naming the quota, the need and what remains when the run would go over:
   * then nothing is sent. A host the settings cannot serve (no distribution or zone for it) is
   * an InputError naming the input.
   */
  preflight?(needs: PlanNeeds): Promise<void>
  /** Submits one batch; throws ProviderError when the provider rejects it. */
  submit(batch: Batch): Promise<Task>
  /**
   * After an ambiguous submit failure (sent at `since`, ms): the task this batch made, or
   * null when the task list shows none; 'unknown' when this batch cannot be looked up
   * (e.g. a rate-limited query). Unless a task is found the batch is sent again; providers
   * without a task list leave this out. Throws ProviderError when the look-up fails.
   */
  findSubmitted?(batch: Batch, since: number): Promise<Task | null | 'unknown'>
  /**
   * Current state of every item of `tasks` (at most `statusIdsPerCall`, one operation).
   * Items missing from the answer are taken as still pending.
   */
  status(tasks: Task[]): Promise<ItemStatus[]>
}

/**
 * One action input a provider reads (its credentials and settings). Every input a provider
 * declares is in action.yml; inputs.ts reads and masks them, and names no provider.
 */
export interface ProviderInput {
  /** The input's name as action.yml spells it, e.g. 'access-key'. */
  readonly name: string
  /** Registered with the runner's log masking as soon as it is read, from the input or the environment. */
  readonly secret: boolean
  /**
   * Environment variables read, first non-empty wins, when the input is empty (the names the
   * vendor's own tools use, e.g. ALIBABA_CLOUD_ACCESS_KEY_ID). Only when every input of the
   * provider that declares variables is empty: all from inputs, or all from the environment.
   */
  readonly env?: readonly string[]
}

/** A declared input's value: the input, else its first non-empty environment variable, else ''. Trimmed. */
export type ReadInput = (name: string) => string

/** What a provider gets from the pipeline: where to send and the edges it may touch. */
export interface ProviderContext {
  endpoint: string
  request: Transport
  /** Registers a derived secret (token, signature, header) with the runner's log masking. */
  mask: (secret: string) => void
  log: (line: string) => void
  now: () => number
  /** Waits (e.g. before retrying a rate-limited call); tests pass a fake. */
  sleep: (ms: number) => Promise<void>
  /** The `dcdn` input: the domains use whole-site acceleration (only providers with `supportsDcdn`). */
  dcdn?: boolean
}

/**
 * One CDN: its static facts, the inputs it reads and how to build a client. `S` is the
 * provider's own settings, read and checked by `readSettings` and handed to `create`.
 */
export interface ProviderDefinition<S = unknown> {
  readonly name: string
  readonly defaultEndpoint: string
  readonly limits: ProviderLimits
  /** Takes the `dcdn` input (whole-site acceleration); others refuse `dcdn: true`. */
  readonly supportsDcdn?: boolean
  /** The operations its API offers; left out: purge and prefetch. A mode needing another is an input error. */
  readonly operations?: readonly Operation[]
  /**
   * Why the API cannot take this item of `op` as the plan spells it (e.g. a path too long), or
   * null. Checked for every item before anything is sent, in a dry run too: an input error.
   */
  refuseItem?(item: BatchItem, op: Operation): string | null
  /** Every input this provider reads; `read` in `readSettings` refuses any other name. */
  readonly inputs: readonly ProviderInput[]
  /**
   * The provider's settings from its declared inputs; throws InputError naming the input when
   * one is missing or malformed. Not called in a dry run (nothing is sent).
   */
  readSettings(read: ReadInput): S
  create(ctx: ProviderContext, settings: S): CdnProvider
}

/**
 * Logs why a call is tried again and waits `ms` (ctx.sleep ends at the run's deadline): the
 * pause of the providers that retry a throttled call themselves, each send signed anew.
 */
export async function pauseBeforeRetry(ctx: ProviderContext, why: string, ms: number, attempt: number, maxAttempts: number): Promise<void> {
  ctx.log(`${why}; pausing ${Math.ceil(ms / 1000)} s before attempt ${attempt + 1} of ${maxAttempts}`)
  await ctx.sleep(ms)
}

/** The pause before attempt `attempt + 1` of a throttled call: `baseMs` doubling (1, 2, 4 s by default). */
export const backoffMs = (attempt: number, baseMs = 1000): number => baseMs * 2 ** (attempt - 1)

/**
 * The state `map` gives a provider's status word; a word it does not know is taken as pending
 * (an API may add words) and logged once per run: `logged` holds the words already told.
 */
export function stateOf(
  word: string,
  map: (word: string) => ItemStatusState | null,
  logged: Set<string>,
  log: (line: string) => void,
  unknown: string
): ItemStatusState {
  const state = map(word)
  if (state !== null) return state
  if (!logged.has(word)) {
    logged.add(word)
    log(`${unknown} '${shown(word, 40)}' taken as pending`)
  }
  return 'pending'
}

/** `value` as a JSON object, or null when it is anything else (array, null, scalar). */
export function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
}

/** A number as answered: a finite number, or tolerantly a string of digits (a count, Unix seconds); null otherwise. */
export function numberOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value)
  return null
}

/** An id as answered: a string, or tolerantly a number; '' otherwise. */
export function idOf(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return ''
}

/** RFC 3986 percent-encoding of UTF-8: keeps `A-Z a-z 0-9 - _ . ~`, `%XY` uppercase for the rest (signers' canonical forms). */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The same URL as a server may spell it back (host case, default port): `new URL(url).href`, or `url` when it does not parse. */
export function normalizeUrl(url: string): string {
  try {
    return new URL(url).href
  } catch {
    return url
  }
}
