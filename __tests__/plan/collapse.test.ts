import { describe, expect, it } from '@jest/globals'
import { collapseDirectories, collapseToFit } from '../../src/plan/collapse.js'

const plan = (purgeUrls: string[], purgeDirs: string[] = [], prefetchUrls: string[] = []) => ({ purgeUrls, purgeDirs, prefetchUrls })
const files = (dir: string, n: number) => Array.from({ length: n }, (_, i) => `${dir}f${i}.png`)

describe('collapseDirectories', () => {
  it('purges a directory instead of threshold or more files directly in it', () => {
    const urls = [...files('https://c.example/img/', 3), 'https://c.example/a.css']
    const r = collapseDirectories(plan(urls, [], urls), 3)
    expect(r.plan.purgeUrls).toEqual(['https://c.example/a.css'])
    expect(r.plan.purgeDirs).toEqual(['https://c.example/img/'])
    expect(r.plan.prefetchUrls).toEqual(urls) // prefetch untouched
    expect(r.collapsed).toEqual([{ dir: 'https://c.example/img/', files: 3 }])
  })

  it('leaves directories below the threshold alone', () => {
    const urls = files('https://c.example/img/', 2)
    const r = collapseDirectories(plan(urls), 3)
    expect(r.plan.purgeUrls).toEqual(urls)
    expect(r.collapsed).toEqual([])
  })

  it('drops URLs and directories below a collapsed directory, and a collapsed directory below another', () => {
    const urls = [...files('https://c.example/img/', 3), ...files('https://c.example/img/icons/', 4), 'https://c.example/img/deep/x.png']
    const r = collapseDirectories(plan(urls, ['https://c.example/img/old/']), 3)
    expect(r.plan.purgeUrls).toEqual([])
    expect(r.plan.purgeDirs).toEqual(['https://c.example/img/'])
    expect(r.collapsed).toEqual([{ dir: 'https://c.example/img/', files: 3 }])
  })

  it('never collapses the origin root, and keeps hosts apart', () => {
    const urls = [...files('https://c.example/', 5), ...files('https://d.example/img/', 2)]
    const r = collapseDirectories(plan(urls), 2)
    expect(r.plan.purgeUrls).toEqual(files('https://c.example/', 5))
    expect(r.plan.purgeDirs).toEqual(['https://d.example/img/'])
  })
})

describe('collapseToFit', () => {
  const urls = [...files('https://c.example/img/', 8), ...files('https://c.example/css/', 3), 'https://c.example/a.html', 'https://c.example/b.html']

  it('collapses at the highest threshold below the given one whose URL purges fit what is left', () => {
    // 13 URLs; 6 left: img (8) must go, css (3) may stay
    const r = collapseToFit(plan(urls), 20, 6)
    expect(r?.threshold).toBe(8)
    expect(r?.plan.purgeUrls).toHaveLength(5)
    expect(r?.plan.purgeDirs).toEqual(['https://c.example/img/'])
    // 3 left: css must go too
    expect(collapseToFit(plan(urls), 20, 3)).toMatchObject({ threshold: 3, plan: { purgeUrls: ['https://c.example/a.html', 'https://c.example/b.html'] } })
  })

  it('is null when even threshold 2 leaves too many URLs (the origin root is never collapsed)', () => {
    expect(collapseToFit(plan(urls), 20, 1)).toBeNull()
    expect(collapseToFit(plan(urls), 2, 100)).toBeNull()
  })
})
