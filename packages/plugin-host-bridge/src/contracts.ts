// The typed contracts (GetContractRegistry): STRICT_PROTO descriptors for every module type, the
// step and the trigger, messages from proto/workflow/plugin/bento/v1/bento.proto (package
// workflow.plugin.bento.v1, the Go plugin's names). A host that reads them sends module and step
// configs as `typed_config` only and expects step outputs as `typed_output`; one that does not
// (or an older host) keeps sending the Struct fields, which keep working.
import { create, type DescMessage, type JsonObject, type MessageInitShape, toJson } from '@bufbuild/protobuf'
import {
  type Any,
  anyPack,
  anyUnpack,
  FileDescriptorSetSchema,
  file_google_protobuf_struct,
} from '@bufbuild/protobuf/wkt'
import {
  BrokerModuleConfigSchema,
  file_workflow_plugin_bento_v1_bento,
  InputModuleConfigSchema,
  OutputModuleConfigSchema,
  ProcessorStepConfigSchema,
  ProcessorStepInputSchema,
  ProcessorStepOutputSchema,
  StreamModuleConfigSchema,
  TriggerConfigSchema,
} from './gen/workflow/plugin/bento/v1/bento_pb.ts'
import {
  ContractKind,
  ContractMode,
  type ContractRegistrySchema,
} from './gen/workflow/plugin/v1/plugin_pb.ts'

/** The config message of each module type. */
export const moduleConfigMessages: Record<string, DescMessage> = {
  'bento.stream': StreamModuleConfigSchema,
  'bento.input': InputModuleConfigSchema,
  'bento.output': OutputModuleConfigSchema,
  'bento.broker': BrokerModuleConfigSchema,
}

/** A contract as plugin.json's `contracts` (and plugin.contracts.json) write it for wfctl. */
export interface ManifestContract {
  kind: 'module' | 'step' | 'trigger'
  type: string
  mode: 'strict_proto'
  config: string
  input?: string
  output?: string
}

/** Every contract of the plugin, in the manifest's form. */
export const manifestContracts: readonly ManifestContract[] = [
  ...Object.entries(moduleConfigMessages).map(
    ([type, message]): ManifestContract => ({
      kind: 'module',
      type,
      mode: 'strict_proto',
      config: message.typeName,
    }),
  ),
  {
    kind: 'step',
    type: 'step.bento',
    mode: 'strict_proto',
    config: ProcessorStepConfigSchema.typeName,
    input: ProcessorStepInputSchema.typeName,
    output: ProcessorStepOutputSchema.typeName,
  },
  { kind: 'trigger', type: 'bento', mode: 'strict_proto', config: TriggerConfigSchema.typeName },
]

const kinds = {
  module: ContractKind.MODULE,
  step: ContractKind.STEP,
  trigger: ContractKind.TRIGGER,
} as const

/** What GetContractRegistry answers: the descriptors and the files that define their messages. */
export const contractRegistry: MessageInitShape<typeof ContractRegistrySchema> = {
  contracts: manifestContracts.map((c) => ({
    kind: kinds[c.kind],
    ...(c.kind === 'module' ? { moduleType: c.type } : {}),
    ...(c.kind === 'step' ? { stepType: c.type } : {}),
    ...(c.kind === 'trigger' ? { triggerType: c.type } : {}),
    configMessage: c.config,
    inputMessage: c.input ?? '',
    outputMessage: c.output ?? '',
    mode: ContractMode.STRICT_PROTO,
    protoPackage: file_workflow_plugin_bento_v1_bento.proto.package,
  })),
  fileDescriptorSet: create(FileDescriptorSetSchema, {
    file: [file_google_protobuf_struct.proto, file_workflow_plugin_bento_v1_bento.proto],
  }),
}

/** A typed payload as the plain config the modules read (proto field names, unset fields left out). */
export function fromTyped(any: Any, schema: DescMessage, what: string): JsonObject {
  const message = anyUnpack(any, schema)
  if (message === undefined) {
    throw new Error(`${what}: typed payload is ${any.typeUrl || 'empty'}, want ${schema.typeName}`)
  }
  return toJson(schema, message, { useProtoFieldName: true }) as JsonObject
}

/** A module's typed_config as its plain config. */
export const typedModuleConfig = (type: string, any: Any): JsonObject =>
  fromTyped(any, moduleConfigMessages[type]!, `${type} typed_config`)

/** step.bento's typed_config and typed_input: the config and the data to merge over trigger_data. */
export function typedStepRequest(
  config: Any | undefined,
  input: Any | undefined,
): { config: JsonObject | undefined; data: JsonObject } {
  const data = input === undefined ? {} : fromTyped(input, ProcessorStepInputSchema, 'step.bento typed_input')
  return {
    config:
      config === undefined
        ? undefined
        : fromTyped(config, ProcessorStepConfigSchema, 'step.bento typed_config'),
    data: (data.data as JsonObject | undefined) ?? {},
  }
}

/** step.bento's output as typed_output: `{result: <output>}`. */
export const typedStepOutput = (output: JsonObject): Any =>
  anyPack(ProcessorStepOutputSchema, create(ProcessorStepOutputSchema, { result: output }))
