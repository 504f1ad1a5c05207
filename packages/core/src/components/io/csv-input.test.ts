import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { recordingOutput, testEnvironment } from './testkit.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function csvFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'csv-input-'))
  dirs.push(dir)
  const path = join(dir, 'in.csv')
  writeFileSync(path, text)
  return path
}

async function rows(input: string): Promise<string[]> {
  const sink = recordingOutput()
  const { start } = testEnvironment({ outputs: { out: sink.output } })
  const stream = await start(`
input: { csv: ${input} }
pipeline:
  processors: [ { mapping: 'root = [this, @header, batch_size(), @path.filepath_split().index(-1)]' } ]
output: { test_out: out }
`)
  await stream.done
  return sink.messages()
}

test('the csv input reads rows as objects keyed by the header, in batches of batch_count', async () => {
  const path = csvFile('a,b\n1,2\n3\n4,5,6\n7,8\n')
  expect(await rows(`{ paths: [ ${path} ], batch_count: 3 }`)).toEqual([
    '[{"a":"1","b":"2"},["a","b"],3,"in.csv"]',
    '[{"a":"3"},["a","b"],3,"in.csv"]',
    '[["4","5","6"],null,3,"in.csv"]',
    '[{"a":"7","b":"8"},["a","b"],1,"in.csv"]',
  ])
  expect(await rows(`{ paths: [ ${path} ], parse_header_row: false }`)).toEqual([
    '[["a","b"],null,1,"in.csv"]',
    '[["1","2"],null,1,"in.csv"]',
    '[["3"],null,1,"in.csv"]',
    '[["4","5","6"],null,1,"in.csv"]',
    '[["7","8"],null,1,"in.csv"]',
  ])
})

test('the csv input refuses bad settings at start', async () => {
  const { start } = testEnvironment({ outputs: { out: recordingOutput().output } })
  const path = csvFile('a\n')
  await expect(
    start(`input: { csv: { paths: [ ${path} ], delimiter: ";;" } }\noutput: { test_out: out }`),
  ).rejects.toThrow('delimiter value must be exactly one character')
  await expect(
    start(`input: { csv: { paths: [ ${join(path, '..', '*.none')} ] } }\noutput: { test_out: out }`),
  ).rejects.toThrow('requires at least one input file path')
})
