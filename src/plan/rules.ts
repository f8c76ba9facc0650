/**
 * The `rules` input: a YAML list of `{ files, urls, strip?, index? }`, checked and compiled once
 * into matchers, and a matcher that finds the rules a path belongs to.
 */
import { GLOBSTAR, Minimatch, type MinimatchOptions } from 'minimatch'
import { CORE_SCHEMA, load, YAMLException } from 'js-yaml'
import { InputError } from '../errors.js'
import { compileRows, isPlainPath, rowsMatch, type Row } from './row-match.js'
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
  /**
   * True when a plain path (see `isPlainPath`) that passes the prefix and suffix checks matches:
   * the pattern is literal directories, then `**`, then nothing (`public/**`) or a last portion
   * of `*` and literal text (`*.md`, or `*.{png,jpg}`: each alternative so), where `*` takes any
   * characters of a portion.
   */
  readonly affixesDecide: boolean
  /** `matcher`'s rows for `rowsMatch`; null when every path goes to `matcher.match`. */
  readonly rows: readonly Row[] | null
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

/**
 * Bounds on what the `rules` input may expand to, so a small input cannot make millions of
 * patterns (YAML aliases repeat a node without repeating its text; `{a,b}` braces multiply).
 * Real rule sets are a few dozen rules of a few patterns each.
 */
export const RULE_LIMITS = {
  /** Rules in the list. */
  rules: 1000,
  /** YAML nodes of the loaded rules, each alias counted as the whole node it repeats. */
  nodes: 100_000,
  /** Glob patterns after brace expansion, over all rules. */
  globs: 10_000,
  /** URL templates over all rules (each changed file becomes one URL per template). */
  templates: 1000
}

/** Glob patterns (after brace expansion) and URL templates still allowed in this parse. */
interface GlobBudget {
  left: number
  templates: number
}

const newBudget = (): GlobBudget => ({ left: RULE_LIMITS.globs, templates: RULE_LIMITS.templates })

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

/**
 * A glob portion with no magic character at all (conservative: `@`, `!`, `+` count as magic, and
 * so do private-use characters, with which minimatch marks the numeric ranges it keeps unexpanded
 * in `globSet`, like `{1..300}`).
 */
const LITERAL_PORTION = /^[^*?[\]{}()!+@\\\ue000-\uf8ff]*$/
/** `*` and then literal text, like `*.md`. */
const STAR_THEN_LITERAL = /^\*([^*?[\]{}()!+@\\\ue000-\uf8ff]+)$/

/**
 * The literal endings a match must have (`.md` for a pattern ending in `*.md`, `.png` and `.jpg`
 * for `*.{png,jpg}`), or null if none. Read from the brace-expanded patterns (`globSet`): in the
 * compiled rows, `*.{png,jpg}` has become one `@(*.png|*.jpg)` matcher.
 */
function literalSuffixes(matcher: Minimatch): string[] | null {
  const suffixes: string[] = []
  for (const pattern of matcher.globSet) {
    const last = pattern.slice(pattern.lastIndexOf('/') + 1)
    // minimatch resolves a last `.` or `..` portion away
    if (last === '' || last === '.' || last === '..') return null
    if (LITERAL_PORTION.test(last)) suffixes.push(last)
    else {
      const tail = STAR_THEN_LITERAL.exec(last)
      if (tail === null) return null
      suffixes.push(tail[1])
    }
  }
  return suffixes
}

/** See `CompiledGlob.affixesDecide`. */
function affixesDecide(matcher: Minimatch): boolean {
  if (matcher.set.length !== 1) return false
  const [row] = matcher.set
  const globstar = row.lastIndexOf(GLOBSTAR)
  if (globstar < 0 || !row.slice(0, globstar).every((part) => typeof part === 'string')) return false
  if (globstar === row.length - 1) return true
  return globstar === row.length - 2 && matcher.globSet.every((expanded) => STAR_THEN_LITERAL.test(expanded.slice(expanded.lastIndexOf('/') + 1)))
}

function compileGlob(rule: number, pattern: string, budget: GlobBudget): CompiledGlob {
  const segments = pattern.split('/')
  if (pattern.startsWith('/') || segments.includes('.') || segments.includes('..')) {
    throw ruleError(
      rule,
      `"files" pattern ${JSON.stringify(pattern)} is not relative to the repository root; write paths like 'public/**' without a leading "/", "./" or ".."`
    )
  }
  let matcher: Minimatch
  try {
    // one more than the budget: expansion stops there, and the check below sees it was over
    matcher = new Minimatch(pattern, { ...GLOB_OPTIONS, braceExpandMax: budget.left + 1 })
  } catch (error) {
    throw ruleError(rule, `"files" pattern ${JSON.stringify(pattern.slice(0, 80))} is not a valid glob: ${(error as Error).message}`)
  }
  budget.left -= matcher.globSet.length
  if (budget.left < 0) {
    throw ruleError(
      rule,
      `"files" pattern ${JSON.stringify(pattern.slice(0, 80))} takes the rules past ${RULE_LIMITS.globs.toLocaleString('en')} glob patterns after brace expansion; write fewer or broader patterns (e.g. 'img/**' rather than listing each file)`
    )
  }
  const prefixes = [...new Set(literalPrefixes(matcher))]
  const suffixes = literalSuffixes(matcher)
  return {
    pattern,
    matcher,
    prefixes: prefixes.includes('') ? [] : prefixes,
    suffixes: suffixes === null ? [] : [...new Set(suffixes)],
    affixesDecide: affixesDecide(matcher),
    rows: compileRows(matcher)
  }
}

/** Whether `path` matches one compiled pattern. */
export function globMatches(glob: CompiledGlob, path: string): boolean {
  return globMatchesPath(glob, path, isPlainPath(path))
}

/** `globMatches`, with `isPlainPath(path)` found once for all the patterns a path is tested against. */
function globMatchesPath(glob: CompiledGlob, path: string, plain: boolean): boolean {
  // The checks below assume minimatch splits the path at each "/" and nothing more; it folds
  // "//" and lets `a/*` match `a/b/`, so the rare other paths go to minimatch alone.
  if (!plain) return glob.matcher.match(path)
  const { prefixes, suffixes, rows } = glob
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
  if (glob.affixesDecide) return true
  return rows !== null ? rowsMatch(rows, path) : glob.matcher.match(path)
}

function compileFiles(rule: number, value: unknown, budget: GlobBudget): Pick<CompiledRule, 'files' | 'include' | 'exclude' | 'prefixes'> {
  const files = stringList(rule, 'files', value, 'a glob')
  const include: CompiledGlob[] = []
  const exclude: CompiledGlob[] = []
  for (const pattern of files) {
    if (pattern.startsWith('!')) {
      if (pattern.length === 1) throw ruleError(rule, '"files" has a "!" with no pattern after it')
      exclude.push(compileGlob(rule, pattern.slice(1), budget))
    } else {
      include.push(compileGlob(rule, pattern, budget))
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

/** Checks one rule's raw YAML value and compiles it, within `budget` glob patterns (shared by all rules of a parse). */
export function compileRule(rule: number, raw: unknown, budget: GlobBudget = newBudget()): CompiledRule {
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
  const files = compileFiles(rule, fields.files, budget)
  const texts = stringList(rule, 'urls', fields.urls, 'a URL template')
  budget.templates -= texts.length
  if (budget.templates < 0) {
    throw ruleError(
      rule,
      `"urls" takes the rules past ${RULE_LIMITS.templates.toLocaleString('en')} URL templates; each changed file becomes one URL per template`
    )
  }
  const templates = texts.map((text) => compileTemplate(text.trim(), rule))
  return {
    index: rule,
    ...files,
    strip: compileStrip(rule, fields.strip),
    templates,
    indexFile: compileIndex(rule, fields.index)
  }
}

/**
 * Whether `value` has more than `budget` nodes, counting a node repeated by an alias each
 * time it appears (as the rules compiler would meet it). Stops as soon as the budget is spent.
 */
function exceedsNodes(value: unknown, budget: number): boolean {
  let left = budget
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    if (--left < 0) return true
    const node = stack.pop()
    if (Array.isArray(node)) for (const item of node) stack.push(item)
    else if (node !== null && typeof node === 'object') for (const [key, item] of Object.entries(node)) stack.push(key, item)
  }
  return false
}

/** Only blank lines and comments: no YAML document at all. */
const NO_DOCUMENT = /^(?:[ \t]*(?:#.*)?(?:\r?\n|$))*$/

/**
 * Which rule a YAML syntax error at (`line`, `column`), both 0-based, belongs to: the list
 * items (lines starting with `-` at the list's indentation) that begin before it. 0 when none
 * does (the error is before the first rule or the text is not a list).
 */
function ruleAt(text: string, line: number, column: number): number {
  const lines = text.split(/\r?\n/)
  const first = lines.find((l) => !/^[ \t]*(?:#.*)?$/.test(l))
  const indent = first === undefined ? -1 : /^ */.exec(first)![0].length
  if (first === undefined || !/^-(?:\s|$)/.test(first.slice(indent))) return 0
  let rule = 0
  for (let i = 0; i <= line && i < lines.length; i++) {
    const l = lines[i]
    const isItem = /^ */.exec(l)![0].length === indent && /^-(?:\s|$)/.test(l.slice(indent))
    if (isItem && (i < line || column > indent)) rule++
  }
  return rule
}

/**
 * Parses and compiles the `rules` input. Blank text (or only comments) gives no rules. Throws an
 * `InputError` on `rules` saying which rule is wrong and how to fix it; YAML syntax errors give
 * the line and column.
 */
export function parseRules(text: string): CompiledRule[] {
  if (NO_DOCUMENT.test(text)) return []
  let value: unknown
  try {
    // YAML 1.2's core schema: strings, numbers, booleans, null; no dates, no merge keys.
    value = load(text, { schema: CORE_SCHEMA })
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err
    const mark = err.mark
    const where = mark === undefined ? '' : ` at line ${mark.line + 1}, column ${mark.column + 1}`
    const rule = mark === undefined ? 0 : ruleAt(text, mark.line, mark.column)
    const detail = `is not valid YAML${where}: ${err.reason}; check the indentation and quote globs and templates ('public/**')`
    throw new InputError('rules', rule > 0 ? `rule ${rule}: ${detail}` : `the rules list ${detail}`)
  }
  if (value === null || value === undefined) return []
  if (!Array.isArray(value)) {
    throw new InputError('rules', `must be a YAML list of rules, each starting with "- ", got ${describeValue(value)}; ${EXAMPLE}`)
  }
  if (value.length > RULE_LIMITS.rules) {
    throw new InputError(
      'rules',
      `has ${value.length.toLocaleString('en')} rules, more than ${RULE_LIMITS.rules.toLocaleString('en')}; merge rules that share a URL template`
    )
  }
  if (exceedsNodes(value, RULE_LIMITS.nodes)) {
    throw new InputError(
      'rules',
      `expands to more than ${RULE_LIMITS.nodes.toLocaleString('en')} YAML values (aliases such as *name count once per use); write the rules out without repeating large anchors`
    )
  }
  const budget = newBudget()
  return value.map((raw: unknown, i) => compileRule(i + 1, raw, budget))
}

/** Whether `path` matches `rule`: at least one include pattern and no exclude pattern. */
export function ruleMatches(rule: CompiledRule, path: string): boolean {
  return ruleMatchesPath(rule, path, isPlainPath(path))
}

function ruleMatchesPath(rule: CompiledRule, path: string, plain: boolean): boolean {
  const { include, exclude } = rule
  let included = false
  for (let i = 0; i < include.length && !included; i++) included = globMatchesPath(include[i], path, plain)
  if (!included) return false
  for (let i = 0; i < exclude.length; i++) if (globMatchesPath(exclude[i], path, plain)) return false
  return true
}

/** A rule, with only those of its patterns that can match the paths it is a candidate for. */
interface Candidate {
  readonly rule: CompiledRule
  readonly include: readonly CompiledGlob[]
  readonly exclude: readonly CompiledGlob[]
  /** Whether every path it is a candidate for matches an include pattern (`public/**` under `public/`). */
  readonly included: boolean
}

/** Last characters are told apart below this code; the others share one list. */
const OTHER_CHARS = 128

/** Whether a path ending in the character with code `last` (OTHER_CHARS: any other) can end with `suffix`. */
function endsLike(suffix: string, last: number): boolean {
  const code = suffix.charCodeAt(suffix.length - 1)
  return code < OTHER_CHARS ? code === last : last === OTHER_CHARS
}

/**
 * The candidates for the plain paths under one first directory (`public/`; null for the paths
 * under none, which only patterns with a magic start can match), by their last character.
 */
class Bucket {
  readonly #byLastChar: (readonly Candidate[] | undefined)[] = []

  constructor(
    readonly dir: string | null,
    readonly rules: readonly CompiledRule[]
  ) {}

  /** The candidates for the paths whose last character has code `last`, worked out on first need. */
  candidates(last: number): readonly Candidate[] {
    const key = last < OTHER_CHARS ? last : OTHER_CHARS
    return (this.#byLastChar[key] ??= this.#filter(key))
  }

  #filter(last: number): Candidate[] {
    const { dir } = this
    const fits = (glob: CompiledGlob): boolean =>
      (glob.prefixes.length === 0 || (dir !== null && glob.prefixes.some((prefix) => prefix.startsWith(dir)))) &&
      (glob.suffixes.length === 0 || glob.suffixes.some((suffix) => endsLike(suffix, last)))
    return this.rules.flatMap((rule) => {
      const include = rule.include.filter(fits)
      if (include.length === 0) return []
      const included = include.some((glob) => glob.affixesDecide && glob.suffixes.length === 0 && glob.prefixes.every((prefix) => prefix === dir))
      return [{ rule, include, exclude: rule.exclude.filter(fits), included }]
    })
  }
}

/**
 * Finds the rules a path matches, testing only the patterns that its first directory and its
 * last character leave possible: the literal prefixes of a pattern (`public/`) must fit the
 * first, and its literal suffixes (`.map`) the second. Each (directory, character) pair gets its
 * list of candidates once, so a path costs two look-ups plus the patterns left.
 */
export class RuleMatcher {
  /**
   * Buckets by the first character of their directory, its code modulo 128 (an array index); a
   * path is in at most one of them.
   */
  readonly #byFirstChar: Bucket[][] = Array.from({ length: 128 }, () => [])
  /** For the paths in no bucket. */
  readonly #anywhere: Bucket

  constructor(readonly rules: readonly CompiledRule[]) {
    this.#anywhere = new Bucket(null, rules)
    const globs = rules.flatMap((rule) => [...rule.include, ...rule.exclude])
    const dirs = new Set(globs.flatMap((glob) => glob.prefixes.map((prefix) => prefix.slice(0, prefix.indexOf('/') + 1))))
    for (const dir of dirs) this.#byFirstChar[dir.charCodeAt(0) & 127].push(new Bucket(dir, rules))
  }

  /**
   * Puts the rules `path` matches, in rule order, into `out` (emptied first); returns how many.
   * `plain` is `isPlainPath(path)`, given when the caller knows it already.
   */
  match(path: string, out: CompiledRule[], plain = isPlainPath(path)): number {
    // pop, not `out.length = 0`, which drops the array's storage: the next push would allocate
    while (out.length > 0) out.pop()
    if (!plain) {
      // the prefixes and suffixes only hold for plain paths; the rare others go to minimatch
      for (const rule of this.rules) if (ruleMatchesPath(rule, path, false)) out.push(rule)
      return out.length
    }
    const candidates = this.#bucket(path).candidates(path.charCodeAt(path.length - 1))
    for (let i = 0; i < candidates.length; i++) {
      const { include, exclude } = candidates[i]
      let included = candidates[i].included
      for (let j = 0; j < include.length && !included; j++) included = globMatchesPath(include[j], path, true)
      if (!included) continue
      let excluded = false
      for (let j = 0; j < exclude.length && !excluded; j++) excluded = globMatchesPath(exclude[j], path, true)
      if (!excluded) out.push(candidates[i].rule)
    }
    return out.length
  }

  #bucket(path: string): Bucket {
    const buckets = this.#byFirstChar[path.charCodeAt(0) & 127]
    for (let i = 0; i < buckets.length; i++) {
      const bucket = buckets[i]
      if (bucket.dir !== null && path.startsWith(bucket.dir)) return bucket
    }
    return this.#anywhere
  }
}
