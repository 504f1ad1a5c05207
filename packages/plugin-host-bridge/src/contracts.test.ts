import { streamFields } from '@bento-ts/core'
import { create, fromJson, type JsonObject } from '@bufbuild/protobuf'
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt'
import { describe, expect, it } from 'vitest'
import {
  contractRegistry,
  manifestContracts,
  typedModuleConfig,
  typedStepOutput,
  typedStepRequest,
} from './contracts.ts'
import {
  InputModuleConfigSchema,
  ProcessorStepConfigSchema,
  ProcessorStepInputSchema,
  ProcessorStepOutputSchema,
  StreamModuleConfigSchema,
} from './gen/workflow/plugin/bento/v1/bento_pb.ts'
import { ContractMode } from './gen/workflow/plugin/v1/plugin_pb.ts'
import { moduleTypes, stepTypes, triggerTypes } from './schemas.ts'

describe('contracts', () => {
  it('cover every module, step and trigger type, strict', () => {
    expect(manifestContracts.map((c) => `${c.kind} ${c.type}`).sort()).toEqual(
      [
        ...moduleTypes.map((t) => `module ${t}`),
        ...stepTypes.map((t) => `step ${t}`),
        ...triggerTypes.map((t) => `trigger ${t}`),
      ].sort(),
    )
    for (const c of contractRegistry.contracts ?? []) expect(c.mode).toBe(ContractMode.STRICT_PROTO)
    expect(contractRegistry.fileDescriptorSet?.file?.map((f) => f.name)).toEqual([
      'google/protobuf/struct.proto',
      'workflow/plugin/bento/v1/bento.proto',
    ])
  })

  it('StreamModuleConfig has a field for every top-level key of a stream config', () => {
    // The host rejects a key that is not a field, so a key the stream spec gains must be added.
    const names = StreamModuleConfigSchema.fields.map((f) => f.name)
    expect(names.sort()).toEqual(streamFields.map((f) => f.name).sort())
  })

  it('decode typed configs to the plain config the modules read, unset fields left out', () => {
    const config = {
      input: { generate: { mapping: 'root = {}' } },
      target_topic: 'orders',
      max_in_flight: 4,
      processors: [{ mapping: 'root = this' }],
    }
    const any = anyPack(InputModuleConfigSchema, fromJson(InputModuleConfigSchema, config))
    expect(typedModuleConfig('bento.input', any)).toEqual(config)
    // an explicit 0 survives (optional fields keep presence), so it is reported, not defaulted
    const zero = anyPack(InputModuleConfigSchema, fromJson(InputModuleConfigSchema, { max_in_flight: 0 }))
    expect(typedModuleConfig('bento.input', zero)).toEqual({ max_in_flight: 0 })
    expect(() => typedModuleConfig('bento.stream', any)).toThrow(
      'bento.stream typed_config: typed payload is type.googleapis.com/workflow.plugin.bento.v1.InputModuleConfig, want workflow.plugin.bento.v1.StreamModuleConfig',
    )
  })

  it('step.bento: processors in any form, data from typed_input, output under result', () => {
    for (const processors of [
      'mapping: root = this',
      { mapping: 'root = this' },
      [{ mapping: 'root = this' }],
    ]) {
      const config = anyPack(ProcessorStepConfigSchema, fromJson(ProcessorStepConfigSchema, { processors }))
      expect(typedStepRequest(config, undefined).config).toEqual({ processors })
    }
    const input = anyPack(ProcessorStepInputSchema, create(ProcessorStepInputSchema, { data: { a: 1 } }))
    expect(typedStepRequest(undefined, input)).toEqual({ config: undefined, data: { a: 1 } })
    expect(typedStepRequest(undefined, undefined).data).toEqual({})
    const out = anyUnpack(typedStepOutput({ b: 'x' } as JsonObject), ProcessorStepOutputSchema)
    expect(out?.result).toEqual({ b: 'x' })
  })
})
