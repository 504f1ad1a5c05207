import type { Plugin } from './component.ts'
import type { ComponentKind } from './spec.ts'

/**
 * The components a program can use. Connector packages add theirs with `register(env)`, so a
 * program contains only the packages it installed.
 */
export interface Environment {
  readonly plugins: ReadonlyMap<ComponentKind, ReadonlyMap<string, Plugin>>
}

export function createEnvironment(): Environment {
  return { plugins: new Map() }
}

export function addPlugin(env: Environment, plugin: Plugin): void {
  const kinds = env.plugins as Map<ComponentKind, Map<string, Plugin>>
  let byName = kinds.get(plugin.spec.kind)
  if (byName === undefined) {
    byName = new Map()
    kinds.set(plugin.spec.kind, byName)
  }
  if (byName.has(plugin.spec.name)) {
    throw new Error(`${plugin.spec.kind} "${plugin.spec.name}" is registered twice`)
  }
  byName.set(plugin.spec.name, plugin)
}

export function addPlugins(env: Environment, plugins: readonly Plugin[]): Environment {
  for (const plugin of plugins) addPlugin(env, plugin)
  return env
}

export function findPlugin(env: Environment, kind: ComponentKind, name: string): Plugin | undefined {
  return env.plugins.get(kind)?.get(name)
}

export function pluginNames(env: Environment, kind: ComponentKind): string[] {
  return [...(env.plugins.get(kind)?.keys() ?? [])].sort()
}
