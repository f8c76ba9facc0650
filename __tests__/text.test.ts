import { describe, expect, it } from '@jest/globals'
import { count } from '../src/text.js'

describe('count', () => {
  it.each([
    [0, 'file', undefined, '0 files'],
    [1, 'file', undefined, '1 file'],
    [2, 'file', undefined, '2 files'],
    [1, 'directory', 'directories', '1 directory'],
    [3, 'directory', 'directories', '3 directories'],
    [1, 'entry', 'entries', '1 entry']
  ])('%d %s → %s', (n, word, plural, text) => {
    expect(count(n, word, plural)).toBe(text)
  })
})
