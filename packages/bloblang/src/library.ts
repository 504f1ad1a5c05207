// The standard library: every built-in function and method registered in one environment.

import { coreFunctions } from './functions/core.ts'
import { extraFunctions } from './functions/extra.ts'
import { encodingMethods } from './methods/encoding.ts'
import { extraMethods } from './methods/extra.ts'
import { generalMethods } from './methods/general.ts'
import { jwtMethods } from './methods/jwt.ts'
import { numberMethods } from './methods/numbers.ts'
import { stringMethods } from './methods/strings.ts'
import { structuredMethods } from './methods/structured.ts'
import { timeMethods } from './methods/time.ts'
import { xmlMethods } from './methods/xml.ts'
import { yamlMethods } from './methods/yaml.ts'
import { Environment } from './registry.ts'

export function standardEnvironment(): Environment {
  const env = new Environment()
  for (const f of [...coreFunctions, ...extraFunctions]) env.registerFunction(f)
  for (const m of [
    ...generalMethods,
    ...stringMethods,
    ...numberMethods,
    ...structuredMethods,
    ...encodingMethods,
    ...timeMethods,
    ...yamlMethods,
    ...extraMethods,
    ...xmlMethods,
    ...jwtMethods,
  ]) {
    env.registerMethod(m)
  }
  // Hidden aliases Bento keeps for old mappings.
  for (const [alias, target] of [
    ['replace', 'replace_all'],
    ['re_replace', 're_replace_all'],
  ] as const) {
    const spec = env.methods.get(target)
    if (spec) env.registerMethod({ ...spec, name: alias })
  }
  return env
}
