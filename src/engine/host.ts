const hosts = new Map<string, string>()

/**
 * The host (with a non-default port) of an absolute http(s) URL, as `new URL(url).host`
 * gives it, parsing each distinct origin once: plans hold many URLs on few hosts.
 */
export function hostOf(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2)
  const origin = slash < 0 ? url : url.slice(0, slash)
  let host = hosts.get(origin)
  if (host === undefined) {
    host = new URL(url).host
    // an origin with a query or fragment glued on is not cached (it is not an origin)
    if (!/[?#]/.test(origin)) hosts.set(origin, host)
  }
  return host
}
