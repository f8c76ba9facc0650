/** The git runner: no shell, exit codes instead of exceptions. */
import { afterEach, describe, expect, it } from '@jest/globals'
import { isSafeBranch, makeGitRunner } from '../../src/changes/git.js'
import { TempDirs } from './git-fixture.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

describe('makeGitRunner', () => {
  it('hands arguments to git as they are, with no shell to expand them', async () => {
    const git = makeGitRunner(await temp.make('runner-'))
    const args = ['$(id)', '`id`', 'a;b', "it's", '*', '-rf', 'new\nline']
    const result = await git(['rev-parse', '--sq-quote', ...args])
    expect(result.code).toBe(0)
    // --sq-quote echoes each argument single-quoted: they arrived untouched.
    expect(result.stdout).toBe(" '$(id)' '`id`' 'a;b' 'it'\\''s' '*' '-rf' 'new\nline'\n")
  })

  it('resolves with the exit code and stderr when git fails', async () => {
    const git = makeGitRunner(await temp.make('runner-'))
    const result = await git(['rev-parse', '--verify', 'no-such-ref'])
    expect(result.code).toBe(128)
    expect(result.stderr).toMatch(/fatal/)
  })

  it('resolves (never rejects) when git cannot even start in the directory', async () => {
    const git = makeGitRunner('/nonexistent/dir/for/sure')
    const result = await git(['--version'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).not.toBe('')
  })
})

describe('isSafeBranch', () => {
  it.each(['main', 'release/1.2', 'feature-x_y', 'ünï', 'refs/x'])('accepts %j', (name) => {
    expect(isSafeBranch(name)).toBe(true)
  })

  it.each(['', '-main', 'a b', 'a\nb', 'a..b', 'a:b', 'feat*', 'a?b', 'a[b', 'a\\b', 'a^b', 'a~1'])(
    'refuses %j, which a refspec would read as more',
    (name) => {
      expect(isSafeBranch(name)).toBe(false)
    }
  )
})
