/** Pure parts of change detection: git output, API entries, input checks, compare arithmetic. */
import { describe, expect, it } from '@jest/globals'
import { normaliseFilesInput, treeDiffFromCompares } from '../../src/changes/detect.js'
import { isSafeRevision, isZeroSha, parseNameStatus, parseNulList } from '../../src/changes/git.js'
import { collapseDuplicates, mapApiFile, type ApiFile } from '../../src/changes/github-api.js'
import { ChangeDetectionError, InputError } from '../../src/errors.js'
import type { ChangedFile } from '../../src/model.js'

describe('parseNameStatus', () => {
  it.each<[string, string, ChangedFile[]]>([
    ['no changes', '', []],
    ['an addition', 'A\0a.txt\0', [{ path: 'a.txt', status: 'added' }]],
    ['a modification', 'M\0dir/b.html\0', [{ path: 'dir/b.html', status: 'modified' }]],
    ['a type change', 'T\0link\0', [{ path: 'link', status: 'modified' }]],
    ['a deletion', 'D\0gone.css\0', [{ path: 'gone.css', status: 'deleted' }]],
    ['an unmerged entry', 'U\0conflict\0', [{ path: 'conflict', status: 'modified' }]],
    ['an unknown letter', 'X\0odd\0', [{ path: 'odd', status: 'modified' }]],
    [
      'a rename (two paths)',
      'R100\0old name\0new name\0',
      [
        { path: 'old name', status: 'deleted' },
        { path: 'new name', status: 'added' }
      ]
    ],
    ['a copy (two paths)', 'C075\0src\0copy\0', [{ path: 'copy', status: 'added' }]],
    [
      'names that are data',
      'A\0-rf\0M\0$(id)\0A\0with\nnewline\0A\0tab\there\0M\0ünï cödé.html\0D\0"quoted"\0',
      [
        { path: '-rf', status: 'added' },
        { path: '$(id)', status: 'modified' },
        { path: 'with\nnewline', status: 'added' },
        { path: 'tab\there', status: 'added' },
        { path: 'ünï cödé.html', status: 'modified' },
        { path: '"quoted"', status: 'deleted' }
      ]
    ],
    [
      'a path that looks like a status',
      'M\0A\0D\0M\0',
      [
        { path: 'A', status: 'modified' },
        { path: 'M', status: 'deleted' }
      ]
    ]
  ])('%s', (_name, output, expected) => {
    expect(parseNameStatus(output)).toEqual(expected)
  })

  it.each([
    ['no trailing NUL (truncated)', 'M\0a.txt'],
    ['a status without its path', 'M\0a.txt\0D\0'],
    ['a rename without its new path', 'R100\0old\0'],
    ['an empty path', 'M\0\0'],
    ['text that is no status', 'hello\0a.txt\0'],
    ['a lowercase status', 'm\0a.txt\0'],
    ['the quoted, non -z format', 'M\ta.txt\n'],
    ['a lone NUL', '\0']
  ])('rejects %s', (_name, output) => {
    expect(() => parseNameStatus(output)).toThrow(ChangeDetectionError)
  })
})

describe('parseNulList', () => {
  it('splits NUL-terminated names, keeping every byte of each', () => {
    expect(parseNulList('a\0 b \0c\nd\0')).toEqual(['a', ' b ', 'c\nd'])
    expect(parseNulList('')).toEqual([])
  })
  it('rejects output cut short', () => {
    expect(() => parseNulList('a\0b')).toThrow(ChangeDetectionError)
  })
})

describe('isSafeRevision / isZeroSha', () => {
  it.each([
    ['main', true],
    ['v1.2.3', true],
    ['feature/x', true],
    ['HEAD~3', true],
    ['abc1234', true],
    ['-main', false],
    ['--output=/tmp/x', false],
    ['a..b', false],
    ['a...b', false],
    ['main:secret.txt', false],
    ['has space', false],
    ['new\nline', false],
    ['', false]
  ])('%j → %s', (rev, safe) => {
    expect(isSafeRevision(rev)).toBe(safe)
  })
  it('knows the all-zero SHA', () => {
    expect(isZeroSha('0'.repeat(40))).toBe(true)
    expect(isZeroSha('0'.repeat(39) + '1')).toBe(false)
    expect(isZeroSha(undefined)).toBe(false)
  })
})

describe('mapApiFile', () => {
  it.each<[ApiFile, ChangedFile[]]>([
    [{ filename: 'a', status: 'added' }, [{ path: 'a', status: 'added' }]],
    [{ filename: 'a', status: 'copied' }, [{ path: 'a', status: 'added' }]],
    [{ filename: 'a', status: 'modified' }, [{ path: 'a', status: 'modified' }]],
    [{ filename: 'a', status: 'changed' }, [{ path: 'a', status: 'modified' }]],
    [{ filename: 'a', status: 'removed' }, [{ path: 'a', status: 'deleted' }]],
    [
      { filename: 'new', status: 'renamed', previous_filename: 'old' },
      [
        { path: 'old', status: 'deleted' },
        { path: 'new', status: 'added' }
      ]
    ],
    [{ filename: 'a', status: 'unchanged' }, []],
    [{ filename: 'a', status: 'something-new' }, [{ path: 'a', status: 'modified' }]]
  ])('%j', (file, expected) => {
    expect(mapApiFile(file)).toEqual(expected)
  })

  it('collapses a path named twice into one modification', () => {
    const files = [
      { filename: 'b', status: 'renamed', previous_filename: 'a' },
      { filename: 'c', status: 'renamed', previous_filename: 'b' }
    ].flatMap(mapApiFile)
    expect(collapseDuplicates(files)).toEqual([
      { path: 'a', status: 'deleted' },
      { path: 'b', status: 'modified' },
      { path: 'c', status: 'added' }
    ])
  })
})

describe('treeDiffFromCompares', () => {
  const f = (path: string, status: ChangedFile['status']): ChangedFile => ({ path, status })

  it('is the forward list when base is an ancestor of head', () => {
    const forward = [f('a', 'added'), f('b', 'modified'), f('c', 'deleted')]
    expect(treeDiffFromCompares(forward, [])).toEqual(forward)
  })

  it('brings back what a force push reverted, with the status seen from base', () => {
    // base had added x, modified y, deleted z, all since the merge base; head has none of that.
    const backward = [f('x', 'added'), f('y', 'modified'), f('z', 'deleted')]
    expect(treeDiffFromCompares([], backward)).toEqual([f('x', 'deleted'), f('y', 'modified'), f('z', 'added')])
  })

  it('combines paths both sides touched', () => {
    const forward = [f('both-added', 'added'), f('both-deleted', 'deleted'), f('added-vs-gone', 'deleted'), f('m', 'modified')]
    const backward = [f('both-added', 'added'), f('both-deleted', 'deleted'), f('added-vs-gone', 'modified'), f('m', 'deleted')]
    expect(treeDiffFromCompares(forward, backward)).toEqual([
      f('both-added', 'modified'),
      // both-deleted: gone on both sides, nothing to purge
      f('added-vs-gone', 'deleted'),
      f('m', 'added')
    ])
  })
})

describe('normaliseFilesInput', () => {
  it('strips a leading ./ and drops repeats, keeping names as given', () => {
    expect(normaliseFilesInput(['./a.html', 'docs/b c.html', '././a.html', '-x', '$(id)', 'ü'])).toEqual(['a.html', 'docs/b c.html', '-x', '$(id)', 'ü'])
  })

  it.each([
    ['/etc/passwd', /absolute/],
    ['C:/site/a.html', /absolute/],
    ['../outside.html', /'\.\.'/],
    ['docs/../../x', /'\.\.'/],
    ['./..', /'\.\.'/],
    ['docs\\a.html', /backslash/],
    ['./', /names no file/],
    ['.', /names no file/]
  ])('rejects %j', (path, message) => {
    let error: unknown
    try {
      normaliseFilesInput(['ok.html', path])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('files')
    expect((error as InputError).message).toMatch(message)
  })

  it('does not mistake dots inside names for ..', () => {
    expect(normaliseFilesInput(['a..b/c...d', '.hidden/..x'])).toEqual(['a..b/c...d', '.hidden/..x'])
  })
})
