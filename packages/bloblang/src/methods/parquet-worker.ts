// parse_parquet runs hyparquet (an async reader) in a worker thread and waits for it with
// Atomics.wait, because Bloblang methods are synchronous. The worker starts on first use and
// never keeps the process alive.

import { createRequire } from 'node:module'
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads'

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { port, flag, hyparquet } = workerData
let lib = null
port.on('message', async ({ bytes, utf8 }) => {
  try {
    lib ??= await import(hyparquet)
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    const rows = await lib.parquetReadObjects({ file, utf8 })
    port.postMessage({ rows })
  } catch (e) {
    port.postMessage({ error: String(e && e.message ? e.message : e) })
  }
  Atomics.store(flag, 0, 1)
  Atomics.notify(flag, 0)
})
`

interface Channel {
  port: import('node:worker_threads').MessagePort
  flag: Int32Array
}

let channel: Channel | null = null

function start(): Channel {
  const require = createRequire(import.meta.url)
  const hyparquet = require.resolve('hyparquet')
  const { port1, port2 } = new MessageChannel()
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { port: port2, flag, hyparquet: `file://${hyparquet}` },
    transferList: [port2],
  })
  worker.unref()
  port1.unref()
  return { port: port1, flag }
}

/** Rows of a Parquet file as plain objects (hyparquet's values), or an error message. */
export function readParquetSync(bytes: Uint8Array, utf8: boolean): { rows?: unknown[]; error?: string } {
  try {
    channel ??= start()
  } catch (err) {
    // The plugin's single executable has no node_modules on disk for the worker to import.
    return { error: `the parquet reader (hyparquet) cannot be loaded here: ${(err as Error).message}` }
  }
  const { port, flag } = channel
  Atomics.store(flag, 0, 0)
  port.postMessage({ bytes, utf8 })
  Atomics.wait(flag, 0, 0)
  const msg = receiveMessageOnPort(port)
  if (msg === undefined) return { error: 'parquet reader returned nothing' }
  return msg.message as { rows?: unknown[]; error?: string }
}
