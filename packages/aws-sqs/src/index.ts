// The aws_sqs input and output. `components` lists every declaration (what the registry and the
// catalog read); `register` adds them to an environment.
import { addPlugins, type Environment } from '@bento-ts/core'
import type { Component } from '@bento-ts/core/kit'
import { sqsInputComponent } from './input.ts'
import { sqsOutputComponent } from './output.ts'

export const packageName = '@bento-ts/aws-sqs'

export const components: Component[] = [sqsInputComponent, sqsOutputComponent]

/** Adds the aws_sqs input and output to an environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export {
  type SqsInputConfig,
  type SqsInputSeams,
  sqsInput,
  sqsInputComponent,
  sqsMetadataKey,
  toMessage,
} from './input.ts'
export { type SqsOutputConfig, type SqsOutputSeams, sqsOutput, sqsOutputComponent } from './output.ts'
