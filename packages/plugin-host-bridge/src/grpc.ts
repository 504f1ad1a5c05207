// protobuf-es describes services; grpc-js serves and calls them. This file joins the two: a grpc-js
// service definition (paths, binary codecs) from a protobuf-es service descriptor, typed server
// implementations and typed promise clients.
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf'
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2'
import * as grpc from '@grpc/grpc-js'

type Method = Pick<DescMethod, 'input' | 'output' | 'methodKind'>

/**
 * gRPC message size limits off: the workflow host allows itself up to 2 GiB per message. Channelz
 * off: its per-call bookkeeping is a measurable part of a step round trip and nobody reads it here.
 */
export const unlimitedMessages = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  'grpc.enable_channelz': 0,
} as const

/** The grpc-js definition of a service: the wire paths and protobuf binary codecs of its methods. */
export function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  for (const method of service.methods) {
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: encoder(method.input),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: encoder(method.output),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
    }
  }
  return definition
}

function encoder(schema: DescMessage) {
  // Handlers may answer with a plain init object; create() fills it into a message first.
  return (value: unknown) =>
    Buffer.from(toBinary(schema, create(schema, value as MessageInitShape<DescMessage>)))
}

type In<M extends Method> = MessageShape<M['input']>
type Out<M extends Method> = MessageShape<M['output']>
type OutInit<M extends Method> = MessageInitShape<M['output']>

/** A handler per method: unary ones return (a promise of) the response; streaming ones get the call. */
export type ServiceHandlers<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary'
    ? (
        request: In<T[K]>,
        call: grpc.ServerUnaryCall<In<T[K]>, Out<T[K]>>,
      ) => Promise<OutInit<T[K]>> | OutInit<T[K]>
    : T[K]['methodKind'] extends 'server_streaming'
      ? (call: grpc.ServerWritableStream<In<T[K]>, OutInit<T[K]>>) => void
      : T[K]['methodKind'] extends 'client_streaming'
        ? (
            call: grpc.ServerReadableStream<In<T[K]>, OutInit<T[K]>>,
            done: grpc.sendUnaryData<OutInit<T[K]>>,
          ) => void
        : (call: grpc.ServerDuplexStream<In<T[K]>, OutInit<T[K]>>) => void
}

/**
 * Registers a service on a server. A unary handler that throws answers with the error's gRPC code
 * when it carries one (`grpcError`), INTERNAL otherwise; unimplemented methods answer UNIMPLEMENTED.
 */
export function addService<T extends GenServiceMethods>(
  server: grpc.Server,
  service: GenService<T>,
  handlers: Partial<ServiceHandlers<T>>,
): void {
  const implementation: grpc.UntypedServiceImplementation = {}
  for (const method of (service as unknown as DescService).methods) {
    const handler = (handlers as Record<string, unknown>)[method.localName] as
      | ((...args: unknown[]) => unknown)
      | undefined
    if (handler === undefined) continue
    if (method.methodKind !== 'unary') {
      implementation[method.localName] = handler as grpc.UntypedHandleCall
      continue
    }
    implementation[method.localName] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      Promise.resolve()
        .then(() => handler(call.request, call))
        .then(
          (response) => callback(null, response),
          (err: unknown) => callback(toServiceError(err)),
        )
    }
  }
  server.addService(serviceDefinition(service as unknown as DescService), implementation)
}

/** An error that a handler throws to answer with a specific gRPC status. */
export function grpcError(code: grpc.status, message: string): Error & { code: grpc.status } {
  return Object.assign(new Error(message), { code })
}

function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  const e = err as { code?: unknown; message?: string }
  return {
    code: typeof e.code === 'number' ? (e.code as grpc.status) : grpc.status.INTERNAL,
    details: e.message ?? String(err),
  }
}

/** Promise-returning unary calls, raw grpc-js calls for streaming methods. */
export type ServiceClient<T extends GenServiceMethods> = {
  [K in keyof T]: T[K]['methodKind'] extends 'unary'
    ? (request: MessageInitShape<T[K]['input']>, options?: grpc.CallOptions) => Promise<Out<T[K]>>
    : T[K]['methodKind'] extends 'server_streaming'
      ? (
          request: MessageInitShape<T[K]['input']>,
          options?: grpc.CallOptions,
        ) => grpc.ClientReadableStream<Out<T[K]>>
      : T[K]['methodKind'] extends 'client_streaming'
        ? never
        : (options?: grpc.CallOptions) => grpc.ClientDuplexStream<MessageInitShape<T[K]['input']>, Out<T[K]>>
} & { readonly grpcClient: grpc.Client }

/** A client of `service` over an existing channel (or a new one to `target`, plaintext). */
export function createClient<T extends GenServiceMethods>(
  service: GenService<T>,
  target: string | grpc.Client,
): ServiceClient<T> {
  const client =
    typeof target === 'string'
      ? new grpc.Client(target, grpc.credentials.createInsecure(), unlimitedMessages)
      : new grpc.Client('unused', grpc.credentials.createInsecure(), {
          channelOverride: grpc.getClientChannel(target),
        })
  const out: Record<string, unknown> = { grpcClient: client }
  const definition = serviceDefinition(service as unknown as DescService)
  for (const method of (service as unknown as DescService).methods) {
    const d = definition[method.localName]!
    if (method.methodKind === 'unary') {
      out[method.localName] = (request: unknown, options: grpc.CallOptions = {}) =>
        new Promise((resolve, reject) => {
          client.makeUnaryRequest(
            d.path,
            d.requestSerialize,
            d.responseDeserialize,
            request,
            new grpc.Metadata(),
            options,
            (err, response) => (err ? reject(err) : resolve(response)),
          )
        })
    } else if (method.methodKind === 'server_streaming') {
      out[method.localName] = (request: unknown, options: grpc.CallOptions = {}) =>
        client.makeServerStreamRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          request,
          new grpc.Metadata(),
          options,
        )
    } else if (method.methodKind === 'bidi_streaming') {
      out[method.localName] = (options: grpc.CallOptions = {}) =>
        client.makeBidiStreamRequest(
          d.path,
          d.requestSerialize,
          d.responseDeserialize,
          new grpc.Metadata(),
          options,
        )
    }
  }
  return out as ServiceClient<T>
}
