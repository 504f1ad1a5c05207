// `node --import ./record-modules.ts …`: writes the URL of every module the process loaded (ES
// modules and CommonJS alike) to the file $RECORD_MODULES names, as a JSON list, when it exits.
// The lazy-loading tests read it to see which packages a command imported.
import { writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'

const out = process.env.RECORD_MODULES
if (out === undefined) throw new Error('record-modules: set RECORD_MODULES to the file to write')
const loaded = new Set<string>()
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url)
    return nextLoad(url, context)
  },
})
process.on('exit', () => writeFileSync(out, JSON.stringify([...loaded])))
