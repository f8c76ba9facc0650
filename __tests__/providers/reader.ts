/** Test helpers: a provider's settings from input values, as inputs.ts hands them over. */
import type { ProviderDefinition, ReadInput } from '../../src/providers/provider.js'

/** Input values by action input name, or camelCase (`apiKey` is `api-key`); unset is ''. */
export type InputValues = Record<string, string | undefined>

/** A reader over `values` (no environment). */
export function readerOf(values: InputValues): ReadInput {
  const byName = new Map(Object.entries(values).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v ?? '']))
  return (name) => byName.get(name) ?? ''
}

/** `definition`'s settings from `values`, checked as in a run. */
export function settingsOf<S>(definition: ProviderDefinition<S>, values: InputValues): S {
  return definition.readSettings(readerOf(values))
}
