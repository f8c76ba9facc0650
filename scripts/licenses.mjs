/**
 * Writes dist/licenses.txt: the license of every package whose code is in dist/.
 *
 * ncc's own --license list leaves out packages whose ES modules webpack concatenates
 * (minimatch, js-yaml, node-fetch's helpers…), so the list is made here from ncc's
 * --stats-out file, which names every bundled module, concatenated ones included.
 *
 *   node scripts/licenses.mjs <stats.json> <licenses.txt>   (the stats file is removed after)
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const [statsPath, outPath] = process.argv.slice(2)
if (!statsPath || !outPath) {
  console.error('usage: node scripts/licenses.mjs <stats.json> <licenses.txt>')
  process.exit(2)
}

const stats = JSON.parse(readFileSync(statsPath, 'utf8'))
/** Package directories (relative to the repository) of every module in the bundle. */
const dirs = new Set()
const walk = (modules) => {
  for (const m of modules ?? []) {
    const id = String(m.nameForCondition ?? m.name ?? '').replace(/\\/g, '/')
    const at = id.lastIndexOf('node_modules/')
    if (at >= 0) {
      const rest = id.slice(at + 'node_modules/'.length).split('/')
      const name = rest[0].startsWith('@') ? rest.slice(0, 2).join('/') : rest[0]
      dirs.add(path.resolve(id.slice(0, at), 'node_modules', name))
    }
    walk(m.modules)
  }
}
walk(stats.modules)
for (const chunk of stats.chunks ?? []) walk(chunk.modules)

const entries = new Map()
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
  if (entries.has(pkg.name)) continue
  const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN')
  const file = readdirSync(dir).find((f) => /^licen[cs]e(\.(md|txt))?$/i.test(f))
  const text = file ? readFileSync(path.join(dir, file), 'utf8').trim() : '(the package has no license file)'
  entries.set(pkg.name, `${pkg.name}\n${license}\n${text}\n`)
}
const names = [...entries.keys()].sort()
writeFileSync(outPath, names.map((name) => entries.get(name)).join('\n'))
rmSync(statsPath, { force: true })
console.log(`${outPath}: ${names.length} packages`)
