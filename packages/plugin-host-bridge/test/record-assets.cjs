// NODE_OPTIONS="--require …/record-assets.cjs": the names of the single executable's assets the
// process read (node:sea getAsset), written as a JSON list to $RECORD_ASSETS when it exits. The
// executable keeps each connector package in an asset of its own, read on first use.
const { writeFileSync } = require('node:fs')
const sea = require('node:sea')

const out = process.env.RECORD_ASSETS
if (out === undefined) throw new Error('record-assets: set RECORD_ASSETS to the file to write')
const read = []
const getAsset = sea.getAsset
sea.getAsset = (name, ...rest) => {
  read.push(name)
  return getAsset(name, ...rest)
}
process.on('exit', () => writeFileSync(out, JSON.stringify(read)))
