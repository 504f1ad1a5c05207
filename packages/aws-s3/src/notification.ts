// Reading S3 event notifications: which bucket and keys an SQS message names, found by Bento's
// dot paths (`Records.*.s3.object.key`, with `*` for every element).
/** The segments of a dot path; `~1` stands for a dot inside a name and `~0` for a tilde. */
const segmentsOf = (path: string): string[] =>
  path === '' ? [] : path.split('.').map((s) => s.replaceAll('~1', '.').replaceAll('~0', '~'))

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

/** What a dot path reaches in a JSON value: `*` fans out over arrays and objects. */
function dig(value: unknown, segments: readonly string[]): unknown[] {
  if (segments.length === 0) return [value]
  const [head, ...rest] = segments as [string, ...string[]]
  if (head === '*') {
    if (Array.isArray(value)) return value.flatMap((v) => dig(v, rest))
    if (isObject(value)) return Object.values(value).flatMap((v) => dig(v, rest))
    return []
  }
  if (Array.isArray(value)) {
    const index = /^\d+$/.test(head) ? Number(head) : Number.NaN
    return index < value.length ? dig(value[index], rest) : []
  }
  if (isObject(value) && Object.hasOwn(value, head)) return dig(value[head], rest)
  return []
}

/** Every string a path reaches, arrays searched all the way down, in order. */
export function stringsAt(value: unknown, path: string): string[] {
  const out: string[] = []
  const collect = (v: unknown): void => {
    if (typeof v === 'string') out.push(v)
    else if (Array.isArray(v)) for (const e of v) collect(e)
  }
  for (const found of dig(value, segmentsOf(path))) collect(found)
  return out
}

export interface NotificationPaths {
  key_path: string
  bucket_path: string
  envelope_path: string
}

/** Go's url.QueryUnescape: `+` is a space, `%XX` a byte. S3 events carry keys encoded this way. */
export function queryUnescape(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    throw new Error(`invalid URL escape in ${JSON.stringify(text)}`)
  }
}

/**
 * The objects an SQS message body names. The envelope (SNS → SQS) holds the event as a JSON
 * string; the n-th key goes with the n-th bucket, or `defaultBucket` when there are fewer.
 */
export function objectsOf(
  body: string,
  paths: NotificationPaths,
  defaultBucket: string,
): { bucket: string; key: string }[] {
  let event: unknown
  try {
    event = JSON.parse(body)
  } catch (err) {
    throw new Error(`failed to parse SQS message: ${(err as Error).message}`)
  }
  if (paths.envelope_path !== '') {
    const inner = dig(event, segmentsOf(paths.envelope_path))[0]
    if (typeof inner !== 'string') {
      throw new Error(`expected a string at envelope path ${paths.envelope_path}, found ${typeof inner}`)
    }
    try {
      event = JSON.parse(inner)
    } catch (err) {
      throw new Error(`failed to parse enveloped message: ${(err as Error).message}`)
    }
  }
  const keys = stringsAt(event, paths.key_path)
  const buckets = paths.bucket_path === '' ? [] : stringsAt(event, paths.bucket_path)
  return keys.map((key, i) => {
    const bucket = buckets[i] ?? defaultBucket
    if (bucket === '') throw new Error('required bucket was not found in SQS message')
    return { bucket, key: queryUnescape(key) }
  })
}
