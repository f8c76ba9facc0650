import { describe, expect, it } from '@jest/globals'
import type { ItemResult, ItemState, Operation } from '../../src/model.js'
import { ANNOTATED_CAUSES, failureAnnotations, failureMessage } from '../../src/report/annotations.js'
import { familyOf, groupFailures, nextSteps, type CauseFamily } from '../../src/report/causes.js'
import { computeVerdict } from '../../src/report/verdict.js'

const item = (url: string, state: ItemState, message: string, op: Operation = 'purge'): ItemResult => ({
  op,
  kind: 'url',
  url,
  host: new URL(url).host,
  taskId: state === 'submit-failed' ? null : 't1',
  state,
  message,
  seconds: null
})

describe('groupFailures', () => {
  // [provider, items as [url, state, message, op?], expected labels with their counts]
  const cases: [string, string, [string, ItemState, string, Operation?][], [string, number][]][] = [
    [
      'ztgame: one refusal on two hosts, two batches, is one cause',
      'ztgame',
      [
        ['https://a.example/1', 'submit-failed', 'ztgame purge of 10 urls on a.example failed: HTTP 403: a.example is not yours or not ready'],
        ['https://b.example/2', 'submit-failed', 'ztgame purge of 3 urls on b.example failed: HTTP 403: b.example is not yours or not ready'],
        ['https://b.example/3', 'submit-failed', 'ztgame purge of 3 urls on b.example failed: HTTP 403: b.example is not yours or not ready']
      ],
      [["purge failed: HTTP 403: (each URL's host) is not yours or not ready", 3]]
    ],
    [
      'ztgame: the status word is not repeated as a message',
      'ztgame',
      [
        ['https://a.example/1', 'failure', 'FAILURE'],
        ['https://a.example/2', 'failure', 'FAILURE'],
        ['https://a.example/3', 'failure', 'task id can not found']
      ],
      [
        ['purge failed at the CDN (status FAILURE)', 2],
        ['purge failed at the CDN: task id can not found', 1]
      ]
    ],
    [
      'ucloud: the item and the task status word are one cause; attempts do not split it',
      'ucloud',
      [
        ['https://a.example/1', 'failure', 'failure'],
        ['https://a.example/2', 'failure', 'failure (task)'],
        ['https://a.example/3', 'submit-failed', 'ucloud purge of 3 URLs failed after 3 attempts: RetCode 230: busy'],
        ['https://a.example/4', 'submit-failed', 'ucloud purge of 1 URL failed after 2 attempts: RetCode 230: busy']
      ],
      [
        ['purge failed at the CDN (status failure)', 2],
        ['purge failed after 3 attempts: RetCode 230: busy', 2]
      ]
    ],
    [
      'cdnetworks: URLs and directories in a batch, a quota refusal',
      'cdnetworks',
      [
        ['https://a.example/d/', 'submit-failed', 'cdnetworks purge of 37 URLs and 2 directories refused: the directory purge quota is used up (limit)'],
        ['https://a.example/x', 'submit-failed', 'cdnetworks purge of 5 URLs refused: the directory purge quota is used up (limit)'],
        ['https://a.example/y', 'failure', 'failure', 'prefetch']
      ],
      [
        ['purge refused: the directory purge quota is used up (limit)', 2],
        ['prefetch failed at the CDN (status failure)', 1]
      ]
    ],
    [
      'timeouts: progress percentages do not split a cause; last statuses do',
      'ucloud',
      [
        ['https://a.example/1', 'timeout', 'not final when the timeout ran out (last status: processing 45%)'],
        ['https://a.example/2', 'timeout', 'not final when the timeout ran out (last status: processing 80%)'],
        ['https://a.example/3', 'timeout', 'not sent: the timeout ran out']
      ],
      [
        ['purge not final when the timeout ran out (last status: processing 45%)', 2],
        ['purge not sent: the timeout ran out', 1]
      ]
    ],
    [
      'different codes, operations and a message naming its own URL',
      'ztgame',
      [
        ['https://a.example/1', 'submit-failed', 'ztgame purge of 2 urls on a.example failed: HTTP 403: no'],
        ['https://a.example/2', 'submit-failed', 'ztgame purge of 2 urls on a.example failed: HTTP 404: no'],
        ['https://a.example/3', 'submit-failed', 'ztgame prefetch of 2 urls on a.example failed: HTTP 403: no', 'prefetch'],
        ['https://a.example/4', 'failure', 'https://a.example/4 is not cached'],
        ['https://a.example/5', 'failure', 'https://a.example/5 is not cached'],
        ['https://a.example/6', 'submit-failed', 'POST http://127.0.0.1:1/cdn_api/purge answered HTTP 502; it may or may not have been acted on']
      ],
      [
        ['purge failed at the CDN: the URL is not cached', 2],
        ['purge failed: HTTP 403: no', 1],
        ['purge failed: HTTP 404: no', 1],
        ['prefetch failed: HTTP 403: no', 1],
        ['purge: POST http://127.0.0.1:1/cdn_api/purge answered HTTP 502; it may or may not have been acted on', 1]
      ]
    ]
  ]

  it.each(cases)('%s', (_, provider, rows, expected) => {
    const items = rows.map(([url, state, message, op]) => item(url, state, message, op))
    const causes = groupFailures([item('https://a.example/ok', 'success', 'SUCCESS'), ...items], provider)
    expect(causes.map((c) => [c.label, c.items.length])).toEqual(expected)
    // every failed item is in exactly one cause
    expect(causes.flatMap((c) => c.items).sort((a, b) => a.url.localeCompare(b.url))).toEqual(items.sort((a, b) => a.url.localeCompare(b.url)))
  })

  it('puts the largest cause first, equal ones in the order they first failed', () => {
    const causes = groupFailures(
      [
        item('https://a.example/1', 'failure', 'x'),
        item('https://a.example/2', 'failure', 'y'),
        item('https://a.example/3', 'failure', 'y'),
        item('https://a.example/4', 'failure', 'z')
      ],
      'ztgame'
    )
    expect(causes.map((c) => c.label)).toEqual(['purge failed at the CDN: y', 'purge failed at the CDN: x', 'purge failed at the CDN: z'])
  })

  it('has no cause when nothing failed', () => {
    expect(groupFailures([item('https://a.example/1', 'success', 'ok'), item('https://a.example/2', 'planned', 'dry run')], 'ztgame')).toEqual([])
  })
})

describe('familyOf and nextSteps', () => {
  it.each([
    ['timeout', 'not sent: the timeout ran out', 'timeout'],
    ['submit-failed', 'ztgame rejected the token (invalid token); check the token input', 'credentials'],
    ['submit-failed', 'ucloud purge: UCloud rejected the signature (RetCode 171); check the private-key input', 'credentials'],
    ['submit-failed', 'cdnetworks purge: the credentials were rejected (Forbidden); check the username input', 'credentials'],
    ['submit-failed', 'cdnetworks purge refused: the URL purge quota is used up (daily limit)', 'quota'],
    ['submit-failed', 'ucloud purge failed: RetCode 230: quota exceeded', 'quota'],
    ['failure', 'FAILURE', 'cdn'],
    ['submit-failed', 'ztgame purge failed: HTTP 503: busy', 'service'],
    ['submit-failed', 'POST https://x/ answered HTTP 500; it may or may not have been acted on', 'service'],
    ['submit-failed', 'ztgame purge failed: HTTP 403: a.example is not yours or not ready', 'refused'],
    ['submit-failed', 'something odd', 'other']
  ] as [ItemState, string, CauseFamily][])('%s %j → %s', (state, message, family) => {
    expect(familyOf(state, message)).toBe(family)
  })

  it('gives one line per family present, in the order of the causes', () => {
    const causes = groupFailures(
      [
        item('https://a.example/1', 'timeout', 'not sent: the timeout ran out'),
        item('https://a.example/2', 'failure', 'FAILURE'),
        item('https://a.example/3', 'failure', 'x')
      ],
      'ztgame'
    )
    const steps = nextSteps(causes)
    expect(steps).toHaveLength(2)
    expect(steps[0]).toMatch(/^\*\*Timeout:\*\*.*raise `timeout`/)
    expect(steps[1]).toMatch(/^\*\*Failed at the CDN:\*\*/)
  })
})

describe('failure annotations and message', () => {
  /** 20 causes of 50 URLs each: 1000 failures, and 10 successes. */
  const many = [
    ...Array.from({ length: 1000 }, (_, i) => item(`https://a.example/f${i}`, 'failure', `error ${String.fromCharCode(65 + Math.floor(i / 50))}`)),
    ...Array.from({ length: 10 }, (_, i) => item(`https://a.example/ok${i}`, 'success', 'SUCCESS'))
  ]

  it('annotates each cause once, naming its first URLs and its count, then counts the causes left', () => {
    const causes = groupFailures(many, 'ztgame')
    const notes = failureAnnotations(causes, 'purge', '/tmp/r.json')
    expect(notes).toHaveLength(ANNOTATED_CAUSES + 1)
    expect(notes[0]).toEqual({
      title: 'CDN purge failed for 50 URLs',
      message: 'purge failed at the CDN: error A — 50 URLs: https://a.example/f0, https://a.example/f1, https://a.example/f2 and 47 more'
    })
    expect(notes[ANNOTATED_CAUSES].message).toBe('15 more causes of failure (750 URLs); see the job summary, or the report (/tmp/r.json)')
  })

  it('annotates a single failure by its URL, in the singular', () => {
    const notes = failureAnnotations(groupFailures([item('https://a.example/x', 'failure', 'FAILURE')], 'ztgame'), 'purge', '/tmp/r.json')
    expect(notes).toEqual([{ title: 'CDN purge failed for 1 URL', message: 'purge failed at the CDN (status FAILURE) — 1 URL: https://a.example/x' }])
  })

  it('keeps the failure message short: verdict, rate, counts and the largest causes', () => {
    const message = failureMessage(computeVerdict(many, 100), groupFailures(many, 'ztgame'))
    expect(message).toBe(
      'Success rate 0.99% is below min-success-rate 100%: 1000 of 1010 items failed. Causes: ' +
        'purge failed at the CDN: error A — 50 URLs, first https://a.example/f0; ' +
        'purge failed at the CDN: error B — 50 URLs, first https://a.example/f50; ' +
        'purge failed at the CDN: error C — 50 URLs, first https://a.example/f100; and 17 more causes (see the job summary)'
    )
  })

  it('bounds a long provider message in the annotation and the failure message', () => {
    const long = [item('https://a.example/x', 'failure', 'E'.repeat(1900))]
    const causes = groupFailures(long, 'ztgame')
    expect(failureMessage(computeVerdict(long, 100), causes).length).toBeLessThan(500)
    expect(failureAnnotations(causes, 'purge', '/r').every((a) => a.message.length < 500)).toBe(true)
  })
})
