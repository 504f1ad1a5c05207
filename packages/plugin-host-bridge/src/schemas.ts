import type { MessageInitShape } from '@bufbuild/protobuf'
import type { ModuleSchemaSchema } from './gen/workflow/plugin/v1/plugin_pb.ts'

/** What the plugin offers the workflow engine. Kept in step with apps/plugin/plugin.json. */
export const moduleTypes = ['bento.stream', 'bento.input', 'bento.output', 'bento.broker'] as const
export const stepTypes = ['step.bento'] as const
export const triggerTypes = ['bento'] as const

type Schema = MessageInitShape<typeof ModuleSchemaSchema>

const object = (name: string, description: string, required = false) => ({
  name,
  type: 'object',
  description,
  required,
})
const string = (name: string, description: string, required = false, defaultValue = '') => ({
  name,
  type: 'string',
  description,
  required,
  defaultValue,
})

const number = (name: string, description: string, defaultValue: string) => ({
  name,
  type: 'number',
  description,
  required: false,
  defaultValue,
})

const laneFields = [
  number('parallel', 'Deliveries at once, sharded by foreign id (one entity stays in order)', '1'),
  string('error_backoff', 'Retry a failed delivery in place after this pause (empty: nack at once)'),
  number('max_propagation_depth', 'Crossings to the host a message may make before a loop is cut', '3'),
]

/** The schemas the workflow UI and validators show, one per module type and one for the step. */
export const moduleSchemas: readonly Schema[] = [
  {
    type: 'bento.stream',
    label: 'Bento Stream',
    category: 'streaming',
    description: 'A whole Bento stream, input → processors → output, run for the life of the module.',
    configFields: [
      object('input', 'Bento input configuration', true),
      object('pipeline', 'Bento pipeline (processors) configuration'),
      object('output', 'Bento output configuration', true),
      object('logger', 'Bento logger configuration'),
      object('metrics', 'Bento metrics configuration'),
    ],
  },
  {
    type: 'bento.input',
    label: 'Bento Input',
    category: 'streaming',
    description: 'A Bento input as an event source: each message it reads is published to a host topic.',
    configFields: [
      object('input', 'Bento input configuration', true),
      string('target_topic', 'Host EventBus topic to publish messages to', true),
      string('target_broker', 'Optional broker name on the host'),
      string('foreign_id', 'Interpolated entity key for parallel delivery (default: the event id)'),
      ...laneFields,
    ],
    outputs: [{ name: 'messages', type: 'EventBus', description: 'Messages published to the host EventBus' }],
  },
  {
    type: 'bento.output',
    label: 'Bento Output',
    category: 'streaming',
    description: 'A Bento output as an event sink: messages of a host topic are written to it.',
    configFields: [
      object('output', 'Bento output configuration', true),
      string(
        'source_topic',
        'Host EventBus topic pattern to subscribe to (* one segment, ** one or more)',
        true,
      ),
      string('source_broker', 'Optional broker name on the host'),
      string(
        'delivery',
        'at_least_once (a full window holds the host) or best_effort (drops, counted)',
        false,
        'at_least_once',
      ),
      number('max_in_flight', 'Deliveries in the stream at once', '64'),
      number('queue_size', 'Deliveries waiting for room', '1024'),
      string(
        'backpressure_timeout',
        'How long a held delivery waits before a retryable error (0s: forever)',
        false,
        '30s',
      ),
    ],
    inputs: [{ name: 'messages', type: 'EventBus', description: 'Messages received from the host EventBus' }],
  },
  {
    type: 'bento.broker',
    label: 'Bento Broker',
    category: 'messaging',
    description: 'A message broker backed by a Bento transport, with one stream per topic.',
    configFields: [
      string('transport', 'Bento transport type (e.g. kafka, nats, memory)', false, 'memory'),
      object('transport_config', 'Transport-specific configuration'),
    ],
  },
  {
    type: 'step.bento',
    label: 'Bento Processor Step',
    category: 'transform',
    description: 'Runs the pipeline data through Bento processors (Bloblang mappings and others).',
    configFields: [
      {
        name: 'processors',
        type: 'string',
        description: 'YAML string, map (one processor) or list of Bento processors',
        required: true,
      },
    ],
  },
]
