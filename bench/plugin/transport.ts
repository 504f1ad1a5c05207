// The plugin served over a chosen gRPC stack, to compare stacks in the real host (transport-run.ts).
// `BENCH_TRANSPORT=grpc-js` serves exactly as the product does (serveWorkflowPlugin); `connect`
// serves the same BentoPlugin handlers through @connectrpc/connect-node on an HTTP/2 server. Both
// run on the same Node, so the difference is the stack. This is an experiment kept for
// re-measuring; the product ships one stack (grpc-js), see packages/plugin-host-bridge/README.md.
import { EventEmitter } from 'node:events'
import { chmodSync, rmSync } from 'node:fs'
import * as http2 from 'node:http2'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { standardEnvironment } from '@bento-ts/core'
import { BentoPlugin, Broker, createPluginLogger, serveWorkflowPlugin } from '@bento-ts/plugin-host-bridge'
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from '@bento-ts/plugin-host-bridge/gen/grpc/health/v1/health_pb'
import { type ConnInfo, GRPCBroker } from '@bento-ts/plugin-host-bridge/gen/plugin/grpc_broker_pb'
import { GRPCController } from '@bento-ts/plugin-host-bridge/gen/plugin/grpc_controller_pb'
import { GRPCStdio } from '@bento-ts/plugin-host-bridge/gen/plugin/grpc_stdio_pb'
import { PluginService } from '@bento-ts/plugin-host-bridge/gen/workflow/plugin/v1/plugin_pb'
import type { DescService } from '@bufbuild/protobuf'
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect'
import { connectNodeAdapter } from '@connectrpc/connect-node'

const manifest = {
  name: 'bento',
  version: '0.0.0-bench',
  author: 'bento-ts',
  description: 'transport experiment',
}

if (process.env.BENCH_TRANSPORT !== 'connect') {
  await serveWorkflowPlugin({ manifest })
} else {
  await serveConnect()
}

type Unary = (call: { request: unknown }, callback: (err: unknown, response?: unknown) => void) => void

async function serveConnect(): Promise<void> {
  process.on('SIGINT', () => {})
  const logger = createPluginLogger({ level: 'warn', fields: { '@module': 'bento' } })
  const plugin = new BentoPlugin({ manifest, env: standardEnvironment(), logger })
  const broker = new Broker()

  // BentoPlugin registers grpc-js implementations; capture them and call them from connect.
  const captured = new Map<string, Unary>()
  const grpcServerStandIn = {
    addService(_definition: unknown, implementation: Record<string, Unary>) {
      for (const [name, fn] of Object.entries(implementation)) captured.set(name, fn)
    },
  }
  plugin.register(grpcServerStandIn as never, broker)
  const unary = (name: string) => (request: unknown) =>
    new Promise((resolve, reject) => {
      captured.get(name)!({ request }, (err, response) =>
        err
          ? reject(new ConnectError(String((err as { details?: string }).details ?? err), Code.Internal))
          : resolve(response),
      )
    })
  const pluginHandlers: Record<string, unknown> = {}
  for (const method of (PluginService as unknown as DescService).methods) {
    if (captured.has(method.localName)) pluginHandlers[method.localName] = unary(method.localName)
  }

  let server: http2.Http2Server | undefined
  const path = join(tmpdir(), `plugin${Math.floor(Math.random() * 1e9)}`)
  const routes = (router: ConnectRouter) => {
    router.service(PluginService, pluginHandlers)
    router.service(Health, {
      check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
    })
    router.service(GRPCController, {
      shutdown: () => {
        setImmediate(async () => {
          await plugin.stopAll()
          server?.close()
          rmSync(path, { force: true })
          process.exit(0)
        })
        return {}
      },
    })
    router.service(GRPCStdio, {
      async *streamStdio(_request, context) {
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve))
      },
    })
    router.service(GRPCBroker, {
      async *startStream(requests, context) {
        // The broker reads a grpc-js duplex; feed it one made of the connect request stream.
        const call = Object.assign(new EventEmitter(), { write: () => true, end: () => {} })
        broker.attach(call as never, logger)
        for await (const info of requests) call.emit('data', info as ConnInfo)
        call.emit('end')
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve))
      },
    })
  }
  server = http2.createServer(connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }))
  await new Promise<void>((resolve) => server!.listen(path, resolve))
  chmodSync(path, 0o600)
  process.once('exit', () => rmSync(path, { force: true }))
  process.stdout.write(`1|1|unix|${path}|grpc||false\n`)
}
