/**
 * The `rules` input: a YAML list of `{ files, urls, strip?, index? }`, checked and compiled once
 * into matchers, and a matcher that finds the rules a path belongs to.
 */
import { Minimatch, type MinimatchOptions } from 'minimatch'
import { parseDocument, isSeq } from 'yaml'
import { InputError } from '../errors.js'
import { compileTemplate, unsafePathReason, type UrlTemplate } from './urls.js'

/** One `files` pattern, compiled once, with cheap string checks that rule most paths out early. */
export interface CompiledGlob {
  /** As written, without its leading `!`. */
  readonly pattern: string
  readonly matcher: Minimatch
  /** Literal leading directories (`public/` for `public/**`); empty when it starts with magic. */
  readonly prefixes: readonly string[]
  /** Literal endings a match must have (`.md` for a pattern ending in `*.md`); empty when unknown. */
  readonly suffixes: readonly string[]
}

/** One rule, ready to match paths and map them to URLs. */
export interface CompiledRule {
  /** 1-based position in the `rules` list, used in every message. */
  readonly index: number
  /** The `files` patterns as written (`!` marks an exclusion). */
  readonly files: readonly string[]
  /** The patterns a path must match at least one of. */
  readonly include: readonly CompiledGlob[]
  /** The patterns (written with `!`) a path must match none of. */
  readonly exclude: readonly CompiledGlob[]
  /**
   * The literal leading directories of all include patterns: a path can only match when it
   * starts with one of them. Empty when some include pattern starts with magic.
   */
  readonly prefixes: readonly string[]
  /** Prefix removed before templating, always ending in `/`; '' when the rule has none. */
  readonly strip: string
  readonly templates: readonly UrlTemplate[]
  /** The `index` file name (`index.html`), whose directory URL is also mapped; null when none. */
  readonly indexFile: string | null
}

/** Keys a rule may have, in the order messages list them. */
export const RULE_KEYS = ['files', 'urls', 'strip', 'index'] as const

/**
 * How `files` globs are compiled: dotfiles match, `#` and `!` are not special to minimatch (we
 * handle `!` ourselves) and the platform is fixed, so a Windows runner matches like Linux.
 */
const GLOB_OPTIONS: MinimatchOptions = { dot: true, nocomment: true, nonegate: true, platform: 'linux' }

const EXAMPLE = `e.g.\n- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://cdn.example.com/{path}'`

function ruleError(rule: number, detail: string): InputError {
  return new InputError('rules', `rule ${rule}: ${detail}`)
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `a ${typeof value} (${JSON.stringify(value)})`
}

/** A hint for a value YAML read as something other than a string. */
function quoteHint(key: string, value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return `; quote it: ${key}: '${String(value)}'`
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return `; a value starting with "{" must be quoted: ${key}: '{a,b}/**'`
  }
  return ''
}

/** A string or a non-empty list of non-empty strings, as a list. */
function stringList(rule: number, key: string, value: unknown, what: string): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list)) {
    throw ruleError(rule, `"${key}" must be ${what} or a list of them, got ${describeValue(value)}${quoteHint(key, value)}`)
  }
  if (list.length === 0) throw ruleError(rule, `"${key}" is an empty list; give ${what}`)
  list.forEach((item: unknown, i) => {
    const where = typeof value === 'string' ? `"${key}"` : `"${key}" item ${i + 1}`
    if (typeof item !== 'string') {
      throw ruleError(rule, `${where} must be ${what}, got ${describeValue(item)}${quoteHint(key, item)}`)
    }
    if (item.trim() === '') throw ruleError(rule, `${where} is empty; give ${what}`)
  })
  return list as string[]
}

/** The literal directories a compiled pattern starts with (`a/b/` for `a/b/**`), '' for magic. */
function literalPrefixes(matcher: Minimatch): string[] {
  return matcher.set.map((row) => {
    let prefix = ''
    for (let i = 0; i < row.length - 1 && typeof row[i] === 'string'; i++) prefix += `${row[i] as string}/`
    return prefix
  })
}

/** A glob portion with no magic character at all (conservative: `@`, `!`, `+` count as magic). */
const LITERAL_PORTION = /^[^*?[\]{}()!+@\\]*$/
/** `*` and then literal text, like `*.md`. */
const STAR_THEN_LITERAL = /^\*([^*?[\]{}()!+@\\]+)$/

/** The literal endings a match must have (`.md` for a pattern ending in `*.md`), or null if none. */
function literalSuffixes(matcher: Minimatch): string[] | null {
  const suffixes: string[] = []
  for (const row of matcher.globParts) {
    const last = row[row.length - 1]
    if (last === undefined || last === '') return null
    if (LITERAL_PORTION.test(last)) suffixes.push(last)
    else {
      const tail = STAR_THEN_LITERAL.exec(last)
      if (tail === null) return null
      suffixes.push(tail[1])
    }
  }
  return suffixes
}

function compileGlob(rule: number, pattern: string): CompiledGlob {
  const segments = pattern.split('/')
  if (pattern.startsWith('/') || segments.includes('.') || segments.includes('..')) {
    throw ruleError(
      rule,
      `"files" pattern ${JSON.stringify(pattern)} is not relative to the repository root; write paths like 'public/**' without a leading "/", "./" or ".."`
    )
  }
  let matcher: Minimatch
  try {
    matcher = new Minimatch(pattern, GLOB_OPTIONS)
  } catch (error) {
    throw ruleError(rule, `"files" pattern ${JSON.stringify(pattern.slice(0, 80))} is not a valid glob: ${(error as Error).message}`)
  }
  const prefixes = [...new Set(literalPrefixes(matcher))]
  const suffixes = literalSuffixes(matcher)
  return {
    pattern,
    matcher,
    prefixes: prefixes.includes('') ? [] : prefixes,
    suffixes: suffixes === null ? [] : [...new Set(suffixes)]
  }
}

/** Whether `path` matches one compiled pattern. */
export function globMatches(glob: CompiledGlob, path: string): boolean {
  const { prefixes, suffixes } = glob
  if (prefixes.length > 0) {
    let ok = false
    for (let i = 0; i < prefixes.length && !ok; i++) ok = path.startsWith(prefixes[i])
    if (!ok) return false
  }
  if (suffixes.length > 0) {
    let ok = false
    for (let i = 0; i < suffixes.length && !ok; i++) ok = path.endsWith(suffixes[i])
    if (!ok) return false
  }
  return glob.matcher.match(path)
}

function compileFiles(rule: number, value: unknown): Pick<CompiledRule, 'files' | 'include' | 'exclude' | 'prefixes'> {
  const files = stringList(rule, 'files', value, 'a glob')
  const include: CompiledGlob[] = []
  const exclude: CompiledGlob[] = []
  for (const pattern of files) {
    if (pattern.startsWith('!')) {
      if (pattern.length === 1) throw ruleError(rule, '"files" has a "!" with no pattern after it')
      exclude.push(compileGlob(rule, pattern.slice(1)))
    } else {
      include.push(compileGlob(rule, pattern))
    }
  }
  if (include.length === 0) {
    throw ruleError(
      rule,
      `"files" has only exclusions (patterns starting with "!"), so it matches nothing; add a pattern to include, e.g. ['public/**', '${files[0]}']`
    )
  }
  const unbounded = include.some((glob) => glob.prefixes.length === 0)
  const prefixes = unbounded ? [] : [...new Set(include.flatMap((glob) => glob.prefixes))]
  return { files, include, exclude, prefixes }
}

function compileStrip(rule: number, value: unknown): string {
  if (value === undefined) return ''
  if (typeof value !== 'string' || value.trim() === '') {
    throw ruleError(rule, `"strip" must be a directory prefix such as 'public/', got ${describeValue(value)}${quoteHint('strip', value)}`)
  }
  const strip = value.endsWith('/') ? value : `${value}/`
  const unsafe = unsafePathReason(strip.slice(0, -1))
  if (unsafe !== null || strip.startsWith('./')) {
    throw ruleError(
      rule,
      `"strip" ${JSON.stringify(value)} must be a directory relative to the repository root such as 'public/': ${unsafe ?? 'it starts with "./"'}`
    )
  }
  return strip
}

function compileIndex(rule: number, value: unknown): string | null {
  if (value === undefined) return null
  if (typeof value !== 'string' || value === '' || value.includes('/') || unsafePathReason(value) !== null) {
    throw ruleError(rule, `"index" must be a file name such as 'index.html' (no "/"), got ${describeValue(value)}`)
  }
  return value
}

function suggestKey(key: string): string {
  const lower = key.toLowerCase()
  const near = RULE_KEYS.find((k) => k === lower || k === `${lower}s` || `${k}s` === lower || (lower === 'url' && k === 'urls'))
  return near === undefined ? '' : ` (did you mean "${near}"?)`
}

/** Checks one rule's raw YAML value and compiles it. */
export function compileRule(rule: number, raw: unknown): CompiledRule {
  if (raw === null || raw === undefined) throw ruleError(rule, `is empty; each rule needs "files" and "urls", ${EXAMPLE}`)
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw ruleError(rule, `must be a mapping with "files" and "urls", got ${describeValue(raw)}; ${EXAMPLE}`)
  }
  const fields = raw as Record<string, unknown>
  for (const key of Object.keys(fields)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) {
      throw ruleError(rule, `unknown key ${JSON.stringify(key)}${suggestKey(key)}; allowed keys are ${RULE_KEYS.join(', ')}`)
    }
  }
  if (fields.files === undefined || fields.files === null) {
    throw ruleError(rule, `missing "files": add the glob(s) of the repository files this rule maps, e.g. files: 'public/**'`)
  }
  if (fields.urls === undefined || fields.urls === null) {
    throw ruleError(rule, `missing "urls": add the URL template(s) files map to, e.g. urls: 'https://cdn.example.com/{path}'`)
  }
  const files = compileFiles(rule, fields.files)
  const templates = stringList(rule, 'urls', fields.urls, 'a URL template').map((text) => compileTemplate(text.trim(), rule))
  return {
    index: rule,
    ...files,
    strip: compileStrip(rule, fields.strip),
    templates,
    indexFile: compileIndex(rule, fields.index)
  }
}

/**
 * Parses and compiles the `rules` input. Blank text (or only comments) gives no rules. Throws an
 * `InputError` on `rules` saying which rule is wrong and how to fix it; YAML syntax errors give
 * the line and column.
 */
export function parseRules(text: string): CompiledRule[] {
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    const error = doc.errors[0]
    const at = error.linePos?.[0]
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`
    const what = error.message.split(' at line ')[0].split('\n')[0]
    let rule = 0
    if (isSeq(doc.contents)) {
      doc.contents.items.forEach((item, i) => {
        const start = (item as { range?: [number, number, number] } | null)?.range?.[0]
        if (start !== undefined && start <= error.pos[0]) rule = i + 1
      })
    }
    const detail = `is not valid YAML${where}: ${what}; check the indentation and quote globs and templates ('public/**')`
    throw new InputError('rules', rule > 0 ? `rule ${rule}: ${detail}` : `the rules list ${detail}`)
  }
  const value: unknown = doc.toJS()
  if (value === null || value === undefined) return []
  if (!Array.isArray(value)) {
    throw new InputError('rules', `must be a YAML list of rules, each starting with "- ", got ${describeValue(value)}; ${EXAMPLE}`)
  }
  return value.map((raw: unknown, i) => compileRule(i + 1, raw))
}

/** Whether `path` matches `rule`: at least one include pattern and no exclude pattern. */
export function ruleMatches(rule: CompiledRule, path: string): boolean {
  const { include, exclude } = rule
  let included = false
  for (let i = 0; i < include.length && !included; i++) included = globMatches(include[i], path)
  if (!included) return false
  for (let i = 0; i < exclude.length; i++) if (globMatches(exclude[i], path)) return false
  return true
}

/**
 * Finds the rules a path matches, testing only the rules whose literal prefix the path's first
 * directory could start: rules are bucketed once by that directory, so a path costs one map
 * look-up plus the patterns of its candidate rules.
 */
export class RuleMatcher {
  readonly #byFirstDir = new Map<string, CompiledRule[]>()
  /** Rules with a magic first segment: candidates for every path. */
  readonly #anywhere: CompiledRule[]

  constructor(readonly rules: readonly CompiledRule[]) {
    this.#anywhere = rules.filter((rule) => rule.prefixes.length === 0)
    for (const rule of rules) {
      for (const prefix of rule.prefixes) {
        const firstDir = prefix.slice(0, prefix.indexOf('/'))
        if (!this.#byFirstDir.has(firstDir)) this.#byFirstDir.set(firstDir, [])
      }
    }
    for (const [firstDir, bucket] of this.#byFirstDir) {
      for (const rule of rules) {
        if (rule.prefixes.length === 0 || rule.prefixes.some((prefix) => prefix.startsWith(`${firstDir}/`))) bucket.push(rule)
      }
    }
  }

  /** Puts the rules `path` matches, in rule order, into `out` (emptied first); returns how many. */
  match(path: string, out: CompiledRule[]): number {
    out.length = 0
    const slash = path.indexOf('/')
    const candidates = (slash > 0 ? this.#byFirstDir.get(path.slice(0, slash)) : undefined) ?? this.#anywhere
    for (let i = 0; i < candidates.length; i++) if (ruleMatches(candidates[i], path)) out.push(candidates[i])
    return out.length
  }
}
