// The page `blobl server` serves: input, mapping, output and metadata panes; every edit posts the
// mapping and input to /execute and shows the result, or the error with its line and column.
// Kept in a module (not an .html file) so the single-executable build carries it.
export const playgroundPage = (initial: { input: string; mapping: string }): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Bloblang playground · bento-ts</title>
<style>
  body { margin: 0; font-family: system-ui, sans-serif; background: #1d1f21; color: #ddd; }
  header { padding: .5rem 1rem; background: #111; font-weight: 600; }
  main { display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: 1fr 1fr; gap: .5rem; padding: .5rem; height: calc(100vh - 3rem); box-sizing: border-box; }
  section { display: flex; flex-direction: column; min-height: 0; }
  h2 { margin: 0 0 .25rem; font-size: .8rem; text-transform: uppercase; color: #999; }
  textarea, pre { flex: 1; margin: 0; padding: .5rem; font: 13px/1.4 ui-monospace, monospace; background: #282a2e; color: #eee; border: 1px solid #444; border-radius: 4px; resize: none; overflow: auto; white-space: pre-wrap; }
  pre.error { color: #ff8080; border-color: #a33; }
  #metadata { flex: 0 0 30%; margin-top: .5rem; }
</style>
</head>
<body>
<header>Bloblang playground</header>
<main>
  <section><h2>Input</h2><textarea id="input" spellcheck="false" aria-label="input"></textarea></section>
  <section><h2>Mapping</h2><textarea id="mapping" spellcheck="false" aria-label="mapping"></textarea></section>
  <section><h2>Output</h2><pre id="output" aria-label="output"></pre><h2>Metadata</h2><pre id="metadata" aria-label="metadata"></pre></section>
  <section><h2>Errors</h2><pre id="errors" aria-label="errors"></pre></section>
</main>
<script>
  const input = document.getElementById('input')
  const mapping = document.getElementById('mapping')
  const output = document.getElementById('output')
  const metadata = document.getElementById('metadata')
  const errors = document.getElementById('errors')
  input.value = ${JSON.stringify(initial.input).replaceAll('<', '\\u003c')}
  mapping.value = ${JSON.stringify(initial.mapping).replaceAll('<', '\\u003c')}
  let timer, sequence = 0
  async function execute() {
    const mine = ++sequence
    const response = await fetch('/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mapping: mapping.value, input: input.value }),
    })
    const result = await response.json()
    if (mine !== sequence) return // a newer edit is on its way
    const problem = result.parse_error ?? result.mapping_error
    errors.textContent = problem ?? ''
    errors.className = problem ? 'error' : ''
    output.textContent = result.result ?? ''
    metadata.textContent = result.metadata ? JSON.stringify(result.metadata, null, 2) : ''
    document.body.dataset.state = problem ? 'error' : 'ok'
  }
  const schedule = () => { clearTimeout(timer); timer = setTimeout(execute, 150) }
  input.addEventListener('input', schedule)
  mapping.addEventListener('input', schedule)
  execute()
</script>
</body>
</html>
`
