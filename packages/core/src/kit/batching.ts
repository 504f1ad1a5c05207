// Input-side batching for connectors whose Bento input takes a `batching` field.
import type { ComponentContext, Input, ParsedComponent } from '../component.ts'
import { batchedInput } from '../components/io/broker-input.ts'
import { type BatchPolicy, policyEnabled } from '../sink.ts'

export type BatchingConfig = BatchPolicy & { processors?: ParsedComponent[] }

/** Wraps `input` so it yields batches by the policy; returns it unchanged when batching is off. */
export async function withInputBatching(
  input: Input,
  batching: BatchingConfig | undefined,
  context: ComponentContext,
): Promise<Input> {
  if (!policyEnabled(batching)) return input
  const processors = await context.build.processors(batching.processors ?? [])
  return batchedInput(input, batching, processors)
}
