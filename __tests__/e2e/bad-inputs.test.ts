/**
 * Bad input: each case is a clear error naming the input, exit code 1, and zero requests,
 * through dist/index.js as the runner runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { runAction } from '../../emulators/runner.js'
import { startZtgameEmulator, type ZtgameEmulator } from '../../emulators/ztgame.js'

const rules = "- files: 'public/**'\n  strip: 'public/'\n  urls: 'https://www.example.com/{path}'\n"
const base = { provider: 'ztgame', token: 'tok', rules, files: 'public/a.html' }

// [what, inputs replacing the base ones, input the error must name, event name]
const cases: [string, Record<string, string>, string, string?][] = [
  ['empty provider', { provider: '' }, 'provider'],
  ['unknown provider', { provider: 'akamai' }, 'provider'],
  ['provider in capitals', { provider: 'ZTGAME' }, 'provider'],
  ['endpoint not http', { endpoint: 'ftp://cdn.example.com' }, 'endpoint'],
  ['endpoint not a URL', { endpoint: 'not a url' }, 'endpoint'],
  ['endpoint with credentials', { endpoint: 'https://u:p@api.example.com' }, 'endpoint'],
  ['endpoint with a query', { endpoint: 'https://api.example.com/?x=1' }, 'endpoint'],
  ['no token', { token: '' }, 'token'],
  ['username without password', { token: '', username: 'u' }, 'password'],
  ['password without username', { token: '', password: 'p' }, 'username'],
  ['cdnetworks without credentials', { provider: 'cdnetworks', token: '' }, 'username'],
  ['cdnetworks username without api-key', { provider: 'cdnetworks', token: '', username: 'acct' }, 'api-key'],
  ['cdnetworks access-key without secret-key', { provider: 'cdnetworks', token: '', 'access-key': 'AK' }, 'secret-key'],
  ['ucloud without keys', { provider: 'ucloud', token: '' }, 'public-key'],
  ['ucloud without private-key', { provider: 'ucloud', token: '', 'public-key': 'pub' }, 'private-key'],
  ['unknown mode', { mode: 'refresh' }, 'mode'],
  ['mode in capitals', { mode: 'PURGE' }, 'mode'],
  ['threshold above 100', { 'min-success-rate': '101' }, 'min-success-rate'],
  ['threshold below 0', { 'min-success-rate': '-5' }, 'min-success-rate'],
  ['threshold not a number', { 'min-success-rate': 'abc' }, 'min-success-rate'],
  ['threshold with a percent sign', { 'min-success-rate': '50%' }, 'min-success-rate'],
  ['wait yes', { wait: 'yes' }, 'wait'],
  ['wait 1', { wait: '1' }, 'wait'],
  ['timeout zero', { timeout: '0' }, 'timeout'],
  ['timeout negative', { timeout: '-1' }, 'timeout'],
  ['timeout fractional', { timeout: '1.5' }, 'timeout'],
  ['timeout beyond a job', { timeout: '100000' }, 'timeout'],
  ['timeout words', { timeout: 'ten' }, 'timeout'],
  ['poll-interval zero', { 'poll-interval': '0' }, 'poll-interval'],
  ['poll-interval words', { 'poll-interval': 'x' }, 'poll-interval'],
  ['poll-interval two hours', { 'poll-interval': '7200' }, 'poll-interval'],
  ['concurrency zero', { concurrency: '0' }, 'concurrency'],
  ['concurrency 100', { concurrency: '100' }, 'concurrency'],
  ['concurrency fractional', { concurrency: '2.5' }, 'concurrency'],
  ['dry-run maybe', { 'dry-run': 'maybe' }, 'dry-run'],
  ['allow-fork-credentials sure', { 'allow-fork-credentials': 'sure' }, 'allow-fork-credentials'],
  ['base that is an option', { base: '--upload-pack=touch /tmp/x' }, 'base'],
  ['base with a space', { base: 'a b' }, 'base'],
  ['neither rules nor urls', { rules: '', files: '' }, 'rules', 'workflow_dispatch'],
  ['files without rules', { rules: '' }, 'rules'],
  ['rules not YAML', { rules: '- files: [unclosed' }, 'rules'],
  ['rules not a list', { rules: "files: 'a/**'" }, 'rules'],
  ['rule without files', { rules: "- urls: 'https://x.example/{path}'" }, 'rules'],
  ['rule without urls', { rules: "- files: 'public/**'" }, 'rules'],
  ['rule with an unknown key', { rules: "- files: 'public/**'\n  url: 'https://x.example/{path}'" }, 'rules'],
  ['template without a placeholder', { rules: "- files: 'public/**'\n  urls: 'https://x.example/a.html'" }, 'rules'],
  ['template with an unknown placeholder', { rules: "- files: 'public/**'\n  urls: 'https://x.example/{file}'" }, 'rules'],
  ['template not http', { rules: "- files: 'public/**'\n  urls: 'ftp://x.example/{path}'" }, 'rules'],
  ['placeholder in the host', { rules: "- files: 'public/**'\n  urls: 'https://{name}.example/{path}'" }, 'rules'],
  ['only exclusions', { rules: "- files: '!public/**'\n  urls: 'https://x.example/{path}'" }, 'rules'],
  ['strip that does not match', { rules: "- files: 'public/**'\n  strip: 'site/'\n  urls: 'https://x.example/{path}'" }, 'rules'],
  ['urls not a URL', { urls: 'not-a-url', files: '' }, 'urls', 'workflow_dispatch'],
  ['urls not http', { urls: 'ftp://x.example/a', files: '' }, 'urls', 'workflow_dispatch'],
  ['a directory to prefetch', { urls: 'https://x.example/dir/', files: '', mode: 'prefetch' }, 'urls', 'workflow_dispatch'],
  ['files climbing out', { files: '../etc/passwd' }, 'files'],
  ['files absolute', { files: '/etc/passwd' }, 'files'],
  ['files with a backslash', { files: 'public\\a.html' }, 'files'],
  ['files on one line with an unclosed quote', { files: 'public/a.html "public/My Report.pdf' }, 'files'],
  ['urls with a space inside a URL', { urls: 'https://x.example/My Report.pdf', files: '' }, 'urls', 'workflow_dispatch'],
  ['dispatch with nothing to go on', { files: '' }, 'base', 'workflow_dispatch'],
  ['threshold in hex', { 'min-success-rate': '0x10' }, 'min-success-rate'],
  ['threshold in binary', { 'min-success-rate': '0b11' }, 'min-success-rate'],
  ['threshold with an exponent', { 'min-success-rate': '1e-9' }, 'min-success-rate'],
  ['timeout Infinity', { timeout: 'Infinity' }, 'timeout'],
  ['concurrency with a plus sign', { concurrency: '+5' }, 'concurrency'],
  ['endpoint with a line break', { endpoint: 'https://api.example.com\n::error::PWN' }, 'endpoint'],
  [
    'rules that multiply through aliases',
    { rules: `- &r\n  files: [${Array(3000).fill("'public/**'").join(',')}]\n  urls: 'https://x.example/{path}'\n${'- *r\n'.repeat(999)}` },
    'rules'
  ]
]

let emulator: ZtgameEmulator
beforeAll(async () => {
  emulator = await startZtgameEmulator({ tokens: ['tok'] })
})
afterAll(() => emulator.close())

describe(`${cases.length} bad inputs`, () => {
  it('has at least 40 cases', () => expect(cases.length).toBeGreaterThanOrEqual(40))
  // One object per case: jest reads a test function's arity, so rows of varying length would not do.
  const rows = cases.map(([what, over, input, eventName]) => ({ what, over, input, eventName: eventName ?? 'workflow_dispatch' }))
  it.each(rows)('$what', async ({ over, input, eventName }) => {
    const before = emulator.requests.length
    const r = await runAction({ inputs: { endpoint: emulator.url, ...base, ...over }, eventName })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(`::error::Input '${input}': `)
    expect(emulator.requests.length).toBe(before)
  })
})
