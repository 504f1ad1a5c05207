import { type Document, isScalar, visit } from 'yaml'

/**
 * A `|` or `>` block scalar that ends the file without a line break has no trailing newline in
 * Go's YAML (what Bento reads configs with); the `yaml` package adds one. This takes it off again,
 * so `content_equals: |` as a config's last line compares as Bento compares it.
 */
export function clipFinalBlockScalar(doc: Document, text: string): void {
  if (text.endsWith('\n') || text.endsWith('\r')) return
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED')) return
      const [start, end] = node.range ?? [0, 0]
      if (end < text.length || typeof node.value !== 'string') return
      // the header: `|`, `>`, optionally an indentation digit; `-` strips and `+` keeps already
      if (/^[|>][0-9]?(\s|#|$)/.test(text.slice(start))) node.value = node.value.replace(/\n$/, '')
      return visit.BREAK
    },
  })
}
