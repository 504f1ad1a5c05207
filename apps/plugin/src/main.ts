#!/usr/bin/env node
import { createCli } from './cli.ts'

// Output piped into `head` and closed early: stop quietly, as a Go program would on SIGPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

await createCli().parseAsync(process.argv)
