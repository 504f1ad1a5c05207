// The fixed-width tables every side-by-side benchmark prints: first column left-aligned, the
// rest right-aligned; counts get thousands separators.

/** key of the row, column title, width */
export type Column<R> = readonly [keyof R & string, string, number]

export interface TableOptions<R> {
  /** keys whose numbers print with thousands separators (default: `messages`) */
  grouped?: readonly (keyof R & string)[]
  /** a line printed under a row, e.g. a note */
  after?: (row: R) => string | undefined
}

export function printTable<R extends object>(
  rows: readonly R[],
  columns: readonly Column<R>[],
  o: TableOptions<R> = {},
): void {
  const grouped = new Set<string>(o.grouped ?? ['messages'])
  const cell = (text: string, width: number, first: boolean) =>
    first ? text.padEnd(width) : text.padStart(width)
  console.log(columns.map(([, title, w], i) => cell(title, w, i === 0)).join(' '))
  for (const row of rows) {
    const values = row as Record<string, unknown>
    console.log(
      columns
        .map(([key, , w], i) => {
          const v = values[key]
          const text = typeof v === 'number' && grouped.has(key) ? v.toLocaleString('en') : String(v)
          return cell(text, w, i === 0)
        })
        .join(' '),
    )
    const after = o.after?.(row)
    if (after !== undefined) console.log(after)
  }
}
