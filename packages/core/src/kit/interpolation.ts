// Interpolated config fields (`${! expr }`) as every component reads them: parsed once when the
// component is built (a bad expression is a FieldError naming the field), rendered per message
// with errors that name the field the same way everywhere.
import { FieldError } from '../component.ts'
import { type BatchView, Interpolated } from '../components/processors/util.ts'

export interface FieldInterpolation {
  /** the field's path in the component's config (`topic`, `headers.X-Id`) */
  readonly field: string
  readonly source: string
  readonly isStatic: boolean
  /** Renders for message `index`; throws `<field> interpolation error: …`. */
  text(view: BatchView, index: number): string
  bytes(view: BatchView, index: number): Uint8Array
}

/** Parses an interpolated field; throws a FieldError for a bad expression. */
export function interpolation(field: string, source: string): FieldInterpolation {
  let parsed: Interpolated
  try {
    parsed = new Interpolated(source)
  } catch (err) {
    throw new FieldError(field, `failed to parse interpolation: ${(err as Error).message}`, { cause: err })
  }
  const failed = (err: unknown): Error =>
    new Error(`${field} interpolation error: ${(err as Error).message}`, { cause: err })
  return {
    field,
    source,
    isStatic: parsed.isStatic,
    text(view, index) {
      try {
        return parsed.text(view, index)
      } catch (err) {
        throw failed(err)
      }
    },
    bytes(view, index) {
      try {
        return parsed.bytes(view, index)
      } catch (err) {
        throw failed(err)
      }
    },
  }
}

/** Every value of a map field parsed as an interpolation (`headers`, `metadata`…). */
export function interpolationMap(
  field: string,
  values: Record<string, string>,
): [string, FieldInterpolation][] {
  return Object.entries(values).map(([key, source]) => [key, interpolation(`${field}.${key}`, source)])
}
