/** dist/licenses.txt carries the license of every package the bundle is made of. */
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'

const licenses = readFileSync('dist/licenses.txt', 'utf8')
/** Each entry is the package name on a line of its own, then its license, then the license text. */
const lines = licenses.split('\n')
const named = new Set(lines.filter((_, i) => i === 0 || lines[i - 1] === ''))
const dependencies = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> }).dependencies)

describe('dist/licenses.txt', () => {
  it.each(dependencies)('names %s, a runtime dependency bundled into dist/', (name) => {
    expect(named).toContain(name)
  })

  it("includes the packages webpack concatenates, which ncc's own list misses", () => {
    for (const name of ['minimatch', 'brace-expansion', 'fetch-blob', 'formdata-polyfill', 'web-streams-polyfill']) expect(named).toContain(name)
  })
})
