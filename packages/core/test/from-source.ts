// `node --import ./from-source.ts …`: workspace packages (@bento-ts/*) resolve to their TypeScript
// sources instead of their built dist/, so the CLI under test runs the working tree of core and
// bloblang as it is now, with no build step (Node 24 strips the types itself).
import { existsSync, readFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const sourceOf = new Map<string, string | undefined>()

/** `@bento-ts/core` → file URL of packages/core/src/index.ts, when its main export is dist/index.js. */
function sourceEntry(name: string, resolveManifest: () => string): string | undefined {
  if (sourceOf.has(name)) return sourceOf.get(name)
  let entry: string | undefined
  try {
    const manifestPath = fileURLToPath(resolveManifest())
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      exports?: { '.'?: string | { default?: string } }
    }
    const main = manifest.exports?.['.']
    const target = typeof main === 'string' ? main : main?.default
    const built = target?.match(/^\.\/dist\/(.+)\.js$/)
    if (built !== null && built !== undefined) {
      const source = join(dirname(manifestPath), 'src', `${built[1]}.ts`)
      if (existsSync(source)) entry = pathToFileURL(source).href
    }
  } catch {
    // not a package of ours with a manifest: leave its resolution alone
  }
  sourceOf.set(name, entry)
  return entry
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const name = specifier.match(/^@bento-ts\/[^/]+$/)?.[0]
    if (name !== undefined) {
      const source = sourceEntry(name, () => nextResolve(`${name}/package.json`, context).url)
      if (source !== undefined) return { url: source, shortCircuit: true }
    }
    return nextResolve(specifier, context)
  },
})
