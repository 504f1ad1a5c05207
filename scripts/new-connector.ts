// pnpm new:connector <name>: copies templates/connector to packages/<name> with the name filled in.
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const name = process.argv[2] ?? ''

if (!/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: pnpm new:connector <name>   (lower case, digits and dashes, e.g. aws-kinesis)')
  process.exit(2)
}
const target = join(root, 'packages', name)
if (existsSync(target)) {
  console.error(`packages/${name} already exists`)
  process.exit(1)
}

cpSync(join(root, 'templates/connector'), target, { recursive: true })
const fill = (dir: string): void => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) fill(path)
    else writeFileSync(path, readFileSync(path, 'utf8').replaceAll('CONNECTOR', name))
  }
}
fill(target)
console.log(
  `created packages/${name}; next: pnpm install, then write its components and tests (CONTRIBUTING.md)`,
)
