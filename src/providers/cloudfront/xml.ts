/**
 * A small strict XML reader for CloudFront's answers (providers-next.md §3): elements, text,
 * the five entities and numeric references; attributes are skipped, comments and the
 * declaration allowed. Anything else (CDATA, a DOCTYPE, unbalanced tags) is an error. The
 * emulator reads XML with a library on purpose, so the two never share one reading.
 */

export interface XmlElement {
  name: string
  children: XmlElement[]
  text: string
}

export class XmlError extends Error {}

const MAX_DEPTH = 32
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(text: string): string {
  return text.replace(/&([^;&\s]{1,10});/g, (whole, name: string) => {
    if (Object.hasOwn(ENTITIES, name)) return ENTITIES[name]
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name)
    const code = m ? parseInt(m[1] ?? m[2], m[1] ? 16 : 10) : NaN
    if (!(code > 0 && code <= 0x10ffff)) throw new XmlError(`unknown entity ${whole}`)
    return String.fromCodePoint(code)
  })
}

/** Parses a document; the root element. Names keep their prefix; text is the element's own text, decoded. */
export function parseXml(source: string): XmlElement {
  const stack: XmlElement[] = []
  let root: XmlElement | null = null
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y
  let i = 0
  while (i < source.length) {
    const lt = source.indexOf('<', i)
    const text = source.slice(i, lt < 0 ? source.length : lt)
    if (text !== '') {
      if (stack.length === 0) {
        if (text.trim() !== '') throw new XmlError('text outside the root element')
      } else stack[stack.length - 1].text += decode(text)
    }
    if (lt < 0) break
    if (source.startsWith('<?', lt) || source.startsWith('<!--', lt)) {
      const end = source.indexOf(source.startsWith('<?', lt) ? '?>' : '-->', lt + 2)
      if (end < 0) throw new XmlError('unterminated declaration or comment')
      i = end + (source.startsWith('<?', lt) ? 2 : 3)
      continue
    }
    tag.lastIndex = lt
    const m = tag.exec(source)
    // CDATA, DOCTYPE and the like are not in CloudFront's answers: refused.
    if (!m) throw new XmlError(`malformed markup at ${lt}`)
    const [, slash, name, , selfClose] = m
    if (slash === '/') {
      const open = stack.pop()
      if (!open || open.name !== name || selfClose || m[3] !== '') throw new XmlError(`unexpected </${name}>`)
    } else {
      if (root !== null && stack.length === 0) throw new XmlError('more than one root element')
      if (stack.length >= MAX_DEPTH) throw new XmlError('nested too deep')
      const el: XmlElement = { name, children: [], text: '' }
      if (stack.length > 0) stack[stack.length - 1].children.push(el)
      else root = el
      if (!selfClose) stack.push(el)
    }
    i = tag.lastIndex
  }
  if (root === null || stack.length > 0) throw new XmlError(root === null ? 'no root element' : `<${stack[stack.length - 1].name}> is not closed`)
  return root
}

/** The first child named `name`, or undefined. */
export const child = (el: XmlElement | undefined, name: string): XmlElement | undefined => el?.children.find((c) => c.name === name)

/** The text of the child reached by `path`, trimmed, or '' when absent. */
export function textAt(el: XmlElement | undefined, ...path: string[]): string {
  let at = el
  for (const name of path) at = child(at, name)
  return at?.text.trim() ?? ''
}
