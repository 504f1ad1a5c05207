// Config paths as Bento's commands take them: files, globs (`*`, `**`), or `dir/...` for every
// .yaml/.yml file below dir.
import { globSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

function walkFiles(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walkFiles(path, out)
    else if (path.endsWith('yaml') || path.endsWith('yml')) out.push(path)
  }
}

/** Expands `dir/...`, globs and plain paths; a plain path that matches nothing is kept as is. */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = []
  for (const p of paths) {
    if (p.endsWith('...')) {
      walkFiles(p === '...' || p === './...' ? '.' : p.slice(0, -'/...'.length), out)
    } else if (/[*?[]/.test(p)) {
      out.push(...globSync(p).sort())
    } else out.push(p)
  }
  return [...new Set(out)]
}
