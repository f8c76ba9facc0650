// Validates every workflow file (ours and the examples users copy) against GitHub's
// workflow schema with @action-validator/cli. action.yml is checked by
// __tests__/action-metadata.test.ts instead: the validator's bundled action schema
// predates node24 and rejects it.
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'

const dirs = ['.github/workflows', 'docs/examples']
const files = dirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f))
)
let failed = 0
for (const file of files) {
  try {
    execFileSync('npx', ['--no-install', 'action-validator', file], { stdio: 'pipe' })
    console.log(`ok    ${file}`)
  } catch (err) {
    failed++
    console.log(`FAIL  ${file}\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`)
  }
}
console.log(`${files.length - failed} of ${files.length} workflow files valid`)
process.exit(failed === 0 ? 0 : 1)
