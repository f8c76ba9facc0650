/** Every relative link in the README and docs/ points at a file that exists, and every #anchor at a heading. */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

const pages = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  'bench/README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
]

/** The Markdown outside fenced code blocks, line by line. */
function prose(markdown: string): string[] {
  let fenced = false
  return markdown.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced
      return false
    }
    return !fenced
  })
}

/** Targets of inline links, images and reference definitions, inline code left out. */
function linkTargets(markdown: string): string[] {
  const text = prose(markdown)
    .map((l) => l.replace(/`[^`]*`/g, '``'))
    .join('\n')
  const inline = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1])
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1])
  return [...inline, ...references]
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of prose(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const text = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '')
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** The broken links of a page (its text read from disk unless given), as `target: why`. */
function brokenLinks(page: string, markdown = readFileSync(page, 'utf8')): string[] {
  const broken: string[] = []
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
    const [file, anchor] = target.split('#', 2)
    const resolved = file === '' ? page : path.normalize(path.join(path.dirname(page), decodeURI(file)))
    if (!existsSync(resolved)) {
      broken.push(`${target}: ${resolved} does not exist`)
      continue
    }
    if (anchor === undefined) continue
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
      broken.push(`${target}: an anchor into ${resolved}, which has no headings`)
      continue
    }
    if (!anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${target}: ${resolved} has no heading #${anchor}`)
  }
  return broken
}

describe('links in the README and docs/', () => {
  it('reads the heading anchors as GitHub makes them', () => {
    const headings =
      '# cdn-purge-action\n## ztgame (`cdn_api`)\n## Directory collapse (`dir-threshold`)\n## Verdict, log and summary\n```\n# not a heading\n```\n## Notes\n## Notes\n'
    expect([...anchors(headings)]).toEqual([
      'cdn-purge-action',
      'ztgame-cdn_api',
      'directory-collapse-dir-threshold',
      'verdict-log-and-summary',
      'notes',
      'notes-1'
    ])
  })

  it('finds inline, image and reference links, but not links in code', () => {
    const page = 'See [a](docs/a.md#x) and ![b](b.png).\n`[c](c.md)`\n```\n[d](d.md)\n```\n[e]: docs/e.md\n'
    expect(linkTargets(page)).toEqual(['docs/a.md#x', 'b.png', 'docs/e.md'])
  })

  it('flags a link to a missing file or heading, resolved from the page it is on', () => {
    const page = '[a](providers.md#ztgame-cdn_api) [b](nope.md) [c](providers.md#nope) [d](../README.md#inputs) [e](#nope) [f](examples/#x)'
    expect(brokenLinks('docs/report.md', page)).toEqual([
      'nope.md: docs/nope.md does not exist',
      'providers.md#nope: docs/providers.md has no heading #nope',
      '#nope: docs/report.md has no heading #nope',
      'examples/#x: an anchor into docs/examples/, which has no headings'
    ])
  })

  it.each(pages)('%s has no broken relative link', (page) => {
    expect(brokenLinks(page)).toEqual([])
  })

  it('the README links every page of docs/', () => {
    const linked = new Set(linkTargets(readFileSync('README.md', 'utf8')).map((t) => t.split('#')[0]))
    for (const f of readdirSync('docs').filter((f) => f.endsWith('.md'))) expect(linked).toContain(`docs/${f}`)
  })
})
