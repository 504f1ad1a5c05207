import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { binDir, repoRoot } from './paths.ts'
import { mustRun, run, which } from './process.ts'

// Go programs that tests and benchmarks run beside ours: servers we need newer than Debian ships,
// the reference implementations, and our own Go harnesses. Each is pinned; a changed pin rebuilds it.
export interface GoTool {
  /** what `go install` takes, `module@version`, or a folder of ours to `go build` */
  source: { install: string } | { build: string }
  about: string
  /** built first, because its build puts modules into the module cache that this install needs */
  after?: string
}

export const goTools = {
  'nats-server': {
    source: { install: 'github.com/nats-io/nats-server/v2@v2.15.2' },
    about: 'NATS with JetStream',
  },
  bento: {
    source: { install: 'github.com/warpstreamlabs/bento/cmd/bento@v1.20.0' },
    about: 'the Bento CLI, reference',
    // same version-list 403 as wfctl; bento-lite requires this version, so the cache has the list
    after: 'bento-lite',
  },
  wfctl: {
    source: { install: 'github.com/GoCodeAlone/workflow/cmd/wfctl@v0.85.4' },
    about: 'the workflow CLI',
    // `go install m@v` asks the proxy for m's version list (a deprecation check); this proxy
    // serves v0.85.4 but refuses the list (403). Our host harness requires the same version, so
    // after building it the local module cache can answer (see goEnv).
    after: 'workflow-host-harness',
  },
  'bloblang-oracle': {
    source: { build: 'conformance/bloblang' },
    about: 'Bento v1.20.0 Bloblang as a library',
  },
  'bento-lite': {
    source: { build: 'conformance/bento' },
    about: 'the Bento v1.20.0 CLI with only the standard components (pure, io): quick to build',
  },
  'workflow-host-harness': {
    source: { build: 'conformance/host' },
    about: 'the workflow v0.85.4 plugin host loading workflow-plugin-bento',
  },
  actionlint: {
    source: { install: 'github.com/rhysd/actionlint/cmd/actionlint@v1.7.12' },
    about: 'GitHub workflow linter',
  },
} satisfies Record<string, GoTool>

export type GoToolName = keyof typeof goTools

export const toolPath = (name: GoToolName): string => join(binDir, name)

function pinOf(tool: GoTool): string {
  return 'install' in tool.source ? tool.source.install : `build:${tool.source.build}`
}

/** Installs a Go tool into .services/bin unless the pinned version is already there; returns its path. */
export async function ensureTool(name: GoToolName): Promise<string> {
  const tool: GoTool = goTools[name]
  if (tool.after !== undefined) await ensureTool(tool.after as GoToolName)
  const path = toolPath(name)
  const stamp = `${path}.pin`
  // Our own harnesses are rebuilt every time: go's build cache makes an unchanged one instant.
  const isOurs = 'build' in tool.source
  if (!isOurs && existsSync(path) && existsSync(stamp) && readFileSync(stamp, 'utf8') === pinOf(tool))
    return path
  if ((await which('go')) === undefined) {
    throw new Error(`${name}: Go is not installed; it is needed to build ${tool.about}`)
  }
  mkdirSync(binDir, { recursive: true })
  const env = {
    ...process.env,
    GOBIN: binDir,
    GOFLAGS: '-mod=mod',
    CGO_ENABLED: '0',
    ...(await cacheFirstProxy()),
  }
  if ('install' in tool.source) {
    await mustRun(`${name}: go install`, 'go', ['install', tool.source.install], { env })
  } else {
    await mustRun(`${name}: go build`, 'go', ['build', '-o', path, '.'], {
      env,
      cwd: join(repoRoot, tool.source.build),
    })
  }
  writeFileSync(stamp, pinOf(tool))
  return path
}

/**
 * The source tree of a Go module version in the module cache (`go mod download`), downloading it
 * when it is not there: tests read reference material (Bento's own config tests) from it.
 */
export async function goModuleDir(moduleAtVersion: string): Promise<string> {
  if ((await which('go')) === undefined)
    throw new Error(`Go is not installed; it is needed to fetch ${moduleAtVersion}`)
  const env = { ...process.env, GOFLAGS: '-mod=mod', ...(await cacheFirstProxy()) }
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      'go',
      ['mod', 'download', '-json', moduleAtVersion],
      { env, cwd: repoRoot },
      (err, out, errOut) =>
        err === null
          ? resolve(out)
          : reject(new Error(`go mod download ${moduleAtVersion} failed: ${errOut || out}`)),
    ),
  )
  const { Dir, Error: failure } = JSON.parse(stdout) as { Dir?: string; Error?: string }
  if (Dir === undefined)
    throw new Error(`go mod download ${moduleAtVersion}: ${failure ?? 'no Dir in its answer'}`)
  return Dir
}

/**
 * GOPROXY with the local module cache in front: what was downloaded once (also version lists a
 * proxy may refuse to serve) is answered locally, the rest falls through to the usual proxy.
 */
async function cacheFirstProxy(): Promise<{ GOPROXY?: string }> {
  const read = async (key: string) => (await run('go', ['env', key])).output.trim()
  try {
    const cache = await read('GOMODCACHE')
    const proxy = await read('GOPROXY')
    if (cache === '' || proxy.startsWith('file://')) return {}
    return { GOPROXY: `file://${join(cache, 'cache', 'download')},${proxy}` }
  } catch {
    return {}
  }
}
