// YAML methods (Bento's parse_yaml / format_yaml, gopkg.in/yaml.v3 semantics; see ../yaml.ts).

import { typeError, wrapErr } from '../errors.ts'
import { type MethodSpec, simpleMethod } from '../registry.ts'
import { bytesToString, stringToBytes } from '../value.ts'
import { formatYAML, parseYAML } from '../yaml.ts'

export const yamlMethods: MethodSpec[] = [
  simpleMethod('parse_yaml', {}, () => (v) => {
    let text: string
    if (typeof v === 'string') text = v
    else if (v instanceof Uint8Array) text = bytesToString(v)
    else throw typeError(v, ['string'])
    try {
      return parseYAML(text)
    } catch (e) {
      throw wrapErr('failed to parse value as YAML', e)
    }
  }),
  simpleMethod('format_yaml', {}, () => (v) => stringToBytes(formatYAML(v))),
]
