import { readFileSync } from 'node:fs'
import {
  ConfigError,
  componentSchema,
  createLogger,
  type Environment,
  findPlugin,
  formatProblem,
  lintStreamConfig,
  pluginNames,
  silentLogger,
  standardEnvironment,
  startStreamFromFile,
} from '@bento-ts/core'
import { Command, Option } from 'commander'
import { runBlobl } from './blobl.ts'
import { runTests } from './unit-test/run.ts'
import { version } from './version.ts'

export { version }

const kinds = ['input', 'output', 'processor', 'cache', 'rate_limit', 'buffer'] as const

/** Runs a stream until its input ends or SIGINT/SIGTERM, then drains within shutdown_timeout. */
async function runConfig(path: string, resources: string[], env: Environment): Promise<number> {
  let stream: Awaited<ReturnType<typeof startStreamFromFile>>
  try {
    stream = await startStreamFromFile(path, env, { resources, statusServer: true })
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Config lint error: ${err.message}\n`)
      return 1
    }
    process.stderr.write(`Failed to start the stream: ${(err as Error).message}\n`)
    return 1
  }
  let signalled = false
  const stop = () => {
    if (signalled) {
      // A second signal: the user does not want to wait for the drain.
      process.exit(1)
    }
    signalled = true
    stream.logger.info('Received stop signal, draining in-flight messages')
    void stream.stop(stream.shutdownTimeoutMs)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  await stream.done
  process.off('SIGINT', stop)
  process.off('SIGTERM', stop)
  return 0
}

function lintFiles(paths: string[], env: Environment): number {
  let problems = 0
  for (const path of paths) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      process.stderr.write(`${path}: ${(err as Error).message}\n`)
      problems++
      continue
    }
    for (const problem of lintStreamConfig(text, env, { file: path })) {
      process.stderr.write(`${formatProblem(problem)}\n`)
      problems++
    }
  }
  return problems > 0 ? 1 : 0
}

function listComponents(env: Environment, wanted: string[], format: string): string {
  const chosen =
    wanted.length === 0 ? kinds : kinds.filter((k) => wanted.includes(k) || wanted.includes(`${k}s`))
  if (format === 'text') {
    return chosen
      .map(
        (kind) =>
          `${kind}s:\n${pluginNames(env, kind)
            .map((n) => `  - ${n}`)
            .join('\n')}`,
      )
      .join('\n\n')
  }
  const out: Record<string, unknown[]> = {}
  for (const kind of chosen) {
    out[`${kind}s`] = pluginNames(env, kind).map((name) => {
      const spec = findPlugin(env, kind, name)!.spec
      return format === 'json' ? name : { ...spec, config_schema: componentSchema(spec) }
    })
  }
  return JSON.stringify(out, null, 2)
}

/** The command line: `run`, `lint`, `list`, `blobl`; a bare `-c config.yaml` runs it, like Bento. */
export function createCli(env: Environment = standardEnvironment()): Command {
  const program = new Command('workflow-plugin-bento')
    .description('bento-ts: Bento stream processing in TypeScript, and the workflow engine plugin')
    .version(version, '-v, --version')
    .enablePositionalOptions()
    .option('-c, --config <path>', 'a stream config to run')
    .option('-r, --resources <paths...>', 'files of resources (caches, rate limits, …) to add')
    .action(async (options: { config?: string; resources?: string[] }) => {
      if (options.config === undefined) {
        program.help({ error: true })
      }
      process.exitCode = await runConfig(options.config!, options.resources ?? [], env)
    })

  program
    .command('run')
    .description('run a stream config')
    .requiredOption('-c, --config <path>', 'the stream config')
    .option('-r, --resources <paths...>', 'files of resources (caches, rate limits, …) to add')
    .action(async (options: { config: string; resources?: string[] }) => {
      process.exitCode = await runConfig(options.config, options.resources ?? [], env)
    })

  program
    .command('lint')
    .description('check configs without running them; problems go to stderr as file:line:column')
    .argument('<files...>')
    .action((files: string[]) => {
      process.exitCode = lintFiles(files, env)
    })

  program
    .command('list')
    .description('list the components this build has, with their config specs')
    .argument('[kinds...]', 'inputs, outputs, processors, caches, rate_limits')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'json-full']).default('text'),
    )
    .action((wanted: string[], options: { format: string }) => {
      process.stdout.write(`${listComponents(env, wanted, options.format)}\n`)
    })

  program
    .command('test')
    .description(
      'run the unit tests of configs: `tests:` inside them or in a `<name>_bento_test.yaml` beside them; exit status 1 when one fails',
    )
    .argument('[paths...]', 'configs, test files, globs, or dir/... for every config below dir', ['./...'])
    .option('-r, --resources <paths...>', 'files of resources the tested processors may use')
    .option('--log <level>', 'let components log at this level to stdout')
    .action(async (paths: string[], options: { resources?: string[]; log?: string }) => {
      const resources = [
        ...((program.opts().resources as string[] | undefined) ?? []),
        ...(options.resources ?? []),
      ]
      const logger =
        options.log === undefined ? silentLogger : createLogger({ level: options.log }, process.stdout)
      const passed = await runTests(paths, env, {
        resources,
        logger,
        write: (text) => process.stdout.write(text),
        writeError: (text) => process.stderr.write(text),
      })
      process.exitCode = passed ? 0 : 1
    })

  program
    .command('blobl')
    .description('run a Bloblang mapping over JSON documents read from stdin, one per line')
    .argument('[mapping]', 'the mapping')
    .option('-f, --file <path>', 'read the mapping from a file')
    .option('-r, --raw', 'treat each line as a raw string, not JSON', false)
    .option('-p, --pretty', 'pretty-print the results', false)
    .action(async (inline: string | undefined, options: { file?: string; raw: boolean; pretty: boolean }) => {
      if (options.file !== undefined && inline !== undefined) {
        process.stderr.write('invalid flags, unable to execute both a file mapping and an inline mapping\n')
        process.exitCode = 1
        return
      }
      let mapping = inline ?? ''
      if (options.file !== undefined) {
        try {
          mapping = readFileSync(options.file, 'utf8')
        } catch (err) {
          process.stderr.write(`failed to read mapping file: ${(err as Error).message}\n`)
          process.exitCode = 1
          return
        }
      }
      process.exitCode = await runBlobl(mapping, options)
    })

  return program
}
