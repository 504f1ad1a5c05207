// grok: named regular expressions (`%{PATTERN:name:type}`) that turn a line into an object.
// No maintained grok library for JS runs without native code, so the expansion is ours; the
// default patterns are the common base of the Logstash set that Bento's library ships.

import { readFileSync } from 'node:fs'
import { float64, int64, type Value } from '@bento-ts/bloblang'
import type { Plugin } from '../../component.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { fail } from './util.ts'

export const defaultPatterns: Record<string, string> = {
  USERNAME: '[a-zA-Z0-9._-]+',
  USER: '%{USERNAME}',
  EMAILLOCALPART: '[a-zA-Z][a-zA-Z0-9_.+-=:]+',
  EMAILADDRESS: '%{EMAILLOCALPART}@%{HOSTNAME}',
  INT: '(?:[+-]?(?:[0-9]+))',
  BASE10NUM: '(?:[+-]?(?:(?:[0-9]+(?:\\.[0-9]+)?)|(?:\\.[0-9]+)))',
  NUMBER: '(?:%{BASE10NUM})',
  BASE16NUM: '(?:0[xX]?[0-9a-fA-F]+)',
  POSINT: '\\b(?:[1-9][0-9]*)\\b',
  NONNEGINT: '\\b(?:[0-9]+)\\b',
  WORD: '\\b\\w+\\b',
  NOTSPACE: '\\S+',
  SPACE: '\\s*',
  DATA: '.*?',
  GREEDYDATA: '.*',
  QUOTEDSTRING: '"(?:[^"\\\\]*(?:\\\\.[^"\\\\]*)*)"|\'(?:[^\'\\\\]*(?:\\\\.[^\'\\\\]*)*)\'',
  UUID: '[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}',
  MAC: '(?:(?:[A-Fa-f0-9]{2}[:-]){5}[A-Fa-f0-9]{2}|(?:[A-Fa-f0-9]{4}\\.){2}[A-Fa-f0-9]{4})',
  IPV4: '(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])',
  IPV6: '(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%[0-9A-Za-z]+)?',
  IP: '(?:%{IPV6}|%{IPV4})',
  HOSTNAME: '\\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\\.?|\\b)',
  HOST: '%{HOSTNAME}',
  IPORHOST: '(?:%{IP}|%{HOSTNAME})',
  HOSTPORT: '%{IPORHOST}:%{POSINT}',
  UNIXPATH: '(?:/[\\w_%!$@:.,+~-]*)+',
  PATH: '(?:%{UNIXPATH})',
  URIPROTO: '[A-Za-z]+(?:\\+[A-Za-z+]+)?',
  URIHOST: '%{IPORHOST}(?::%{POSINT})?',
  URIPATH: "(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\\-]*)+",
  URIPARAM: "\\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\\-\\[\\]<>]*",
  URIPATHPARAM: '%{URIPATH}(?:%{URIPARAM})?',
  URI: '%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?',
  MONTH:
    '\\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|[Jj]un(?:e|i)?|[Jj]ul(?:y)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\\b',
  MONTHNUM: '(?:0?[1-9]|1[0-2])',
  MONTHDAY: '(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])',
  DAY: '(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)',
  YEAR: '(?:\\d\\d){1,2}',
  HOUR: '(?:2[0123]|[01]?[0-9])',
  MINUTE: '(?:[0-5][0-9])',
  SECOND: '(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)',
  TIME: '%{HOUR}:%{MINUTE}(?::%{SECOND})',
  DATE_US: '%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}',
  DATE_EU: '%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}',
  ISO8601_TIMEZONE: '(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))',
  ISO8601_SECOND: '(?:%{SECOND}|60)',
  TIMESTAMP_ISO8601:
    '%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?',
  DATE: '%{DATE_US}|%{DATE_EU}',
  DATESTAMP: '%{DATE}[- ]%{TIME}',
  TZ: '(?:[PMCE][SD]T|UTC)',
  SYSLOGTIMESTAMP: '%{MONTH} +%{MONTHDAY} %{TIME}',
  PROG: '[\\x21-\\x5a\\x5c\\x5e-\\x7e]+',
  SYSLOGPROG: '%{PROG:program}(?:\\[%{POSINT:pid}\\])?',
  SYSLOGHOST: '%{IPORHOST}',
  HTTPDATE: '%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}',
  LOGLEVEL:
    '(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)',
  COMMONAPACHELOG:
    '%{IPORHOST:clientip} %{USER:ident} %{USER:auth} \\[%{HTTPDATE:timestamp}\\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-)',
  COMBINEDAPACHELOG: '%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}',
  QS: '%{QUOTEDSTRING}',
}

interface Capture {
  name: string
  type: string
}

/** A grok expression compiled to a JS regular expression, with what each group is. */
export interface Compiled {
  regex: RegExp
  groups: Map<string, Capture>
}

const reference = /%\{(\w+)(?::([\w.@[\]-]+))?(?::(int|float|string))?\}/g

export function compileGrok(
  expression: string,
  patterns: Record<string, string>,
  namedOnly: boolean,
): Compiled {
  const groups = new Map<string, Capture>()
  const expand = (text: string, seen: readonly string[]): string =>
    text.replace(reference, (_all, pattern: string, name: string | undefined, type: string | undefined) => {
      const definition = patterns[pattern]
      if (definition === undefined) throw new Error(`no pattern found for %{${pattern}}`)
      if (seen.includes(pattern)) throw new Error(`pattern %{${pattern}} refers to itself`)
      const body = expand(definition, [...seen, pattern])
      const captured = name ?? (namedOnly ? undefined : pattern)
      if (captured === undefined) return `(?:${body})`
      const group = `g${groups.size}`
      groups.set(group, { name: captured, type: type ?? 'string' })
      return `(?<${group}>${body})`
    })
  const source = expand(expression, []).replace(/\(\?P</g, '(?<')
  try {
    return { regex: new RegExp(source, 'u'), groups }
  } catch {
    return { regex: new RegExp(source), groups }
  }
}

function typed(text: string, type: string): Value {
  if (type === 'int' && /^[+-]?\d+$/.test(text)) return int64(BigInt(text))
  if (type === 'float' && text.trim() !== '' && Number.isFinite(Number(text))) return float64(Number(text))
  return text
}

interface GrokConfig {
  expressions: string[]
  pattern_definitions: Record<string, string>
  pattern_paths: string[]
  named_captures_only: boolean
  use_default_patterns: boolean
  remove_empty_values: boolean
}

/** `NAME definition` lines of a pattern file; `#` comments and blank lines skipped. */
function patternFile(path: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = line.match(/^\s*(\w+)\s+(.*?)\s*$/)
    if (m !== null && !line.trimStart().startsWith('#')) out[m[1]!] = m[2]!
  }
  return out
}

export const grokProcessor: Plugin<'processor'> = {
  spec: {
    name: 'grok',
    kind: 'processor',
    status: 'stable',
    categories: ['Parsing'],
    summary:
      'Parses messages into a structured format by attempting to apply a list of Grok expressions, the first expression to result in at least one value replaces the original message with a JSON object containing the values.',
    description:
      'Type hints within patterns are respected, therefore with the pattern `%{WORD:first},%{INT:second:int}` and a payload of `foo,1` the resulting payload would be `{"first":"foo","second":1}`. A message no expression matches is flagged.',
    fields: [
      field.array('expressions', 'string', {
        description:
          'One or more Grok expressions to attempt against incoming messages. The first expression to match at least one value will be used to form a result.',
      }),
      field.map('pattern_definitions', 'string', {
        default: {},
        description: 'A map of pattern definitions that can be referenced within `patterns`.',
      }),
      field.array('pattern_paths', 'string', {
        default: [],
        description: 'A list of paths to load Grok patterns from.',
      }),
      field.bool('named_captures_only', {
        default: true,
        description: 'Whether to only capture values from named patterns.',
      }),
      field.bool('use_default_patterns', {
        default: true,
        description: 'Whether to use a default set of patterns.',
      }),
      field.bool('remove_empty_values', {
        default: true,
        description: 'Whether to remove values that are empty from the resulting structure.',
      }),
    ],
  },
  create(config: GrokConfig) {
    const patterns: Record<string, string> = {
      ...(config.use_default_patterns ? defaultPatterns : {}),
      ...Object.assign({}, ...config.pattern_paths.map(patternFile)),
      ...config.pattern_definitions,
    }
    const compiled = config.expressions.map((e) => compileGrok(e, patterns, config.named_captures_only))
    return {
      process(batch: Batch): Batch[] {
        for (const m of batch) {
          const text = m.text()
          let result: Record<string, Value> | undefined
          for (const { regex, groups } of compiled) {
            const match = regex.exec(text)
            if (match === null) continue
            const values: [string, Value][] = []
            for (const [group, capture] of groups) {
              const value = match.groups?.[group]
              if (value === undefined || (config.remove_empty_values && value === '')) continue
              values.push([capture.name, typed(value, capture.type)])
            }
            if (values.length === 0) continue
            values.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            result = Object.fromEntries(values)
            break
          }
          if (result === undefined) fail(m, new Error('no pattern matches found'))
          else m.setStructured(result)
        }
        return [batch]
      },
    }
  },
}
