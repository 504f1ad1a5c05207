import { expect, test } from 'vitest'
import { recordingInput, recordingOutput, testEnvironment } from './components/io/testkit.ts'

test('input processors that split a batch send each part on its own; the read acks once all did', async () => {
  const source = recordingInput(['a'])
  const sink = recordingOutput()
  const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { out: sink.output } })
  const stream = await start(`
input:
  test_in: src
  processors:
    - mapping: 'root = "x\\ny\\nz"'
    - unarchive: { format: lines }
    - split: { size: 1 }
pipeline:
  processors:
    - mapping: 'root = "%s of %v".format(content().string(), batch_size())'
output: { test_out: out }
`)
  await stream.done
  expect(sink.written).toEqual([['x of 1'], ['y of 1'], ['z of 1']])
  expect(source.acks).toEqual([{ id: 'a', error: undefined }])
})

test('a part that fails nacks the read it came from', async () => {
  const source = recordingInput(['a'])
  const sink = recordingOutput({ failAlways: 'down' })
  const { start } = testEnvironment({ inputs: { src: source.input }, outputs: { out: sink.output } })
  const stream = await start(`
input:
  test_in: src
  processors:
    - mapping: 'root = "x\\ny"'
    - unarchive: { format: lines }
    - split: { size: 1 }
output: { test_out: out }
`)
  await stream.done
  expect(source.acks).toEqual([{ id: 'a', error: 'down' }])
})
