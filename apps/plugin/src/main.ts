#!/usr/bin/env node
import { isPluginInvocation, serveWorkflowPlugin } from '@bento-ts/plugin-host-bridge'
import { createCli, version } from './cli.ts'

// One executable, two uses: started by a workflow host (go-plugin sets WORKFLOW_PLUGIN and the
// PLUGIN_* variables) it serves the plugin; started by a person it is the bento-ts CLI.
if (isPluginInvocation()) {
  // Identity as the workflow host validates it; apps/plugin/plugin.json says the same.
  await serveWorkflowPlugin({
    manifest: {
      name: 'bento',
      version,
      author: 'bento-ts contributors',
      description:
        'Bento stream processing in TypeScript: Bloblang mappings, streams, inputs, outputs and triggers with at-least-once delivery',
    },
  })
} else {
  // Output piped into `head` and closed early: stop quietly, as a Go program would on SIGPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })

  await createCli().parseAsync(process.argv)
}
