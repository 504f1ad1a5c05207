// A package's catalog: the names and specs of its components as plain data, so a program can
// register every installed package up front (lint, `list`, schema) and import a package's code
// only when a config builds one of its components.
import type { Plugin } from '../component.ts'
import { addPlugin, type Environment } from '../environment.ts'
import type { ComponentSpec } from '../spec.ts'

export interface Catalog {
  /** the npm package the components come from */
  package: string
  components: readonly ComponentSpec[]
}

/** The catalog of a package's components (what a package's generated `src/gen/catalog.ts` holds). */
export function catalogOf(packageName: string, components: readonly Plugin[]): Catalog {
  return { package: packageName, components: components.map((c) => structuredClone(c.spec)) }
}

/** What a package's entry point gives: its components. */
export interface ComponentPackage {
  components: readonly Plugin[]
}

/**
 * Registers a package's components from its catalog; the package itself is imported by `load`
 * the first time one of them is built, once for all of them.
 */
export function addLazyPackage(
  env: Environment,
  catalog: Catalog,
  load: () => Promise<ComponentPackage>,
): void {
  let loaded: Promise<ComponentPackage> | undefined
  const load1 = () => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined
      throw new Error(`cannot load ${catalog.package}: ${(err as Error).message}`, { cause: err })
    })
    return loaded
  }
  for (const spec of catalog.components) {
    const plugin: Plugin = {
      spec,
      async create(config, context) {
        const pkg = await load1()
        const real = pkg.components.find((c) => c.spec.kind === spec.kind && c.spec.name === spec.name)
        if (real === undefined) {
          throw new Error(
            `${catalog.package} does not provide the ${spec.kind} "${spec.name}" its catalog lists`,
          )
        }
        return real.create(config, context)
      },
    }
    addPlugin(env, plugin)
  }
}
