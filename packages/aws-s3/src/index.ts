// The aws_s3 input and output. `components` lists every declaration (what the registry and the
// catalog read); `register` adds them to an environment.
import { addPlugins, type Environment } from '@bento-ts/core'
import type { Component } from '@bento-ts/core/kit'
import { s3InputComponent } from './input.ts'
import { s3OutputComponent } from './output.ts'

export const packageName = '@bento-ts/aws-s3'

export const components: Component[] = [s3InputComponent, s3OutputComponent]

/** Adds the aws_s3 input and output to an environment. */
export function register(env: Environment): Environment {
  return addPlugins(env, components)
}

export { type S3InputConfig, type S3InputOptions, s3Input, s3InputComponent } from './input.ts'
export { objectsOf, queryUnescape, stringsAt } from './notification.ts'
export { type S3OutputConfig, type S3OutputOptions, s3Output, s3OutputComponent, tagging } from './output.ts'
