// Secret values never leave the plugin in clear: every log line and every error returned to the
// host passes through `maskSecrets`. Values come from config fields that component specs mark
// `secret` (and keys that look like credentials), and from message metadata whose key looks like
// a credential.
import { type ComponentKind, type Environment, type FieldSpec, findPlugin } from '@bento-ts/core'

export const mask = '******'

/** Keys whose values are treated as credentials wherever they appear. */
export const credentialKey =
  /(pass(word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|authorization|credential|cookie|session[-_]?id|private[-_]?key|signature)/i

const maxValues = 10_000
const minLength = 4
const secrets = new Map<string, true>() // insertion order: the oldest go first when full
let pattern: RegExp | undefined

/** Remembers a value to mask from now on (too short values would mask ordinary text; skipped). */
export function addSecret(value: string): void {
  if (value.length < minLength || secrets.has(value)) return
  if (secrets.size >= maxValues) secrets.delete(secrets.keys().next().value as string)
  secrets.set(value, true)
  pattern = undefined
}

/** The text with every known secret replaced by `******`. */
export function maskSecrets(text: string): string {
  if (secrets.size === 0) return text
  pattern ??= new RegExp(
    [...secrets.keys()]
      .sort((a, b) => b.length - a.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'g',
  )
  return text.replace(pattern, mask)
}

/** Remembers the values of credential-looking metadata keys. */
export function addMetadataSecrets(metadata: Iterable<[string, unknown]>): void {
  for (const [key, value] of metadata) {
    if (typeof value === 'string' && credentialKey.test(key)) addSecret(value)
  }
}

/** For tests. */
export function forgetSecrets(): void {
  secrets.clear()
  pattern = undefined
}

const kinds: ComponentKind[] = ['input', 'output', 'processor', 'cache', 'rate_limit', 'buffer']

/**
 * Remembers every secret in a module's raw config: fields the components' specs mark secret, and
 * any string under a credential-looking key (covers components we do not know).
 */
export function addConfigSecrets(config: unknown, env: Environment): void {
  walk(config, undefined, env)
}

function walk(node: unknown, fields: readonly FieldSpec[] | undefined, env: Environment): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, fields, env)
    return
  }
  if (node === null || typeof node !== 'object') return
  for (const [key, value] of Object.entries(node)) {
    const spec = fields?.find((f) => f.name === key)
    if (typeof value === 'string') {
      if (spec?.secret === true || credentialKey.test(key)) addSecret(value)
      continue
    }
    if (spec?.fields !== undefined) {
      walk(value, spec.fields, env)
      continue
    }
    // a component: `{kafka: {...}}` anywhere (inputs, outputs, processors, nested brokers)
    const plugin = kinds.map((k) => findPlugin(env, k, key)).find((p) => p !== undefined)
    if (plugin !== undefined) {
      if (typeof value === 'string' && plugin.spec.value?.secret === true) addSecret(value)
      walk(value, plugin.spec.fields, env)
    } else walk(value, undefined, env)
  }
}
