// JSON processors backed by libraries: jmespath and json_schema.

import { readFile } from 'node:fs/promises'
import type { Value } from '@bento-ts/bloblang'
import { compile, type JSONValue, TreeInterpreter } from '@jmespath-community/jmespath'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { Plugin } from '../../component.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { errorOf, fail } from './util.ts'

export const jmespathProcessor: Plugin<'processor'> = {
  spec: {
    name: 'jmespath',
    kind: 'processor',
    status: 'stable',
    categories: ['Mapping'],
    summary:
      'Executes a JMESPath query on JSON documents and replaces the message with the resulting document.',
    description: 'For better performance and more capabilities use the `mapping` processor.',
    fields: [
      field.string('query', {
        description: 'The JMESPath query to apply to messages.',
        examples: ["locations[?state == 'WA'].name | sort(@) | {Cities: join(', ', @)}"],
      }),
    ],
  },
  create(config: { query: string }, context) {
    let query: ReturnType<typeof compile>
    try {
      query = compile(config.query)
    } catch (err) {
      throw new Error(`failed to compile JMESPath query: ${errorOf(err).message}`)
    }
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        for (const m of batch) {
          let doc: unknown
          try {
            // Bento reads numbers as float64 for JMESPath
            doc = JSON.parse(m.text())
          } catch (err) {
            logger.debug(`Failed to parse part into json: ${errorOf(err).message}`)
            fail(m, err)
            continue
          }
          try {
            m.setStructured(TreeInterpreter.search(query, doc as JSONValue) as Value)
          } catch (err) {
            logger.debug(`Failed to search json: ${errorOf(err).message}`)
            fail(m, err)
          }
        }
        return [batch]
      },
    }
  },
}

// ---------------------------------------------------------------------------------------------
// json_schema

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** A JSON value's type in gojsonschema's words. */
function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

/** `(root)`, `a.b`, `list.0`, as gojsonschema names fields. */
function fieldName(instancePath: string): string {
  if (instancePath === '') return '(root)'
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.')
}

/** An Ajv error in the words of gojsonschema, Bento's validator: `<field> <description>`. */
export function describeSchemaError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  const field = fieldName(e.instancePath)
  const last = field.split('.').pop() ?? field
  const list = (values: unknown[]) => values.map((v) => JSON.stringify(v)).join(', ')
  let description: string
  switch (e.keyword) {
    case 'required':
      return `${field} ${p.missingProperty as string} is required`
    case 'type':
      description = `Invalid type. Expected: ${String(p.type).replace(/,/g, ', ')}, given: ${jsonType(e.data)}`
      break
    case 'minimum':
      description = `Must be greater than or equal to ${p.limit}`
      break
    case 'exclusiveMinimum':
      description = `Must be greater than ${p.limit}`
      break
    case 'maximum':
      description = `Must be less than or equal to ${p.limit}`
      break
    case 'exclusiveMaximum':
      description = `Must be less than ${p.limit}`
      break
    case 'minLength':
      description = `String length must be greater than or equal to ${p.limit}`
      break
    case 'maxLength':
      description = `String length must be less than or equal to ${p.limit}`
      break
    case 'pattern':
      description = `Does not match pattern '${p.pattern}'`
      break
    case 'format':
      description = `Does not match format '${p.format}'`
      break
    case 'multipleOf':
      description = `Must be a multiple of ${p.multipleOf}`
      break
    case 'enum':
      description = `${last} must be one of the following: ${list(p.allowedValues as unknown[])}`
      break
    case 'const':
      description = `${last} does not match: ${JSON.stringify(p.allowedValue)}`
      break
    case 'additionalProperties':
      return `${field} additional property ${p.additionalProperty as string} is not allowed`
    case 'minItems':
      description = `Array must have at least ${p.limit} items`
      break
    case 'maxItems':
      description = `Array must have at most ${p.limit} items`
      break
    case 'minProperties':
      description = `Must have at least ${p.limit} properties`
      break
    case 'maxProperties':
      description = `Must have at most ${p.limit} properties`
      break
    case 'anyOf':
      description = 'Must validate at least one schema (anyOf)'
      break
    case 'oneOf':
      description = 'Must validate one and only one schema (oneOf)'
      break
    case 'not':
      description = 'Must not validate the schema (not)'
      break
    default:
      description = e.message ?? e.keyword
  }
  return `${field} ${description.toLowerCase()}`
}

async function loadSchema(path: string): Promise<string> {
  if (path.startsWith('file://')) return readFile(path.slice('file://'.length), 'utf8')
  const response = await fetch(path)
  if (!response.ok) throw new Error(`Could not read schema from HTTP, response status is ${response.status}`)
  return response.text()
}

const draft7 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/

export const jsonSchemaProcessor: Plugin<'processor'> = {
  spec: {
    name: 'json_schema',
    kind: 'processor',
    status: 'stable',
    categories: ['Mapping'],
    summary:
      'Checks messages against a provided JSONSchema definition but does not change the payload under any circumstances. If a message does not match the schema it can be caught using error handling methods.',
    description:
      "Validation is done with Ajv (JSON schema draft-07); error texts follow the wording of Bento's validator for the common keywords.",
    fields: [
      field.string('schema', {
        optional: true,
        description: 'A schema to apply. Use either this or the `schema_path` field.',
      }),
      field.string('schema_path', {
        optional: true,
        description: 'The path of a schema document to apply. Use either this or the `schema` field.',
      }),
    ],
  },
  async create(config: { schema?: string; schema_path?: string }, context) {
    let text: string
    if (config.schema_path !== undefined && config.schema_path !== '') {
      if (!config.schema_path.startsWith('file://') && !config.schema_path.startsWith('http://')) {
        throw new Error('invalid schema_path provided, must start with file:// or http://')
      }
      try {
        text = await loadSchema(config.schema_path)
      } catch (err) {
        throw new Error(`failed to load JSON schema definition: ${errorOf(err).message}`)
      }
    } else if (config.schema !== undefined && config.schema !== '') {
      text = config.schema
    } else {
      throw new Error('either schema or schema_path must be provided')
    }
    let validate: ValidateFunction
    try {
      const schema = JSON.parse(text) as Record<string, unknown>
      // Other drafts are read as draft-07 (Ajv knows one draft per instance).
      if (
        typeof schema === 'object' &&
        schema !== null &&
        typeof schema.$schema === 'string' &&
        !draft7.test(schema.$schema)
      ) {
        delete schema.$schema
      }
      const ajv = addFormats(new Ajv({ allErrors: true, strict: false, verbose: true }))
      validate = ajv.compile(schema)
    } catch (err) {
      throw new Error(`failed to load JSON schema definition: ${errorOf(err).message}`)
    }
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        for (const m of batch) {
          let doc: unknown
          try {
            doc = JSON.parse(m.text())
          } catch (err) {
            logger.debug(`Failed to parse part into json: ${errorOf(err).message}`)
            fail(m, err)
            continue
          }
          if (!validate(doc)) {
            logger.debug('The document is not valid')
            fail(m, new Error((validate.errors ?? []).map(describeSchemaError).join('\n')))
          }
        }
        return [batch]
      },
    }
  },
}
