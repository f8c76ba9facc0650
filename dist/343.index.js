export const id = 343;
export const ids = [343];
export const modules = {

/***/ 7343:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  checkAtEdge: () => (/* reexport */ checkAtEdge)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
var external_node_path_default = /*#__PURE__*/__webpack_require__.n(external_node_path_);
// EXTERNAL MODULE: ./src/external.ts
var external = __webpack_require__(288);
// EXTERNAL MODULE: ./src/http/transport.ts + 14 modules
var http_transport = __webpack_require__(2975);
// EXTERNAL MODULE: ./src/engine/clock.ts
var clock = __webpack_require__(3124);
;// CONCATENATED MODULE: ./src/verify/outcome.ts
const outcome_short = (sha) => sha.slice(0, 12);
/** Results worst first: an item standing for several URLs takes the worst of theirs. */
const RANK = ['stale', 'unreachable', 'skipped', 'fresh', 'answered'];
/** One answer for a target: `expected` is its file's digest, null for a URL with no file (2xx is enough). */
function judge(answer, expected) {
    if ('error' in answer)
        return { result: 'unreachable', detail: answer.error };
    const { status } = answer;
    if (status >= 300 || status < 200) {
        const redirect = status >= 300 && status < 400 ? ' (a redirect, not followed)' : '';
        return { result: 'unreachable', detail: `HTTP ${status}${redirect}` };
    }
    if (expected === null)
        return { result: 'answered', detail: `HTTP ${status}` };
    if ('skip' in expected)
        return { result: 'skipped', detail: expected.skip };
    // The file is under the cap (a larger one is skipped before any fetch), so a body over it is other bytes.
    if (answer.overCap)
        return { result: 'stale', detail: `a body over the size cap (not read) at the edge, ${expected.bytes} bytes in the workspace` };
    if (answer.sha256 === undefined)
        return { result: 'skipped', detail: 'the body was not hashed' };
    if (answer.sha256 === expected.sha256)
        return { result: 'fresh', detail: `sha256 ${outcome_short(expected.sha256)} (${answer.bytes ?? 0} bytes)` };
    return {
        result: 'stale',
        detail: `sha256 ${outcome_short(answer.sha256)} (${answer.bytes ?? 0} bytes) at the edge, ${outcome_short(expected.sha256)} (${expected.bytes} bytes) in the workspace`
    };
}
/** Whether a check is worth repeating: edges converge over seconds after a purge. */
const recheckable = (check) => check.result === 'stale' || check.result === 'unreachable';
/** The edge's outcome written onto the items: a stale or unreachable item fails with it. */
function applyChecks(items, targets, checks, rounds) {
    const byItem = new Map();
    targets.forEach((target, i) => {
        const list = byItem.get(target.item) ?? [];
        list.push({ target, check: checks[i] });
        byItem.set(target.item, list);
    });
    const out = [...items];
    const tries = rounds === 1 ? '1 try' : `${rounds} tries`;
    for (const [index, list] of byItem) {
        const item = items[index];
        const worst = RANK.find((r) => list.some((x) => x.check.result === r)) ?? 'skipped';
        const bad = list.filter((x) => x.check.result === worst);
        const first = bad[0];
        // a directory names the URL under it; a URL's own is in the item
        const where = item.kind === 'dir' ? `${bad.length} of ${list.length} URLs under it, first ${first.target.url}: ` : '';
        const file = first.target.file === null ? '' : ` (${first.target.file})`;
        const edge = { result: worst, detail: `${where}${first.check.detail}${file}` };
        if (worst === 'stale') {
            const what = item.kind === 'dir' ? 'URLs under it serve' : 'it serves';
            out[index] = { ...item, state: 'stale', message: `stale at the edge: ${what} other bytes than the workspace file after ${tries}`, edge };
        }
        else if (worst === 'unreachable') {
            out[index] = { ...item, state: 'unreachable', message: `unreachable at the edge after ${tries}: ${where}${first.check.detail}`, edge };
        }
        else {
            out[index] = { ...item, edge };
        }
    }
    return out;
}
/** The counts over targets (a directory's URLs each count). */
function summarise(checks, extra) {
    const summary = { urls: checks.length, fresh: 0, answered: 0, stale: 0, unreachable: 0, skipped: 0, ...extra };
    for (const c of checks)
        summary[c.result]++;
    return summary;
}

;// CONCATENATED MODULE: ./src/verify/check.ts
/** Fetching the targets at the edge, in rounds: every target once, then the stale and unreachable ones again. */


/** Why a URL several changed files map to is not fetched, naming the first few. */
function sharedDetail(files) {
    const named = files.slice(0, 3).join(', ');
    return `${files.length} changed files map to this URL (${named}${files.length > 3 ? ', …' : ''}); not fetched`;
}
/**
 * Checks every target once, then rechecks the stale and unreachable ones after each pause of
 * `recheckDelaysMs` while any are left and the pause ends before the deadline. A file is
 * digested once however many URLs map to it; a skipped target (file too large, not a regular
 * file, a URL several changed files map to) is never fetched.
 */
async function checkTargets(targets, deps, options) {
    const started = deps.clock.now();
    const digests = new Map();
    const digestOf = (file) => {
        let d = digests.get(file);
        if (d === undefined)
            digests.set(file, (d = deps.digest(file)));
        return d;
    };
    const checkOne = async (target) => {
        // the edge serves one body for them: no file to compare it with
        if (target.sharedBy)
            return { result: 'skipped', detail: sharedDetail(target.sharedBy) };
        const expected = target.file === null ? null : await digestOf(target.file);
        if (expected !== null && 'skip' in expected)
            return { result: 'skipped', detail: expected.skip };
        return judge(await deps.fetch(target.url), expected);
    };
    const checks = await (0,clock/* mapConcurrent */._k)(targets, options.concurrency, checkOne);
    let rounds = 1;
    for (const delay of options.recheckDelaysMs) {
        const again = targets.map((_, i) => i).filter((i) => recheckable(checks[i]));
        if (again.length === 0)
            break;
        if (deps.clock.now() + delay >= deps.deadline) {
            deps.log(`edge: ${again.length} not rechecked: the timeout runs out first`);
            break;
        }
        await deps.clock.sleep(delay);
        rounds++;
        const rechecked = await (0,clock/* mapConcurrent */._k)(again, options.concurrency, (i) => checkOne(targets[i]));
        again.forEach((i, k) => (checks[i] = rechecked[k]));
        const still = rechecked.filter(recheckable).length;
        deps.log(`edge round ${rounds} (after ${delay / 1000} s): ${again.length} rechecked, ${again.length - still} now fine, ${still} still stale or unreachable`);
    }
    return { checks, rounds, seconds: Math.round((deps.clock.now() - started) / 100) / 10 };
}

// EXTERNAL MODULE: ./src/text.ts
var src_text = __webpack_require__(8992);
// EXTERNAL MODULE: ./src/plan/rules.ts + 1 modules
var plan_rules = __webpack_require__(7530);
// EXTERNAL MODULE: ./src/plan/urls.ts
var plan_urls = __webpack_require__(6521);
;// CONCATENATED MODULE: ./src/verify/targets.ts


/**
 * URL → the file it was mapped from, for every changed file that exists at the pushed commit
 * (not deleted), through the same rules as the plan. A URL mapped from two files maps to both
 * (in change order). An index file's directory URL maps to the index file.
 */
function urlsOfFiles(files, rules) {
    const byUrl = new Map();
    if (rules.length === 0)
        return byUrl;
    const matcher = new plan_rules/* RuleMatcher */.Fh(rules);
    const matched = [];
    const urls = [];
    for (const { path, status } of files) {
        if (status === 'deleted')
            continue;
        const n = matcher.match(path, matched);
        if (n === 0)
            continue;
        (0,plan_urls/* assertSafePath */.HP)(matched[0], path);
        urls.length = 0;
        for (let i = 0; i < n; i++)
            (0,plan_urls/* appendMappedUrls */.C8)(matched[i], path, urls);
        // a file's URLs come together, so a file already listed for a URL is its last one
        for (const url of urls) {
            const seen = byUrl.get(url);
            if (seen === undefined)
                byUrl.set(url, path);
            else if (typeof seen !== 'string') {
                if (seen[seen.length - 1] !== path)
                    seen.push(path);
            }
            else if (seen !== path)
                byUrl.set(url, [seen, path]);
        }
    }
    return byUrl;
}
/** A target for `url`, compared with its file (or its files' first, marked shared), or null for 2xx only. */
function target(url, file, item) {
    if (file === undefined)
        return { url, file: null, item };
    if (typeof file === 'string')
        return { url, file, item };
    return { url, file: file[0], item, sharedBy: file };
}
/** The operation `verify` checks: the purge when there is one, else the prefetch. */
const checkedOperation = (mode) => (mode === 'prefetch' ? 'prefetch' : 'purge');
/**
 * What to fetch after the CDN work. Only items of the checked operation that succeeded are
 * checked. A URL item is compared with its file, or (a `urls` input URL) checked for 2xx; a
 * URL of a deleted file is not fetched. A directory item (the `urls` input, `dir-threshold`)
 * stands for the mapped and `urls` input URLs under it that have no item of their own.
 */
function edgeTargets(items, fileOf, inputUrls, mode) {
    const op = checkedOperation(mode);
    const fromInput = new Set(inputUrls);
    const targets = [];
    const withItem = new Set();
    const dirs = [];
    let notDone = 0;
    let done = 0;
    for (const [index, item] of items.entries()) {
        if (item.op !== op)
            continue;
        if (item.kind === 'url')
            withItem.add(item.url);
        if (item.state !== 'success') {
            notDone++;
            continue;
        }
        done++;
        if (item.kind === 'dir')
            dirs.push(index);
        else if (fileOf.has(item.url))
            targets.push(target(item.url, fileOf.get(item.url), index));
        else if (fromInput.has(item.url))
            targets.push({ url: item.url, file: null, item: index });
    }
    const checkedItems = new Set(targets.map((t) => t.item));
    if (dirs.length > 0) {
        const under = new Set([...fileOf.keys(), ...fromInput]);
        for (const url of under) {
            if (withItem.has(url))
                continue;
            const dir = dirs.find((d) => url.startsWith(items[d].url));
            if (dir === undefined)
                continue;
            targets.push(target(url, fileOf.get(url), dir));
            checkedItems.add(dir);
        }
    }
    return { targets, notChecked: done - checkedItems.size, notDone };
}

;// CONCATENATED MODULE: ./src/verify/edge.ts
/** `verify`: the real fetch and file digest, and the stage `run()` calls after the CDN work. */










/** Fetches in flight at once: fixed and small, so one runner does not look like a flood to the edge. */
const EDGE_CONCURRENCY = 8;
/** Largest body compared; a larger file (or answer) is skipped, not downloaded. */
const EDGE_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Pauses before the rechecks of stale and unreachable URLs: 3 rechecks over 10 s. */
const EDGE_RECHECK_DELAYS_MS = [2000, 3000, 5000];
/** One attempt's limit, and the transport's retries, for edge fetches. */
const EDGE_TRANSPORT = { timeoutMs: 15_000, maxAttempts: 2, retryBudgetMs: 10_000, maxBodyBytes: EDGE_MAX_BODY_BYTES };
/** Why a file is not compared when the workspace does not hold it. */
const NOT_IN_WORKSPACE = 'not in the workspace';
/** Stale and unreachable URLs named in the log before the rest is counted. */
const EDGE_LINES = 50;
const sizeText = (bytes) => `${Math.round(bytes / (1024 * 1024))} MiB`;
/**
 * A plain GET through the CDN: no credentials and no provider headers, no cache-busting query,
 * `Accept-Encoding: identity` so the bytes are the file's; the body is hashed as it streams.
 */
function edgeFetch(request, maxBodyBytes = EDGE_MAX_BODY_BYTES) {
    return async (url) => {
        try {
            const res = await request({ method: 'GET', url, headers: { 'Accept-Encoding': 'identity' }, sha256: true, maxBodyBytes });
            return { status: res.status, sha256: res.sha256, bytes: res.bytes, overCap: res.overCap };
        }
        catch (err) {
            // the transport's redirect message speaks of credentials: none are sent here
            if (err instanceof http_transport/* HttpError */.j$ && err.status !== null)
                return { status: err.status };
            return { error: err instanceof Error ? err.message : String(err) };
        }
    };
}
/** The SHA-256 of a regular file under `workspace`, or why it is not compared. */
function fileDigest(workspace, maxBodyBytes = EDGE_MAX_BODY_BYTES) {
    return async (file) => {
        const full = external_node_path_default().join(workspace, file);
        try {
            const stat = await (0,promises_.lstat)(full);
            // a symbolic link may point outside the workspace, and the origin may serve it otherwise
            if (!stat.isFile())
                return { skip: 'not a regular file in the workspace' };
            if (stat.size > maxBodyBytes)
                return { skip: `the file (${stat.size} bytes) is over the ${sizeText(maxBodyBytes)} cap; not fetched` };
            const hash = (0,external_node_crypto_.createHash)('sha256');
            let bytes = 0;
            for await (const chunk of (0,external_node_fs_.createReadStream)(full)) {
                bytes += chunk.length;
                hash.update(chunk);
            }
            return { sha256: hash.digest('hex'), bytes };
        }
        catch (err) {
            const code = err.code;
            return { skip: code === 'ENOENT' ? NOT_IN_WORKSPACE : `cannot be read (${code ?? 'error'})` };
        }
    };
}
/**
 * Checks the run's done items at the edge and returns them with the stale and unreachable ones
 * failed, and the counts. Lines for the log go to `deps.log`, stale and unreachable URLs named.
 */
async function verifyAtEdge(input, deps) {
    const { targets, notChecked, notDone } = edgeTargets(input.items, input.fileOf, input.inputUrls, input.mode);
    const withFile = targets.filter((t) => t.file !== null).length;
    deps.log(`edge: fetching ${(0,src_text/* count */.U)(targets.length, 'URL')} from this runner (${withFile} compared with their workspace files, ${targets.length - withFile} checked for 2xx), ${EDGE_CONCURRENCY} at once`);
    if (notDone > 0)
        deps.log(`edge: ${notDone} not checked: their ${checkedOperation(input.mode)} did not succeed`);
    if (notChecked > 0)
        deps.log(`edge: ${notChecked} not checked: URLs of deleted files, or directories with no changed file under them`);
    const { checks, rounds, seconds } = await checkTargets(targets, deps, { concurrency: EDGE_CONCURRENCY, recheckDelaysMs: EDGE_RECHECK_DELAYS_MS });
    const named = [];
    let failing = 0;
    checks.forEach((check, i) => {
        if (check.result !== 'stale' && check.result !== 'unreachable')
            return;
        const { url, file } = targets[i];
        if (failing++ < EDGE_LINES)
            named.push(`edge ${check.result}: ${(0,external/* shown */.SP)(url)}${file === null ? '' : ` (${(0,external/* shown */.SP)(file)})`}: ${(0,external/* shown */.SP)(check.detail)}`);
    });
    if (failing > named.length)
        named.push(`…and ${failing - named.length} more (all in the report)`);
    if (named.length > 0)
        deps.log(named.join('\n'));
    // skipped is no failure: say when it hides a workspace that is not the pushed commit
    const missing = checks.filter((c) => c.result === 'skipped' && c.detail === NOT_IN_WORKSPACE).length;
    if (missing > 0) {
        deps.log(`edge: ${(0,src_text/* count */.U)(missing, 'URL')} skipped: the changed file is not in the workspace; check out the pushed commit before this step to compare them`);
    }
    const items = applyChecks(input.items, targets, checks, rounds);
    const summary = summarise(checks, { rounds, seconds, notChecked, notDone, maxBodyBytes: EDGE_MAX_BODY_BYTES });
    deps.log(`edge: ${summary.fresh} fresh, ${summary.answered} answered 2xx, ${summary.stale} stale, ${summary.unreachable} unreachable, ${summary.skipped} skipped; ${(0,src_text/* count */.U)(rounds, 'round')} in ${seconds} s`);
    return { items, summary };
}
/**
 * The stage `run()` calls: maps the changed files to their URLs again, fetches through a
 * transport of its own (edge retries do not spend the provider calls' retry budget; the run's
 * deadline bounds both), and closes it.
 */
async function checkAtEdge(input, env) {
    const { clock, deadline } = env;
    const transport = (0,http_transport/* createTransport */.oO)({
        ...EDGE_TRANSPORT,
        debug: env.debug,
        deadline,
        deadlineName: env.deadlineName,
        now: () => clock.now(),
        sleep: (ms) => clock.sleep(ms)
    });
    try {
        const fileOf = urlsOfFiles(input.files, input.rules);
        return await verifyAtEdge({ items: input.items, mode: input.mode, fileOf, inputUrls: input.inputUrls }, { fetch: edgeFetch(transport.request), digest: fileDigest(env.workspace), clock, deadline, log: env.log });
    }
    finally {
        transport.close();
    }
}

;// CONCATENATED MODULE: ./src/verify/index.ts
/** `verify`, loaded only when it is on. */



/***/ })

};
