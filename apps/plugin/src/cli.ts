import { readFileSync } from 'node:fs'
import { createLogger, type Environment, silentLogger, standardEnvironment } from '@bento-ts/core'
import { Command, Option } from 'commander'
import { runBlobl } from './blobl.ts'
import { startPlayground } from './blobl-server.ts'
import { createConfig } from './create.ts'
import { echoConfig } from './echo.ts'
import { lintFiles } from './lint.ts'
import { type ListFormat, listComponents, listFormats } from './list.ts'
import { expandPaths } from './paths.ts'
import { runConfig } from './run.ts'
import { mergedFlags, type RunFlags, withRunFlags } from './run-flags.ts'
import { runStreams } from './streams/command.ts'
import { lintTemplate, registerTemplates } from './templates.ts'
import { runTests } from './unit-test/run.ts'
import { version } from './version.ts'

export { version }

/** Flags accepted by Bento that this build does not do yet: a clear error rather than ignoring them. */
function refuseUnsupported(flags: RunFlags, command: 'run' | 'streams'): string | undefined {
  if (flags.watcher === true && command !== 'run') return `-w/--watcher is not supported by ${command} yet`
  return undefined
}

async function run(command: Command, env: Environment, config: string | undefined): Promise<number> {
  const flags = mergedFlags(command)
  const refused = refuseUnsupported(flags, 'run')
  if (refused !== undefined) {
    process.stderr.write(`${refused}\n`)
    return 1
  }
  const path = config ?? flags.config
  if (path === undefined) {
    process.stderr.write('a config is required: -c config.yaml\n')
    return 1
  }
  return runConfig(path, flags, env)
}

/**
 * The command line, as Bento's: `run`, `streams`, `lint`, `list`, `test`, `echo`, `create`,
 * `blobl`; a bare `-c config.yaml` runs it.
 */
export function createCli(env: Environment = standardEnvironment()): Command {
  const program = withRunFlags(
    new Command('workflow-plugin-bento')
      .description('bento-ts: Bento stream processing in TypeScript, and the workflow engine plugin')
      .version(version, '-v, --version')
      .enablePositionalOptions(),
    { config: true },
  ).action(async (_options: RunFlags, command: Command) => {
    if (mergedFlags(command).config === undefined) program.help({ error: true })
    process.exitCode = await run(command, env, undefined)
  })

  // Templates become components before any command reads a config.
  program.hook('preAction', (_root, action) => {
    const templates = mergedFlags(action).templates ?? []
    if (templates.length === 0) return
    try {
      registerTemplates(templates, env)
    } catch (err) {
      process.stderr.write(`Template file read error: ${(err as Error).message}\n`)
      process.exit(1)
    }
  })

  program
    .command('template')
    .description('work with templates')
    .command('lint')
    .description('check template files: their fields, mapping and tests; problems go to stderr')
    .argument('[paths...]', 'template files, globs, or dir/...')
    .action((paths: string[]) => {
      let failed = false
      for (const path of expandPaths(paths)) {
        for (const problem of lintTemplate(path, env)) {
          process.stderr.write(`${problem}\n`)
          failed = true
        }
      }
      process.exitCode = failed ? 1 : 0
    })

  withRunFlags(program.command('run').description('run a stream config').argument('[config]', 'the config'), {
    config: true,
  }).action(async (config: string | undefined, _options: RunFlags, command: Command) => {
    process.exitCode = await run(command, env, config)
  })

  withRunFlags(
    program
      .command('streams')
      .description(
        'run stream configs side by side, managed over the REST API (/streams, /streams/{id}, /resources/{type}/{id}); the root config (-c) gives http, logger and shared resources',
      )
      .argument('[paths...]', 'stream config files or directories; a stream is named after its file')
      .option('--no-api', 'disable the streams REST API')
      .addOption(
        new Option(
          '--prefix-stream-endpoints [bool]',
          "prefix the HTTP endpoints a stream's components register with its id",
        ).default(true),
      ),
    { config: false },
  ).action(async (paths: string[], options: { api: boolean }, command: Command) => {
    const flags = mergedFlags(command)
    const refused = refuseUnsupported(flags, 'streams')
    if (refused !== undefined) {
      process.stderr.write(`${refused}\n`)
      process.exitCode = 1
      return
    }
    process.exitCode = await runStreams(paths, env, {
      ...(flags.config === undefined ? {} : { rootConfig: flags.config }),
      resources: expandPaths(flags.resources ?? []),
      noApi: !options.api,
      chilled: flags.chilled === true,
      logger: (config) =>
        createLogger(
          flags['log.level'] === undefined ? config : { ...config, level: flags['log.level'].toUpperCase() },
        ),
    })
  })

  program
    .command('echo')
    .description('print the main config (-c) as it would run: variables resolved, --set applied')
    .action((_options: unknown, command: Command) => {
      const flags = mergedFlags(command)
      if (flags.config === undefined) {
        process.stderr.write('a config is required: -c config.yaml echo\n')
        process.exitCode = 1
        return
      }
      process.exitCode = echoConfig(flags.config, flags, env)
    })

  program
    .command('lint')
    .description('check configs without running them; problems go to stderr as file:line:column')
    .argument('[paths...]', 'configs, globs, or dir/... for every config below dir')
    .option('--deprecated', 'report deprecated fields and components', false)
    .option('--labels', 'report components without a label', false)
    .option(
      '--skip-env-var-check',
      'do not report ${VAR} references to unset variables without a default',
      false,
    )
    .action(
      (
        paths: string[],
        options: { deprecated: boolean; labels: boolean; skipEnvVarCheck: boolean },
        command: Command,
      ) => {
        const main = mergedFlags(command).config
        const all = [...(main === undefined ? [] : [main]), ...paths]
        if (all.length === 0) {
          process.stderr.write('nothing to lint: give config paths, or -c config.yaml lint\n')
          process.exitCode = 1
          return
        }
        process.exitCode = lintFiles(all, env, options)
      },
    )

  program
    .command('list')
    .description('list the components this build has, with their config specs')
    .argument('[kinds...]', 'inputs, outputs, processors, caches, rate_limits, buffers')
    .addOption(new Option('--format <format>', 'output format').choices([...listFormats]).default('text'))
    .option(
      '--status <statuses>',
      'only components of these statuses, comma separated (stable, beta, experimental, deprecated)',
    )
    .action((wanted: string[], options: { format: ListFormat; status?: string }) => {
      const statuses = (options.status ?? '').split(',').filter((s) => s !== '')
      process.stdout.write(`${listComponents(env, wanted, options.format, statuses)}\n`)
    })

  program
    .command('create')
    .description(
      'print a new config with the components named: inputs/processors/outputs, each a comma separated list',
    )
    .argument('[expression]', 'e.g. stdin/mapping,log/stdout')
    .option('-s, --small', 'only input, pipeline and output, without advanced fields', false)
    .action((expression: string | undefined, options: { small: boolean }) => {
      try {
        process.stdout.write(createConfig(expression, env, options.small))
      } catch (err) {
        process.stderr.write(`Generate error: ${(err as Error).message}\n`)
        process.exitCode = 1
      }
    })

  program
    .command('test')
    .description(
      'run the unit tests of configs: `tests:` inside them or in a `<name>_bento_test.yaml` beside them; exit status 1 when one fails',
    )
    .argument('[paths...]', 'configs, test files, globs, or dir/... for every config below dir', ['./...'])
    .option('--log <level>', 'let components log at this level to stdout')
    .action(async (paths: string[], options: { log?: string }, command: Command) => {
      const flags = mergedFlags(command)
      if ((flags.set ?? []).length > 0) {
        process.stderr.write('Cannot override fields with --set (-s) during unit tests\n')
        process.exitCode = 1
        return
      }
      const logger =
        options.log === undefined
          ? silentLogger
          : createLogger({ level: options.log.toUpperCase() }, process.stdout)
      const passed = await runTests(paths, env, {
        resources: expandPaths(flags.resources ?? []),
        logger,
        write: (text) => process.stdout.write(text),
        writeError: (text) => process.stderr.write(text),
      })
      process.exitCode = passed ? 0 : 1
    })

  const blobl = program.command('blobl')
  blobl
    .command('server')
    .alias('playground')
    .description('the Bloblang playground in a browser: input, mapping, output and errors as you type')
    .option('--host <host>', 'address to listen on', 'localhost')
    .option('-p, --port <port>', 'port to listen on', '4195')
    .option('-n, --no-open', 'do not open a browser')
    .option('-i, --input-file <path>', 'preload this input')
    .option('-m, --mapping-file <path>', 'preload this mapping')
    .option('-w, --write', 'write edits back to the input and mapping files', false)
    .action(
      async (options: {
        host: string
        port: string
        open: boolean
        inputFile?: string
        mappingFile?: string
        write: boolean
      }) => {
        const { url } = await startPlayground({ ...options, port: Number(options.port) })
        process.stdout.write(`Bloblang playground at ${url}\n`)
      },
    )
  blobl
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
