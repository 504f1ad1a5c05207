// `resource` input and output: use a component declared under input_resources / output_resources.
// The resource itself is closed with the other resources, not by the streams that use it.

import type { Input, Output } from '../../component.ts'
import { defineInput, defineOutput } from '../../kit/declare.ts'
import { field } from '../../spec.ts'

export const resourceInputPlugin = defineInput({
  name: 'resource',
  status: 'stable',
  categories: ['Utility'],
  summary: 'Resource is an input type that channels messages from a resource input, identified by its name.',
  description:
    'When a resource is referenced more than once the messages it produces are distributed across those references, so each message will only be directed to a single reference, not all of them.',
  value: field.string('resource', { default: '', resource: 'input' }),
  create(name, context): Input {
    let input: Input
    try {
      input = context.resources.input(name)
    } catch {
      throw new Error(`input resource '${name}' was not found`)
    }
    return {
      connect: (signal) => input.connect(signal),
      read: (signal) => input.read(signal),
      close: async () => {},
    }
  },
})

export const resourceOutputPlugin = defineOutput({
  name: 'resource',
  status: 'stable',
  categories: ['Utility'],
  summary: 'Resource is an output type that channels messages to a resource output, identified by its name.',
  value: field.string('resource', { default: '', resource: 'output' }),
  create(name, context): Output {
    let output: Output
    try {
      output = context.resources.output(name)
    } catch {
      throw new Error(`output resource '${name}' was not found`)
    }
    return {
      connect: async () => {},
      write: (batch, signal) => output.write(batch, signal),
      close: async () => {},
      // The resource's own sink limits its writes.
      maxInFlight: Number.MAX_SAFE_INTEGER,
    }
  },
})
