import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-c', 'user.name=Demo', '-c', 'user.email=demo@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd })
  return stdout.trim()
}

export interface DemoPush {
  dir: string
  before: string
  after: string
  /** The push event payload GitHub would send. */
  event: object
  cleanup(): Promise<void>
}

/**
 * A throwaway repository with one push that adds, modifies, deletes and renames files,
 * including a name with a space and one with non-ASCII letters.
 */
export async function makeDemoPush(): Promise<DemoPush> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cdn-demo-repo-'))
  const put = async (file: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true })
    await writeFile(path.join(dir, file), text)
  }
  await git(dir, 'init', '-q', '-b', 'main')
  await put('public/index.html', '<h1>v1</h1>')
  await put('public/css/site.css', 'body{}')
  await put('public/js/old-name.js', 'console.log(1)')
  await put('public/img/logo.png', 'png')
  await put('README.md', 'docs')
  await git(dir, 'add', '-A')
  await git(dir, 'commit', '-q', '-m', 'first')
  const before = await git(dir, 'rev-parse', 'HEAD')

  await put('public/index.html', '<h1>v2</h1>') // modified
  await put('public/about us.html', 'about') // added, with a space
  await put('public/café/menü.html', 'menu') // added, non-ASCII
  await git(dir, 'rm', '-q', 'public/img/logo.png') // deleted
  await git(dir, 'mv', 'public/js/old-name.js', 'public/js/new-name.js') // renamed
  await put('README.md', 'more docs') // modified, matches no rule
  await git(dir, 'add', '-A')
  await git(dir, 'commit', '-q', '-m', 'second')
  const after = await git(dir, 'rev-parse', 'HEAD')
  return {
    dir,
    before,
    after,
    event: { ref: 'refs/heads/main', before, after, created: false, deleted: false, repository: { default_branch: 'main', full_name: 'octo/site' } },
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}

/** The site the demo push is served at, and the rules that map its public/ folder there. */
export const DEMO_SITE = 'https://www.example.com'
export const DEMO_RULES = `- files: 'public/**'
  strip: 'public/'
  urls: '${DEMO_SITE}/{path}'
  index: 'index.html'
`

/** What the demo push purges through DEMO_RULES: every change, both sides of the rename, the index page. */
export const DEMO_PURGE_URLS = [
  `${DEMO_SITE}/`,
  `${DEMO_SITE}/index.html`,
  `${DEMO_SITE}/about%20us.html`,
  `${DEMO_SITE}/caf%C3%A9/men%C3%BC.html`,
  `${DEMO_SITE}/img/logo.png`,
  `${DEMO_SITE}/js/new-name.js`,
  `${DEMO_SITE}/js/old-name.js`
]
