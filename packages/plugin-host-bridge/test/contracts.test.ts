// Our proto/ must match, field for field, the contracts compiled into the workflow host we pin:
// conformance/host prints the host's FileDescriptorProtos, compared here with our generated ones.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { ensureTool } from '@bento-ts/test-services'
import { type DescFile, fromJson, isFieldSet, type JsonValue } from '@bufbuild/protobuf'
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  FieldDescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
} from '@bufbuild/protobuf/wkt'
import { beforeAll, expect, it } from 'vitest'
import { file_grpc_health_v1_health } from '../src/gen/grpc/health/v1/health_pb.ts'
import { file_plugin_grpc_broker } from '../src/gen/plugin/grpc_broker_pb.ts'
import { file_plugin_grpc_controller } from '../src/gen/plugin/grpc_controller_pb.ts'
import { file_plugin_grpc_stdio } from '../src/gen/plugin/grpc_stdio_pb.ts'
import { file_workflow_plugin_v1_plugin } from '../src/gen/workflow/plugin/v1/plugin_pb.ts'

/** Everything that reaches the wire: names, numbers, types, labels, streaming; not comments or paths. */
function wireShape(file: FileDescriptorProto): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const enumShape = (e: EnumDescriptorProto, prefix: string) => {
    out[`enum ${prefix}${e.name}`] = e.value.map((v) => `${v.number} ${v.name}`)
  }
  const messageShape = (m: DescriptorProto, prefix: string) => {
    const name = `${prefix}${m.name}`
    out[`message ${name}`] = [
      ...m.field.map(
        (f) =>
          `${f.number} ${f.name} label=${f.label} type=${f.type} ${f.typeName} oneof=${isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) ? f.oneofIndex : '-'} optional=${f.proto3Optional}`,
      ),
      ...m.oneofDecl.map((o) => `oneof ${o.name}`),
      `map_entry=${m.options?.mapEntry ?? false}`,
    ]
    for (const n of m.nestedType) messageShape(n, `${name}.`)
    for (const e of m.enumType) enumShape(e, `${name}.`)
  }
  const prefix = `${file.package}.`
  for (const m of file.messageType) messageShape(m, prefix)
  for (const e of file.enumType) enumShape(e, prefix)
  for (const s of file.service) {
    out[`service ${prefix}${s.name}`] = s.method.map(
      (m) =>
        `${m.name}(${m.clientStreaming ? 'stream ' : ''}${m.inputType}) returns (${m.serverStreaming ? 'stream ' : ''}${m.outputType})`,
    )
  }
  return out
}

const ours: [string, DescFile][] = [
  ['plugin.proto', file_workflow_plugin_v1_plugin],
  ['internal/plugin/grpc_broker.proto', file_plugin_grpc_broker],
  ['internal/plugin/grpc_controller.proto', file_plugin_grpc_controller],
  ['internal/plugin/grpc_stdio.proto', file_plugin_grpc_stdio],
  ['grpc/health/v1/health.proto', file_grpc_health_v1_health],
]

let host: Map<string, FileDescriptorProto>
beforeAll(async () => {
  const harness = await ensureTool('workflow-host-harness')
  const { stdout } = await promisify(execFile)(harness, ['-descriptors'], { maxBuffer: 16 * 1024 * 1024 })
  host = new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => fromJson(FileDescriptorProtoSchema, JSON.parse(line) as JsonValue))
      .map((fd) => [fd.name, fd]),
  )
}, 900_000)

it.each(ours)('proto/ matches the host: %s', (path, file) => {
  const theirs = host.get(path)
  expect(theirs, `${path} is not in the host`).toBeDefined()
  const want = wireShape(theirs!)
  const got = wireShape(file.proto)
  if (path === 'grpc/health/v1/health.proto') {
    // grpc-go's copy may have grown (e.g. List); go-plugin hosts only use Check and Watch.
    for (const [key, value] of Object.entries(got)) {
      if (key.startsWith('service ')) {
        for (const m of value) expect(want[key]).toContain(m)
      } else {
        expect(want[key], key).toEqual(value)
      }
    }
    return
  }
  expect(got).toEqual(want)
})
