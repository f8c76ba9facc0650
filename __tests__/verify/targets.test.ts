import { describe, expect, it } from '@jest/globals'
import type { ItemResult, ItemState } from '../../src/model.js'
import { parseRules } from '../../src/plan/rules.js'
import { edgeTargets, urlsOfFiles } from '../../src/verify/targets.js'

const rules = parseRules(`
- files: 'site/**'
  strip: 'site/'
  urls: 'https://cdn.example.com/{path}'
  index: index.html
`)

const item = (op: 'purge' | 'prefetch', url: string, state: ItemState = 'success'): ItemResult => ({
  op,
  kind: url.endsWith('/') ? 'dir' : 'url',
  url,
  host: 'cdn.example.com',
  taskId: 't',
  state,
  message: '',
  seconds: 1
})

describe('urlsOfFiles', () => {
  it('maps existing files through the rules; deleted files and unmatched ones have no URL; an index URL is its index file', () => {
    const map = urlsOfFiles(
      [
        { path: 'site/a.js', status: 'added' },
        { path: 'site/docs/index.html', status: 'modified' },
        { path: 'site/old.js', status: 'deleted' },
        { path: 'README.md', status: 'modified' },
        { path: 'site/my file.css', status: 'modified' }
      ],
      rules
    )
    expect([...map]).toEqual([
      ['https://cdn.example.com/a.js', 'site/a.js'],
      ['https://cdn.example.com/docs/index.html', 'site/docs/index.html'],
      ['https://cdn.example.com/docs/', 'site/docs/index.html'],
      ['https://cdn.example.com/my%20file.css', 'site/my file.css']
    ])
  })

  it('maps a URL that several changed files map to to all of them, a file matched by two rules once', () => {
    const two = parseRules(`
- files: 'site/**'
  strip: 'site/'
  urls: 'https://cdn.example.com/{path}'
- files: 'site/docs/*.html'
  strip: 'site/'
  urls: ['https://cdn.example.com/{path}', 'https://cdn.example.com/{dir}/']
`)
    const map = urlsOfFiles(
      [
        { path: 'site/docs/a.html', status: 'added' },
        { path: 'site/docs/b.html', status: 'modified' }
      ],
      two
    )
    expect(map.get('https://cdn.example.com/docs/a.html')).toBe('site/docs/a.html')
    expect(map.get('https://cdn.example.com/docs/')).toEqual(['site/docs/a.html', 'site/docs/b.html'])
    const page = { ...item('purge', 'https://cdn.example.com/docs/'), kind: 'url' as const }
    expect(edgeTargets([page], map, [], 'purge').targets).toEqual([
      { url: 'https://cdn.example.com/docs/', file: 'site/docs/a.html', item: 0, sharedBy: ['site/docs/a.html', 'site/docs/b.html'] }
    ])
  })

  it('is empty without rules (the urls input alone)', () => {
    expect(urlsOfFiles([{ path: 'a', status: 'added' }], []).size).toBe(0)
  })
})

describe('edgeTargets', () => {
  const fileOf = new Map([
    ['https://cdn.example.com/a.js', 'site/a.js'],
    ['https://cdn.example.com/b.js', 'site/b.js'],
    ['https://cdn.example.com/img/x.png', 'site/img/x.png']
  ])

  it('checks succeeded purge items: with their file, or for 2xx when they came from the urls input; not deleted files, not failed items', () => {
    const items = [
      item('purge', 'https://cdn.example.com/a.js'),
      item('purge', 'https://cdn.example.com/b.js', 'failure'),
      item('purge', 'https://cdn.example.com/gone.js'),
      item('purge', 'https://cdn.example.com/health'),
      item('prefetch', 'https://cdn.example.com/a.js')
    ]
    const t = edgeTargets(items, fileOf, ['https://cdn.example.com/health'], 'purge-prefetch')
    expect(t.targets).toEqual([
      { url: 'https://cdn.example.com/a.js', file: 'site/a.js', item: 0 },
      { url: 'https://cdn.example.com/health', file: null, item: 3 }
    ])
    expect(t.notDone).toBe(1)
    // gone.js: a deleted file's URL, done at the CDN, nothing to compare
    expect(t.notChecked).toBe(1)
  })

  it('checks prefetch items in prefetch mode', () => {
    const items = [item('prefetch', 'https://cdn.example.com/a.js')]
    expect(edgeTargets(items, fileOf, [], 'prefetch').targets).toEqual([{ url: 'https://cdn.example.com/a.js', file: 'site/a.js', item: 0 }])
  })

  it('a directory item stands for the mapped URLs under it that have no item of their own; an empty one is not checked', () => {
    const items = [item('purge', 'https://cdn.example.com/a.js'), item('purge', 'https://cdn.example.com/img/'), item('purge', 'https://cdn.example.com/old/')]
    const t = edgeTargets(items, fileOf, [], 'purge')
    expect(t.targets).toEqual([
      { url: 'https://cdn.example.com/a.js', file: 'site/a.js', item: 0 },
      { url: 'https://cdn.example.com/img/x.png', file: 'site/img/x.png', item: 1 }
    ])
    expect(t.notChecked).toBe(1)
  })
})
