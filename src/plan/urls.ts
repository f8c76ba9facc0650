/**
 * Turning one changed file into CDN URLs: URL templates, RFC 3986 path encoding, the guard that
 * keeps every mapped URL under its template's base, and the `urls` action input.
 */
import { posix } from 'node:path'
import { InputError } from '../errors.js'
import type { CompiledRule } from './rules.js'

/** The placeholders a `urls` template may use. */
export type Placeholder = 'path' | 'dir' | 'name' | 'stem' | 'ext'
export const PLACEHOLDERS: readonly Placeholder[] = ['path', 'dir', 'name', 'stem', 'ext']
const PLACEHOLDER_LIST = '{path}, {dir}, {name}, {stem} or {ext}'

/** A `urls` template, split once at its placeholders. */
export interface UrlTemplate {
  /** As written in the rule. */
  readonly text: string
  /**
   * The text around the placeholders (`literals.length === placeholders.length + 1`); the
   * scheme and host of `literals[0]` are normalised (`HTTPS://CDN.Example.com:443` becomes
   * `https://cdn.example.com`).
   */
  readonly literals: readonly string[]
  readonly placeholders: readonly Placeholder[]
  /** `scheme://host[:port]`, e.g. `https://cdn.example.com`; every mapped URL keeps it. */
  readonly origin: string
  /** The path before the first placeholder, cut back to its last `/`, e.g. `/assets/`. */
  readonly basePath: string
  /**
   * What a URL rendered from a safe path still needs checked (see `mappedUrlProblem`):
   * - `full`: the dot-segment check and `new URL()`;
   * - `dots`: the dot-segment check alone, when the first literal starts with `origin + basePath`
   *   and every literal character after that is one the URL parser keeps (`INERT_LITERAL`);
   * - `none`: nothing, when besides each placeholder is `{path}` or `{name}` and fills whole
   *   segments (a `/` before it; after it a `/`, a `?` or the end): then every segment is one
   *   of the safe path's, never `.` or `..` (encoding never makes `%2E`), or one of the
   *   template's own, which `compileTemplate` checked.
   */
  readonly check: 'none' | 'dots' | 'full'
}

/** Characters RFC 3986 allows unencoded in a path segment (`pchar` minus `%`). */
const PCHAR_ONLY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/
/** Sub-delimiters `encodeURIComponent` escapes although RFC 3986 allows them in a segment. */
const KEPT_SUB_DELIMS: Record<string, string> = {
  '%24': '$',
  '%26': '&',
  '%2B': '+',
  '%2C': ',',
  '%3B': ';',
  '%3D': '=',
  '%3A': ':',
  '%40': '@'
}
const ESCAPED_SUB_DELIM = /%(?:24|26|2B|2C|3B|3D|3A|40)/g
/** The same, one at most: a test, much cheaper than a `replace` that finds nothing. */
const HAS_ESCAPED_SUB_DELIM = /%(?:24|26|2B|2C|3B|3D|3A|40)/
/** A character `encodePath` changes: neither pchar nor `/`. */
const NOT_PCHAR_PATH = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/

/**
 * Percent-encodes one path segment per RFC 3986: `A-Za-z0-9-._~!$&'()*+,;=:@` stay, every other
 * UTF-8 byte becomes `%XX` with uppercase hex (space `%20`, `#` `%23`, `?` `%3F`, `%` `%25`,
 * `é` `%C3%A9`). `decodeURIComponent` gives the segment back. Throws `URIError` on a lone
 * surrogate, which no UTF-8 file name can produce.
 */
export function encodePathSegment(segment: string): string {
  if (PCHAR_ONLY.test(segment)) return segment
  const encoded = encodeURIComponent(segment)
  return HAS_ESCAPED_SUB_DELIM.test(encoded) ? encoded.replace(ESCAPED_SUB_DELIM, (escape) => KEPT_SUB_DELIMS[escape]) : encoded
}

/**
 * Encodes each `/`-separated segment of a path, keeping the slashes. The segments before the one
 * holding the first character to encode are kept as they are, without splitting them.
 */
export function encodePath(path: string): string {
  const first = path.search(NOT_PCHAR_PATH)
  if (first < 0) return path
  let start = path.lastIndexOf('/', first) + 1
  let encoded = path.slice(0, start)
  for (;;) {
    const end = path.indexOf('/', start)
    if (end < 0) return encoded + encodePathSegment(path.slice(start))
    encoded += `${encodePathSegment(path.slice(start, end))}/`
    start = end + 1
  }
}

/**
 * Segments of pchar alone, none empty, `.` or `..`: a safe path with nothing to percent-encode,
 * the usual path from git.
 */
const SIMPLE_PATH = /^(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,;=:@]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,;=:@]+)*$/

/**
 * Whether `path` is safe (see `unsafePathReason`) and `encodePath` leaves it, and any part of it,
 * as it is. Such a path is plain too (see `isPlainPath`). One test for the usual path.
 */
export function isSimplePath(path: string): boolean {
  return SIMPLE_PATH.test(path)
}

/** Printable ASCII but `\`: a path of these alone has no backslash, NUL or lone surrogate. */
const PLAIN_ASCII = /^[\u0020-\u005b\u005d-\u007e]*$/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Why a repository path cannot be turned into a URL safely, or null when it can. A safe path is
 * relative, uses `/` only, and has no empty, `.` or `..` segment and no NUL. Other control
 * characters (newline, tab, …) are valid in a git path and are percent-encoded like any byte.
 */
export function unsafePathReason(path: string): string | null {
  if (path === '') return 'it is empty'
  if (path.charCodeAt(0) === 47) return 'it starts with "/"; paths must be relative to the repository root'
  if (!PLAIN_ASCII.test(path)) {
    if (path.includes('\\')) return 'it contains a backslash; paths must use "/" only'
    if (path.includes('\u0000')) return 'it contains a NUL byte, which no file name can hold'
    if (LONE_SURROGATE.test(path)) return 'it is not valid Unicode (lone surrogate)'
  }
  let start = 0
  while (start <= path.length) {
    let end = path.indexOf('/', start)
    if (end < 0) end = path.length
    const length = end - start
    if (length === 0) return 'it has an empty segment ("//" or a trailing "/")'
    if (length <= 2 && path.charCodeAt(start) === 46 && (length === 1 || path.charCodeAt(start + 1) === 46)) {
      return `it has a "${path.slice(start, end)}" segment`
    }
    start = end + 1
  }
  return null
}

const DOT_SEGMENTS = new Set(['.', '..', '%2e', '.%2e', '%2e.', '%2e%2e'])

/** Whether the path part of `url` (from index `from` to its query or fragment) has a dot segment. */
function hasDotSegment(url: string, from: number): boolean {
  // a dot segment starts with "." or "%", at `from` or right after a "/"
  const first = url.charCodeAt(from)
  if (first !== 46 && first !== 37 && url.indexOf('/.', from) < 0 && url.indexOf('/%', from) < 0) return false
  let stop = url.length
  const query = url.indexOf('?', from)
  if (query >= 0) stop = query
  const fragment = url.indexOf('#', from)
  if (fragment >= 0 && fragment < stop) stop = fragment
  let start = from
  while (start < stop) {
    let end = url.indexOf('/', start)
    if (end < 0 || end > stop) end = stop
    const length = end - start
    if (length > 0 && length <= 6) {
      const first = url.charCodeAt(start)
      if ((first === 46 || first === 37) && DOT_SEGMENTS.has(url.slice(start, end).toLowerCase())) return true
    }
    start = end + 1
  }
  return false
}

const DOT_SEGMENT_PROBLEM = 'has a "." or ".." path segment, which would move it out of the template\'s path'

/** What `new URL()` makes of `url`: why it is not an http(s) URL under the template's base, or null. */
function parsedUrlProblem(template: UrlTemplate, url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a valid URL'
  }
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.hostname === '') {
    return 'is not an http(s) URL with a host'
  }
  if (parsed.origin !== template.origin || !parsed.pathname.startsWith(template.basePath)) {
    return `leaves the template's base ${template.origin}${template.basePath}`
  }
  return null
}

/** Why `url`, made from `template` and a safe path, is not acceptable, or null. */
function mappedUrlProblem(template: UrlTemplate, url: string): string | null {
  if (template.check === 'none') return null
  if (hasDotSegment(url, template.origin.length)) return DOT_SEGMENT_PROBLEM
  // Such a URL is `origin + basePath` and then only pchar, `/`, `?`, `%` and %XX, which the
  // parser keeps as they are; with no dot segment to resolve, it parses to the same origin and a
  // pathname equal to its own text up to the "?", so `new URL()` would accept it.
  if (template.check === 'dots') return null
  return parsedUrlProblem(template, url)
}

/**
 * The value of one placeholder for `path` (already stripped) and its encoding `encoded`:
 * `a/b/c.min.js` gives dir `a/b`, name `c.min.js`, stem `c.min`, ext `.js`, all percent-encoded.
 */
export function placeholderValue(placeholder: Placeholder, path: string, encoded: string): string {
  switch (placeholder) {
    case 'path':
      return encoded
    case 'dir': {
      const cut = encoded.lastIndexOf('/')
      return cut < 0 ? '' : encoded.slice(0, cut)
    }
    case 'name':
      return encoded.slice(encoded.lastIndexOf('/') + 1)
    case 'stem':
    case 'ext': {
      const name = path.slice(path.lastIndexOf('/') + 1)
      const ext = posix.extname(name)
      return encodePathSegment(placeholder === 'ext' ? ext : name.slice(0, name.length - ext.length))
    }
  }
}

/**
 * Expands `template` for `path` (already stripped), `encoded` being `encodePath(path)`; an empty
 * `{dir}` drops the `/` right after it.
 */
export function renderTemplate(template: UrlTemplate, path: string, encoded = encodePath(path)): string {
  const { literals, placeholders } = template
  let url = literals[0]
  for (let i = 0; i < placeholders.length; i++) {
    const value = placeholderValue(placeholders[i], path, encoded)
    const next = literals[i + 1]
    url += value === '' && placeholders[i] === 'dir' && next.charCodeAt(0) === 47 ? value + next.slice(1) : value + next
  }
  return url
}

/** Whether the last segment of `path` is `name`. */
function lastSegmentIs(path: string, name: string): boolean {
  const start = path.length - name.length
  return path.endsWith(name) && (start === 0 || path.charCodeAt(start - 1) === 47)
}

function templateError(rule: number, text: string, problem: string): InputError {
  return new InputError('rules', `rule ${rule}: urls template ${JSON.stringify(text)} ${problem}`)
}

/**
 * Characters an http(s) URL parser keeps as they are in a path and a query: RFC 3986 pchar,
 * `/`, `?` and `%` (a `%` not followed by two hex digits is kept too).
 */
const INERT_LITERAL = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/

/** The path a template is tried with once, when the rules are parsed: dir `a`, stem `b`, ext `.c`. */
const SAMPLE_PATH = 'a/b.c'

/**
 * Splits and checks one `urls` template: only the five placeholders, at least one of them, an
 * http(s) URL with a host, and every placeholder after the host. Throws an `InputError` on
 * `rules` naming the rule (1-based `rule`) and the template.
 */
export function compileTemplate(text: string, rule: number): UrlTemplate {
  if (/[\s\u0000-\u001f\u007f]/.test(text)) {
    throw templateError(rule, text, 'contains a space or control character; percent-encode it (a space is %20)')
  }
  if (text.includes('#')) {
    throw templateError(rule, text, 'has a "#" fragment, which browsers never send to a CDN; remove it (a literal # is %23)')
  }
  const literals: string[] = []
  const placeholders: Placeholder[] = []
  let literal = ''
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '}') {
      throw templateError(rule, text, 'has a "}" without "{"; write a literal brace as %7D')
    }
    if (char !== '{') {
      literal += char
      continue
    }
    const close = text.indexOf('}', i)
    const open = text.indexOf('{', i + 1)
    if (close < 0 || (open >= 0 && open < close)) {
      throw templateError(rule, text, 'has a "{" without "}"; write a literal brace as %7B')
    }
    const name = text.slice(i + 1, close)
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw templateError(rule, text, `has an unknown placeholder {${name}}; use ${PLACEHOLDER_LIST}`)
    }
    literals.push(literal)
    placeholders.push(name as Placeholder)
    literal = ''
    i = close
  }
  literals.push(literal)
  if (placeholders.length === 0) {
    throw templateError(rule, text, `has no placeholder, so every file would map to this one URL; add ${PLACEHOLDER_LIST}, e.g. https://cdn.example.com/{path}`)
  }
  const scheme = /^https?:\/\//i.exec(text)
  if (scheme === null) {
    throw templateError(rule, text, 'must start with http:// or https://, e.g. https://cdn.example.com/{path}')
  }
  const head = literals[0]
  const authorityEnd = head.slice(scheme[0].length).search(/[/?]/)
  if (authorityEnd < 0) {
    throw templateError(
      rule,
      text,
      'has a placeholder in its scheme, host or port; put placeholders after the host and a "/", e.g. https://cdn.example.com/{path}'
    )
  }
  if (authorityEnd === 0) throw templateError(rule, text, 'has no host, e.g. https://cdn.example.com/{path}')
  const originText = head.slice(0, scheme[0].length + authorityEnd)
  if (originText.includes('@')) {
    throw templateError(rule, text, 'carries a user name or password; CDN URLs must not contain credentials')
  }
  let origin: string
  try {
    const parsed = new URL(`${originText}/`)
    if (parsed.hostname === '') throw new TypeError('no host')
    origin = parsed.origin
  } catch {
    throw templateError(rule, text, `has no valid host in ${JSON.stringify(originText)}`)
  }
  const rest = head.slice(originText.length)
  let basePath = '/'
  if (rest.startsWith('/')) {
    const pathEnd = rest.indexOf('?')
    const staticPath = pathEnd < 0 ? rest : rest.slice(0, pathEnd)
    // `//` would read as a new host to the URL parser, and is never a path a CDN serves
    if (staticPath.includes('//')) throw templateError(rule, text, 'has an empty path segment ("//"); write single slashes')
    basePath = new URL(staticPath.slice(0, staticPath.lastIndexOf('/') + 1), origin).pathname
  }
  literals[0] = origin + rest
  const base = origin + basePath
  const inert = literals[0].startsWith(base) && INERT_LITERAL.test(literals[0].slice(base.length)) && literals.every((l, i) => i === 0 || INERT_LITERAL.test(l))
  const wholeSegments = placeholders.every(
    (placeholder, i) => (placeholder === 'path' || placeholder === 'name') && literals[i].endsWith('/') && /^(?:[/?]|$)/.test(literals[i + 1])
  )
  const check = !inert ? 'full' : wholeSegments ? 'none' : 'dots'
  const template: UrlTemplate = { text, literals, placeholders, origin, basePath, check }
  const sample = renderTemplate(template, SAMPLE_PATH)
  // the full check, whatever `check` says
  const problem = hasDotSegment(sample, origin.length) ? DOT_SEGMENT_PROBLEM : parsedUrlProblem(template, sample)
  if (problem !== null) throw templateError(rule, text, `is not usable: a file would map to ${sample}, which ${problem}`)
  return template
}

function fileError(rule: CompiledRule, path: string, problem: string): InputError {
  return new InputError('rules', `rule ${rule.index}: file ${JSON.stringify(path)} ${problem}`)
}

/** Throws the error `mapPathToUrls(rule, path)` gives for an unsafe path (see `unsafePathReason`). */
export function assertSafePath(rule: CompiledRule, path: string): void {
  const unsafe = unsafePathReason(path)
  if (unsafe !== null) throw fileError(rule, path, `cannot be mapped to a URL: ${unsafe}`)
}

/**
 * The URLs `rule` maps the repository file `path` to, one per template in order, each followed
 * by its page URL when the file is the rule's `index` file. The caller has already checked that
 * the rule matches the path. Throws an `InputError` on `rules` naming the rule and the file when
 * the path is unsafe, does not start with `strip`, or maps to an unacceptable URL.
 */
export function mapPathToUrls(rule: CompiledRule, path: string): string[] {
  assertSafePath(rule, path)
  const urls: string[] = []
  appendMappedUrls(rule, path, urls)
  return urls
}

/**
 * `mapPathToUrls` for a path that `assertSafePath` has already passed (once for all the rules it
 * matches): pushes the URLs onto `out` instead of returning a new array. `simple` is
 * `isSimplePath(path)`, given when the caller knows it already.
 */
export function appendMappedUrls(rule: CompiledRule, path: string, out: string[], simple = false): void {
  if (!path.startsWith(rule.strip)) {
    throw fileError(
      rule,
      path,
      `matched but does not start with strip ${JSON.stringify(rule.strip)}; narrow "files" to paths under ${JSON.stringify(rule.strip)} or fix "strip"`
    )
  }
  const stripped = rule.strip === '' ? path : path.slice(rule.strip.length)
  const encoded = simple ? stripped : encodePath(stripped)
  // the encoded name, when the file is the rule's index file
  const indexName = rule.indexFile !== null && lastSegmentIs(stripped, rule.indexFile) ? placeholderValue('name', stripped, encoded) : null
  for (const template of rule.templates) {
    const url = renderTemplate(template, stripped, encoded)
    const problem = mappedUrlProblem(template, url)
    if (problem !== null) throw fileError(rule, path, `maps to ${JSON.stringify(url)}, which ${problem}`)
    out.push(url)
    if (indexName !== null && lastSegmentIs(url, indexName)) out.push(url.slice(0, url.length - indexName.length))
  }
}

/** The `urls` input, split into page URLs and directories (ending in `/`). */
export interface UrlList {
  urls: string[]
  dirs: string[]
}

/**
 * Where a line of the `urls` input splits into URLs: a run of spaces, tabs and commas holding a
 * space or tab, commas at either end of the line, and commas directly before `http://` or
 * `https://`. A comma between other characters belongs to the URL (`/w_100,h_100/`, `?ids=1,2`).
 */
const URL_SEPARATOR = /[ \t,]*[ \t][ \t,]*|^,+|,+$|,+(?=https?:\/\/)/i

/**
 * Parses the `urls` input: absolute http(s) URLs, one per line or several on a line (see
 * `URL_SEPARATOR`; a URL never holds a raw space, so splitting there loses nothing). Lines are
 * trimmed, blank lines skipped, duplicates dropped (first-seen order kept). A URL ending in `/`
 * (with no query or fragment) is a directory. URLs are kept exactly as written, not re-encoded.
 */
export function parseUrlList(text: string, input = 'urls'): UrlList {
  const urls = new Set<string>()
  const dirs = new Set<string>()
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    const values = line.split(URL_SEPARATOR).filter((v) => v !== '')
    for (const value of values) {
      const problem = urlLineProblem(value)
      if (problem !== null) {
        const hint =
          values.length > 1
            ? '; URLs on one line are separated by spaces or commas, so write a space inside a URL as %20'
            : '; write absolute URLs, one per line or separated by spaces or commas, e.g. https://cdn.example.com/path/file.js'
        throw new InputError(input, `line ${i + 1}: ${JSON.stringify(value)} is not an http(s) URL (${problem})${hint}`)
      }
      if (value.endsWith('/') && !/[?#]/.test(value)) dirs.add(value)
      else urls.add(value)
    }
  }
  return { urls: [...urls], dirs: [...dirs] }
}

function urlLineProblem(value: string): string | null {
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) return 'it contains a space or control character; encode it, e.g. %20'
  if (!/^https?:\/\/[^/?#]/i.test(value)) return 'it must start with http:// or https:// and a host'
  let parsed: URL
  try {
    parsed = new URL(value)
  } catch {
    return 'the URL parser rejects it'
  }
  if (parsed.hostname === '') return 'it has no host'
  if (parsed.username !== '' || parsed.password !== '') return 'it must not carry a user name or password'
  return null
}
