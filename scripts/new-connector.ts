// pnpm new:connector <name>: copies templates/connector to packages/<name> with the name filled in.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const name = process.argv[2] ?? ''
// --into <dir>: the workspace to create it in (tests make one in a temporary folder)
const into = process.argv.indexOf('--into')
const root = into > 0 && process.argv[into + 1] !== undefined ? process.argv[into + 1]! : repo

if (!/^[a-z][a-z0-9-]*$/.test(name)) {
  console.error('usage: pnpm new:connector <name>   (lower case, digits and dashes, e.g. aws-kinesis)')
  process.exit(2)
}
const target = join(root, 'packages', name)
if (existsSync(target)) {
  console.error(`packages/${name} already exists`)
  process.exit(1)
}

cpSync(join(repo, 'templates/connector'), target, { recursive: true })
// Component names are snake_case (`aws-kinesis` → `aws_kinesis`), package names keep the dashes.
const id = name.replaceAll('-', '_')
const fill = (dir: string): void => {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) fill(path)
    else
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replaceAll('CONNECTOR_ID', id).replaceAll('CONNECTOR', name),
      )
  }
}
fill(target)
// Names of another length move line breaks: format the new package as the repo's Biome would.
const biome = join(repo, 'node_modules', '.bin', 'biome')
if (existsSync(biome)) execFileSync(biome, ['format', '--write', target], { stdio: 'ignore', cwd: root })
// A new package is released like any other: by a changeset, which `pnpm changeset` would ask for.
mkdirSync(join(root, '.changeset'), { recursive: true })
writeFileSync(
  join(root, '.changeset', `new-${name}.md`),
  `---\n"@bento-ts/${name}": minor\n---\n\nNew package: the ${id} components.\n`,
)
console.log(
  `created packages/${name} and .changeset/new-${name}.md; next: pnpm install && pnpm catalogs, then write its components and tests (CONTRIBUTING.md)`,
)
