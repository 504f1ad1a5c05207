#!/usr/bin/env node
import { serveWorkflowPlugin } from '@bento-ts/plugin-host-bridge'
import { createCli, version } from './cli.ts'

// One executable, two uses, told apart by the command line:
//   - no arguments: a plugin, as a go-plugin host starts it (the workflow host never passes any).
//     Without the host's magic cookie it prints go-plugin's "This binary is a plugin…" and exits 1;
//   - any argument (`run`, `lint`, `blobl`, `list`, `--help`, …): the bento-ts CLI, whatever the
//     environment says.
// No top-level await: the single-executable build bundles this file as CommonJS.

/** The arguments after the program: `node main.ts a b` and the single executable `exe a b` alike. */
function cliArguments(): string[] {
  return process.argv.slice(2)
}

async function main(): Promise<void> {
  const args = cliArguments()
  if (args.length === 0) {
    // Identity as the workflow host validates it; apps/plugin/plugin.json says the same.
    await serveWorkflowPlugin({
      // Loaded when the first module, step or trigger is created, so neither the handshake nor
      // LoadPlugin waits for it; each connector package (and its SDK, a few hundred milliseconds to
      // evaluate) loads later still, when a config first uses one of its components.
      env: () => import('./environment.ts').then((m) => m.pluginEnvironment()),
      manifest: {
        name: 'bento',
        version,
        author: 'bento-ts contributors',
        description:
          'Bento stream processing in TypeScript: Bloblang mappings, streams, inputs, outputs and triggers with at-least-once delivery',
      },
    })
    return
  }
  // Output piped into `head` and closed early: stop quietly, as a Go program would on SIGPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
  const { pluginEnvironment } = await import('./environment.ts')
  await createCli(pluginEnvironment()).parseAsync(process.argv)
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
