/**
 * The bench's inputs, generated deterministically (same seed, same files, every run):
 * the changed files and rules of the end-to-end runs, and the 100,000 paths × 20 rules of the
 * mapping and memory figures.
 */
import { seededRandom } from '../emulators/server.js'
import type { ChangedFile, ChangeStatus } from '../src/model.js'

// the same seeded PRNG the emulators' faults use: the workload must not change between runs
export { seededRandom }

const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)]

// ---- end to end: 1,000 changed files → 1,000 URLs on three hosts ------------------------

/**
 * Files per host for the end-to-end runs. Uneven and not multiples of 10 or 100, so that
 * Σ⌈items/limit⌉ differs from ⌈Σ items/limit⌉ and a wrong grouping shows. Each stays below
 * ucloud's documented daily quota of 700 file refreshes (and 500 prefetches) per domain.
 */
export const E2E_HOSTS = [
  { dir: 'public', host: 'www.example.com', files: 403 },
  { dir: 'static', host: 'static.example.com', files: 347 },
  { dir: 'assets', host: 'img.example.com', files: 250 }
] as const

export const E2E_RULES = E2E_HOSTS.map((h) => `- files: '${h.dir}/**'\n  strip: '${h.dir}/'\n  urls: 'https://${h.host}/{path}'\n`).join('')

const E2E_EXTENSIONS = ['html', 'css', 'js', 'png', 'webp', 'json', 'svg', 'woff2']

/** 1,000 distinct paths, each mapped by exactly one rule to exactly one URL. */
export function e2eFiles(): string[] {
  const random = seededRandom(1000)
  const files: string[] = []
  for (const { dir, files: count } of E2E_HOSTS) {
    for (let i = 0; i < count; i++) {
      const depth = Math.floor(random() * 3)
      const dirs = Array.from({ length: depth }, (_, d) => `d${d}-${Math.floor(random() * 8)}`)
      files.push([dir, ...dirs, `file-${i}.${pick(random, E2E_EXTENSIONS)}`].join('/'))
    }
  }
  return files
}

// ---- mapping and memory: 100,000 changed paths × 20 rules -------------------------------

/** 20 rules in the shapes users write: negations, brace globs, several hosts, magic first segments. */
export const MAPPING_RULES = `
- files: ['public/**', '!public/**/*.map', '!public/**/.DS_Store']
  strip: 'public/'
  urls: 'https://www.example.com/{path}'
  index: 'index.html'
- files: 'public/**/*.{png,jpg,jpeg,webp,gif,avif}'
  strip: 'public/'
  urls: ['https://img.example.com/{path}', 'https://img2.example.com/{path}']
- files: ['static/**', '!static/**/*.map', '!static/vendor/**/*.ts']
  strip: 'static/'
  urls: 'https://static.example.com/{path}'
- files: 'assets/**/*.{css,js,mjs}'
  urls: 'https://cdn.example.com/{path}'
- files: ['docs/**/*.{html,md}', '!docs/drafts/**']
  strip: 'docs/'
  urls: 'https://docs.example.com/{dir}/{stem}.html'
- files: 'blog/**'
  strip: 'blog/'
  urls: 'https://blog.example.com/{path}'
  index: 'index.html'
- files: '**/*.woff2'
  urls: 'https://fonts.example.com/{name}'
- files: 'apps/*/dist/**'
  urls: 'https://apps.example.com/{path}'
- files: 'i18n/{en,de,fr,ja}/**/*.json'
  strip: 'i18n/'
  urls: 'https://i18n.example.com/{path}'
- files: 'media/videos/**/*.{mp4,webm}'
  strip: 'media/'
  urls: 'https://video.example.com/{path}'
- files: ['downloads/**', '!downloads/**/*.tmp', '!downloads/**/*.part']
  strip: 'downloads/'
  urls: 'https://dl.example.com/{path}'
- files: '**/favicon.ico'
  urls: 'https://www.example.com/{name}'
- files: 'public/legacy/**/*.{html,css,js}'
  strip: 'public/legacy/'
  urls: 'https://old.example.com/{path}'
- files: 'static/vendor/**/*.min.{js,css}'
  strip: 'static/vendor/'
  urls: 'https://vendor.example.com/{path}'
- files: ['packages/*/public/**', '!packages/internal-*/**']
  urls: 'https://pkg.example.com/{path}'
- files: 'api/**/*.json'
  strip: 'api/'
  urls: 'https://api.example.com/v1/{path}'
- files: 'assets/images/**/*.{svg,png}'
  urls: 'https://img.example.com/a/{name}'
- files: 'site/{en,zh}/**/*.html'
  strip: 'site/'
  urls: 'https://www.example.com/{path}'
  index: 'index.html'
- files: ['content/**/*.{md,mdx}', '!content/**/_*']
  strip: 'content/'
  urls: 'https://www.example.com/c/{dir}/{stem}'
- files: ['downloads/**/*.{zip,tar.gz}', 'media/audio/**']
  urls: 'https://mirror.example.com/{path}'
`

/** Top directories with their share of paths; `src/`, `test/`, `scripts/`, source maps and drafts match no rule. */
const TOP_DIRS: readonly { prefix: () => string; weight: number; exts: readonly string[] }[] = [
  { prefix: () => 'public', weight: 20, exts: ['html', 'css', 'js', 'map', 'png', 'jpg', 'webp', 'svg', 'woff2', 'json', 'txt'] },
  { prefix: () => 'public/legacy', weight: 2, exts: ['html', 'css', 'js', 'gif'] },
  { prefix: () => 'static', weight: 10, exts: ['js', 'css', 'map', 'png', 'ts'] },
  { prefix: () => 'static/vendor', weight: 3, exts: ['min.js', 'min.css', 'js', 'ts', 'map'] },
  { prefix: () => 'assets', weight: 6, exts: ['css', 'js', 'mjs', 'png', 'svg', 'woff2'] },
  { prefix: () => 'assets/images', weight: 3, exts: ['svg', 'png', 'jpg'] },
  { prefix: () => 'docs', weight: 6, exts: ['html', 'md', 'png', 'yml'] },
  { prefix: () => 'docs/drafts', weight: 1, exts: ['md', 'html'] },
  { prefix: () => 'blog', weight: 5, exts: ['html', 'jpg', 'css'] },
  { prefix: () => 'i18n', weight: 3, exts: ['json', 'yml'] },
  { prefix: () => 'media/videos', weight: 2, exts: ['mp4', 'webm', 'vtt'] },
  { prefix: () => 'media/audio', weight: 1, exts: ['mp3', 'ogg'] },
  { prefix: () => 'downloads', weight: 2, exts: ['zip', 'tar.gz', 'tmp', 'part', 'pdf'] },
  { prefix: () => 'api', weight: 3, exts: ['json', 'xml'] },
  { prefix: () => 'site', weight: 4, exts: ['html', 'css'] },
  { prefix: () => 'content', weight: 4, exts: ['md', 'mdx', 'png'] },
  { prefix: () => 'src', weight: 12, exts: ['ts', 'tsx', 'js', 'json', 'css'] },
  { prefix: () => 'test', weight: 5, exts: ['ts', 'snap', 'json'] },
  { prefix: () => '.github', weight: 1, exts: ['yml', 'md'] },
  { prefix: () => 'scripts', weight: 2, exts: ['sh', 'py', 'js'] }
]

const WORDS = ['alpha', 'beta', 'core', 'ui', 'lib', 'main', 'v2', 'x', 'deep', 'util', '2024', 'img']
/** Names that need percent-encoding; one directory or file name in 50 uses one. */
const ODD_WORDS = ['about us', 'café', 'menü', 'a+b', 'q&a']
const word = (random: () => number): string => (random() < 0.02 ? pick(random, ODD_WORDS) : pick(random, WORDS))
const LANGS = ['en', 'de', 'fr', 'ja', 'zh', 'es']
const APPS = ['shop', 'admin', 'blog', 'docs']
const PACKAGES = ['ui', 'icons', 'internal-tools', 'internal-api', 'theme']

/**
 * `count` distinct repository paths, nested 0–5 directories deep, with mixed extensions, a few
 * names with spaces and non-ASCII letters, index files and favicons. Statuses: 10% deleted,
 * 30% added, the rest modified.
 */
export function mappingFiles(count: number, seed = 42): ChangedFile[] {
  const random = seededRandom(seed)
  const pool: { prefix: () => string; exts: readonly string[] }[] = []
  for (const dir of TOP_DIRS) for (let i = 0; i < dir.weight; i++) pool.push(dir)
  // apps/<app>/dist/** and packages/<pkg>/public/** need a random middle directory.
  for (let i = 0; i < 3; i++) pool.push({ prefix: () => `apps/${pick(random, APPS)}/${random() < 0.8 ? 'dist' : 'src'}`, exts: ['js', 'css', 'html', 'map'] })
  for (let i = 0; i < 3; i++)
    pool.push({ prefix: () => `packages/${pick(random, PACKAGES)}/${random() < 0.8 ? 'public' : 'src'}`, exts: ['js', 'svg', 'css', 'ts'] })
  const seen = new Set<string>()
  const files: ChangedFile[] = []
  for (let n = 0; files.length < count; n++) {
    const top = pick(random, pool)
    let dir = top.prefix()
    if (dir === 'i18n' || dir === 'site') dir += `/${pick(random, LANGS)}`
    const depth = Math.floor(random() * 5)
    for (let d = 0; d < depth; d++) dir += `/${word(random)}${random() < 0.5 ? '' : Math.floor(random() * 20)}`
    const roll = random()
    let name: string
    if (roll < 0.02) name = 'index.html'
    else if (roll < 0.025) name = 'favicon.ico'
    else if (roll < 0.03) name = `_partial${n}.md`
    else name = `${word(random)}-${n}.${pick(random, top.exts)}`
    const path = `${dir}/${name}`
    if (seen.has(path)) continue
    seen.add(path)
    const s = random()
    const status: ChangeStatus = s < 0.1 ? 'deleted' : s < 0.4 ? 'added' : 'modified'
    files.push({ path, status })
  }
  return files
}
