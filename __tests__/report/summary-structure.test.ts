/**
 * The summary of a failing run read the way GitHub's GFM renderer reads it, without a renderer:
 * blocks split at blank lines; a block starting with `<` is an HTML block (no Markdown inside,
 * it ends at the next blank line), the rest Markdown. The checks: the failures come first, the
 * URLs are links, and nothing from outside becomes Markdown or HTML.
 */
import { describe, expect, it } from '@jest/globals'
import { marked } from 'marked'
import type { ItemResult, ItemState } from '../../src/model.js'
import { buildReport } from '../../src/report/report.js'
import { renderSummary } from '../../src/report/summary.js'
import { computeVerdict } from '../../src/report/verdict.js'

type Block = { kind: 'heading'; level: number; text: string } | { kind: 'html'; text: string } | { kind: 'markdown'; text: string }

/** Tags the summary may use, and the one attribute (a link's http(s) href). */
const TAGS = new Set(['ol', 'ul', 'li', 'b', 'a', 'code', 'table', 'tr', 'th', 'td', 'details', 'summary', 'p'])
const TAG = /<(\/?)([a-z]+)((?: [a-z]+="[^"<>]*")*)>/g

const decode = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))

function readBlocks(md: string): Block[] {
  return md
    .split(/\n{2,}/)
    .filter((b) => b.trim() !== '')
    .map((text): Block => {
      const heading = /^(#{1,6}) (.*)$/.exec(text)
      if (heading && !text.includes('\n')) return { kind: 'heading', level: heading[1].length, text: heading[2] }
      return text.startsWith('<') ? { kind: 'html', text } : { kind: 'markdown', text }
    })
}

/** An HTML block's links and text; fails on an unknown tag or attribute, an unbalanced tag, or a stray `<`/`>`. */
function readHtml(block: string, open: string[]): { links: { href: string; text: string }[]; text: string } {
  const links: { href: string; text: string }[] = []
  let text = ''
  let last = 0
  let href: string | null = null
  let linkText = ''
  for (const m of block.matchAll(TAG)) {
    const between = block.slice(last, m.index)
    expect(between).not.toMatch(/[<>]/)
    text += between
    if (href !== null) linkText += between
    last = m.index + m[0].length
    const [, closing, name, attrs] = m
    expect(TAGS.has(name)).toBe(true)
    if (closing) {
      expect(open.pop()).toBe(name)
      if (name === 'a') {
        links.push({ href: href!, text: decode(linkText) })
        href = null
        linkText = ''
      }
    } else {
      open.push(name)
      if (name === 'a') {
        const found = /^ href="(https?:\/\/[^"]*)"$/.exec(attrs)
        expect(found).not.toBeNull()
        href = decode(found![1])
      } else {
        expect(attrs).toBe('')
      }
    }
  }
  expect(block.slice(last)).not.toMatch(/[<>]/)
  return { links, text: text + block.slice(last) }
}

const HOSTILE = '<img src=x onerror=alert(1)>\n\n# owned\n\n![x](https://evil.example/x.png) [y](https://evil.example) **b** `c` | d |'

function failingRun() {
  const item = (url: string, state: ItemState, message: string, taskId: string | null = 'task-0123456789'): ItemResult => ({
    op: 'purge',
    kind: 'url',
    url,
    host: new URL(url).host,
    taskId,
    state,
    message,
    seconds: state === 'success' ? 2 : null
  })
  const items = [
    ...Array.from({ length: 40 }, (_, i) => item(`https://www.example.com/ok_${i}.js`, 'success', 'SUCCESS')),
    item('https://static.example.org/a_(1).png', 'submit-failed', 'ztgame purge of 2 urls on static.example.org failed: HTTP 403: not yours', null),
    item('https://static.example.org/b*2*.png', 'submit-failed', 'ztgame purge of 2 urls on static.example.org failed: HTTP 403: not yours', null),
    item('https://www.example.com/evil.html', 'failure', HOSTILE),
    item('https://www.example.com/slow.mp4', 'timeout', 'not final when the timeout ran out (last status: RUN)')
  ]
  return buildReport({
    provider: 'ztgame',
    mode: 'purge',
    dryRun: false,
    waited: true,
    verdict: computeVerdict(items, 100),
    taskIds: ['task-0123456789'],
    items
  })
}

describe('the summary of a failing run, read as GitHub reads it', () => {
  const md = renderSummary(failingRun())
  const blocks = readBlocks(md)
  const headings = blocks.filter((b) => b.kind === 'heading').map((b) => b.text)

  it('starts with the verdict and the rate, then the failures, what to do next, and the successes', () => {
    expect(blocks[0]).toEqual({ kind: 'heading', level: 2, text: '❌ CDN purge failed: 90.91% succeeded (minimum 100%)' })
    expect(headings).toEqual([blocks[0].text, 'Failed: 4 URLs, 3 causes', 'What to do next', 'Succeeded: 40 URLs'])
    const failed = blocks.findIndex((b) => b.kind === 'heading' && b.text.startsWith('Failed'))
    expect(blocks[failed + 1].kind).toBe('html')
    expect(blocks[failed + 1].text.startsWith('<ol>')).toBe(true)
  })

  it('lists each cause once with its count, every failed URL as a link, the largest cause first', () => {
    const failed = blocks.findIndex((b) => b.kind === 'heading' && b.text.startsWith('Failed'))
    const open: string[] = []
    const { links, text } = readHtml(blocks[failed + 1].text, open)
    expect(open).toEqual([])
    const urls = [
      'https://static.example.org/a_(1).png',
      'https://static.example.org/b*2*.png',
      'https://www.example.com/evil.html',
      'https://www.example.com/slow.mp4'
    ]
    expect(links).toEqual(urls.map((u) => ({ href: u, text: u })))
    const causes = decode(text).split('\n').slice(1, -1)
    expect(causes[0]).toMatch(/^purge failed: HTTP 403: not yours — 2 URLs/)
    // the hostile message is shown whole, as text: its line breaks as visible \n
    expect(causes[1]).toContain(`purge failed at the CDN: ${HOSTILE.replace(/\n/g, '\\n')} — 1 URL`)
    expect(causes[2]).toMatch(/^purge not final when the timeout ran out \(last status: RUN\) — 1 URL/)
  })

  it('injects no Markdown or HTML: every block is ours, every tag known and balanced, links only http(s)', () => {
    const open: string[] = []
    for (const block of blocks) {
      if (block.kind === 'html') readHtml(block.text, open)
      else if (block.kind === 'markdown') {
        expect(block.text).not.toMatch(/[<>]|!\[|\]\(|^#/m)
      }
    }
    expect(open).toEqual([]) // <details> opens and closes across its blocks
    expect(md).not.toContain('# owned')
    expect(md).not.toContain('<img')
    expect(md.match(/^#+ /gm)).toHaveLength(4)
  })

  it('folds the succeeded URLs, counted per operation and host, with short task ids', () => {
    expect(md).toMatch(/<tr><td>purge<\/td><td>www\.example\.com<\/td><td>40<\/td><td>2<\/td><\/tr>/)
    expect(md).toContain('<details><summary>The 40 succeeded URLs</summary>')
    expect(md).toContain('<code>task-012…</code>')
    expect(md).not.toContain('task-0123456789')
  })
})

describe('the summary of a failing run, rendered by a GFM renderer (marked) as GitHub renders it before sanitising', () => {
  const html = marked.parse(renderSummary(failingRun()), { gfm: true, async: false }) as string
  const at = (needle: string) => html.indexOf(needle)

  it('renders the verdict heading first, then the failures, what to do next and the successes, in that order', () => {
    const headings = [...html.matchAll(/<h(\d)[^>]*>([^<]*)<\/h\1>/g)].map((m) => `h${m[1]} ${m[2]}`)
    expect(headings).toEqual([
      'h2 ❌ CDN purge failed: 90.91% succeeded (minimum 100%)',
      'h3 Failed: 4 URLs, 3 causes',
      'h3 What to do next',
      'h3 Succeeded: 40 URLs'
    ])
    expect(at('<ol>')).toBeGreaterThan(at('Failed: 4 URLs'))
    expect(at('<ol>')).toBeLessThan(at('What to do next'))
    expect(at('<details>')).toBeGreaterThan(at('Succeeded: 40 URLs'))
  })

  it('makes every failed URL a link', () => {
    for (const url of ['https://static.example.org/a_(1).png', 'https://static.example.org/b*2*.png', 'https://www.example.com/evil.html']) {
      const escaped = [...url].map((ch) => (/[a-z0-9:/.-]/i.test(ch) ? ch : `&#${ch.charCodeAt(0)};`)).join('')
      expect(html).toContain(`<a href="${escaped}">${escaped}</a>`)
    }
  })

  it('turns nothing from a provider into Markdown or HTML: no heading, image, link, emphasis or tag of its own', () => {
    expect(html).not.toMatch(/<h1|<img|<script|<strong>b<\/strong>|<em>/i)
    expect(html).not.toContain('href="https://evil.example')
    expect(html).not.toMatch(/<code>c<\/code>/)
    // the hostile message is there, as text (character references decode to it)
    expect(decode(html)).toContain('# owned')
    expect(decode(html)).toContain('![x](https://evil.example/x.png)')
  })
})
