// pnpm services:up | services:down | services:status | services:tool <name…> | services:exec <tool> …
// Starts the real servers our integration tests and benchmarks talk to, on 127.0.0.1.
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { envFile, serviceDir, stateDir } from './paths.ts'
import { isAlive, logFile, logTail, runningPid, stopDetached, waitUntil } from './process.ts'
import { type Service, serviceNames, services } from './services.ts'
import { ensureTool, type GoToolName, goTools } from './tools.ts'

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`

async function isReady(service: Service): Promise<boolean> {
  try {
    return await service.probe()
  } catch {
    return false
  }
}

async function up(service: Service): Promise<string> {
  mkdirSync(serviceDir(service.name), { recursive: true })
  const started = Date.now()
  if (runningPid(service.name) !== undefined && (await isReady(service))) return 'already up'
  if (runningPid(service.name) === undefined && (await isReady(service))) {
    throw new Error(
      `port ${service.ports.join('/')} already answers, but not from a server this script started`,
    )
  }
  await service.install()
  const installed = Date.now()
  const pid = runningPid(service.name) ?? (await service.start())
  const outcome = await waitUntil(
    () => service.probe(),
    service.startupDeadlineMs,
    () => isAlive(pid),
  )
  if (!outcome.ready) {
    const why = isAlive(pid)
      ? `not ready after ${seconds(service.startupDeadlineMs)}`
      : 'exited during start-up'
    throw new Error(
      `${why}${outcome.lastError ? ` (last probe: ${outcome.lastError})` : ''}\n${logTail(service.name)}`,
    )
  }
  return `up in ${seconds(Date.now() - started)} (install ${seconds(installed - started)})`
}

async function writeEnvFile(): Promise<void> {
  const lines = [`# written by \`pnpm services:up\`; read by the integration tests`]
  for (const service of services) {
    if (runningPid(service.name) === undefined || !(await isReady(service))) continue
    for (const [key, value] of Object.entries(service.env)) lines.push(`${key}=${value}`)
  }
  mkdirSync(stateDir, { recursive: true })
  writeFileSync(envFile, `${lines.join('\n')}\n`)
}

function select(names: string[]): Service[] {
  const unknown = names.filter((n) => !serviceNames.includes(n))
  if (unknown.length > 0)
    throw new Error(`unknown service ${unknown.join(', ')}; known: ${serviceNames.join(', ')}`)
  return names.length === 0 ? services : services.filter((s) => names.includes(s.name))
}

async function main(argv: string[]): Promise<number> {
  const [command, ...names] = argv
  switch (command) {
    case 'up': {
      const chosen = select(names)
      const results = await Promise.allSettled(chosen.map((s) => up(s)))
      await writeEnvFile()
      let failed = 0
      results.forEach((result, i) => {
        const name = chosen[i]!.name
        if (result.status === 'fulfilled') console.log(`${name.padEnd(7)} ${result.value}`)
        else {
          failed++
          console.error(`${name.padEnd(7)} FAILED: ${(result.reason as Error).message}`)
          console.error(`        log: ${logFile(name)}`)
        }
      })
      console.log(`endpoints: ${envFile}`)
      if (failed > 0)
        console.error(`services:up: ${failed} of ${chosen.length} services did not start (see above)`)
      return failed > 0 ? 1 : 0
    }
    case 'down': {
      const chosen = select(names)
      await Promise.all(
        chosen.map(async (s) =>
          console.log(`${s.name.padEnd(7)} ${(await stopDetached(s.name)) ? 'stopped' : 'was not running'}`),
        ),
      )
      await writeEnvFile()
      return 0
    }
    case 'status': {
      let down = 0
      for (const service of select(names)) {
        const pid = runningPid(service.name)
        const ready = pid !== undefined && (await isReady(service))
        if (!ready) down++
        const state = ready ? 'ready' : pid !== undefined ? 'running, not ready' : 'down'
        console.log(
          `${service.name.padEnd(7)} ${state.padEnd(19)} 127.0.0.1:${service.ports.join(',')}  pid ${pid ?? '-'}`,
        )
      }
      return down > 0 ? 3 : 0
    }
    case 'tool': {
      if (names.length === 0) {
        for (const [name, tool] of Object.entries(goTools)) console.log(`${name.padEnd(16)} ${tool.about}`)
        return 0
      }
      for (const name of names) {
        if (!(name in goTools))
          throw new Error(`unknown tool ${name}; known: ${Object.keys(goTools).join(', ')}`)
        console.log(await ensureTool(name as GoToolName))
      }
      return 0
    }
    case 'exec': {
      // exec <tool> [args…]: install the tool when missing, then run it here.
      const [name, ...args] = names
      if (name === undefined || !(name in goTools))
        throw new Error(`exec needs a tool: ${Object.keys(goTools).join(', ')}`)
      const path = await ensureTool(name as GoToolName)
      const result = spawnSync(path, args, { stdio: 'inherit' })
      return result.status ?? 1
    }
    default:
      console.error('usage: services.ts up|down|status [service…] | tool [name…] | exec <tool> [args…]')
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: Error) => {
    console.error(`services: ${err.message}`)
    process.exitCode = 1
  },
)
