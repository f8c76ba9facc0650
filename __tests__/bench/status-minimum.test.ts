import { describe, expect, it } from '@jest/globals'
import { analyseOp, COMPLETE_AFTER_MS, expectedSubmits, STATUS_PAGE_ROWS, type TaskRef } from '../../bench/end-to-end.js'
import { aliyun } from '../../src/providers/aliyun/index.js'
import { tencentcloud } from '../../src/providers/tencentcloud/index.js'

const T = COMPLETE_AFTER_MS
const urls = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `https://a.example.com/${prefix}/${i}`)
const tasks: TaskRef[] = [
  { id: 't1', op: 'purge', urls: urls('a', 500) },
  { id: 't2', op: 'purge', urls: urls('b', 500) }
]
const submits = tasks.map((t) => ({ kind: 'submit' as const, op: 'purge' as const, at: 0, urls: t.urls }))
/** One time-range query of `pages` pages at `at` (pages 60 ms apart: one round). */
const rangeRound = (at: number, pages: number) =>
  Array.from({ length: pages }, (_, i) => ({ kind: 'status' as const, op: 'purge' as const, at: at + 60 * i, taskIds: 'range' as const, continuation: i > 0 }))

describe('bench: the status minimum of row-paged providers (tencentcloud)', () => {
  it('1,000 rows in two rounds: 2 calls at 1,000 rows a page; 10-page rounds are over it', () => {
    const pageRows = STATUS_PAGE_ROWS.tencentcloud
    expect(pageRows).toBe(1000)
    const lean = analyseOp('purge', [...submits, ...rangeRound(1000, 1), ...rangeRound(T + 100, 1)], tasks, tencentcloud.limits, true, pageRows)
    expect([lean.expectedStatusCalls, lean.statusCalls + lean.continuationPages, lean.rounds, lean.wastedQueries]).toEqual([2, 2, 2, 0])
    const paged = analyseOp('purge', [...submits, ...rangeRound(1000, 10), ...rangeRound(T + 100, 10)], tasks, tencentcloud.limits, true, pageRows)
    expect([paged.expectedStatusCalls, paged.statusCalls + paged.continuationPages, paged.rounds]).toEqual([2, 20, 2])
  })

  it('the submit minimum: 1,000 purge URLs a call, directories by dirsPerCall (500)', () => {
    const items = (n: number, kind: 'url' | 'dir') => Array.from({ length: n }, (_, i) => ({ url: `https://a.example.com/${i}/`, kind }))
    expect(expectedSubmits('purge', items(1000, 'url'), tencentcloud.limits)).toBe(1)
    expect(expectedSubmits('purge', items(1001, 'dir'), tencentcloud.limits)).toBe(3)
  })

  it('a round after every task was seen final is waste', () => {
    const calls = [...submits, ...rangeRound(T + 100, 1), ...rangeRound(2 * T, 1)]
    const a = analyseOp('purge', calls, tasks, tencentcloud.limits, true, STATUS_PAGE_ROWS.tencentcloud)
    expect(a.wastedQueries).toBe(1)
  })
})

describe('bench: the status minimum of id providers (aliyun) is unchanged', () => {
  it('ids per call, first pages only', () => {
    const ids = [...submits, { kind: 'status' as const, op: 'purge' as const, at: 1000, taskIds: ['t1', 't2'], continuation: false }]
    const a = analyseOp('purge', ids, tasks, aliyun.limits, true)
    expect([a.expectedStatusCalls, a.statusCalls, a.rounds]).toEqual([1, 1, 1])
  })
})
