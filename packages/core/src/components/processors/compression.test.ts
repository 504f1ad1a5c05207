import { describe, expect, test } from 'vitest'
import type { Message } from '../../message.ts'
import { batchOf, buildProcessor, run, texts } from './testkit.ts'

const text = 'hello hello hello hello compression '.repeat(20)

describe('compress and decompress', () => {
  for (const algorithm of ['gzip', 'pgzip', 'zlib', 'flate', 'snappy', 'lz4']) {
    test(`${algorithm} round trip`, async () => {
      const compress = await buildProcessor({
        compress: { algorithm, level: algorithm === 'flate' ? 9 : -1 },
      })
      const decompress = await buildProcessor({ decompress: { algorithm } })
      const compressed = await run(compress, batchOf(text, ''))
      expect(compressed[0]![0]!.bytes().length).toBeLessThan(text.length)
      expect(texts(await run(decompress, compressed[0]!))).toEqual([[text, '']])
    })
  }

  test('gzip output is a gzip stream; bzip2 decompresses', async () => {
    const [[gz]] = (await run(await buildProcessor({ compress: { algorithm: 'gzip' } }), batchOf('x'))) as [
      [Message],
    ]
    expect(Array.from(gz.bytes().subarray(0, 2))).toEqual([0x1f, 0x8b])
    // "hello\n" compressed with bzip2 -9
    const bz = Buffer.from('QlpoOTFBWSZTWcHAgOIAAAFBAAAQAkSgADDNAMNGKZcXckU4UJDBwIDi', 'base64')
    const batch = batchOf('')
    batch[0]!.setBytes(new Uint8Array(bz))
    expect(texts(await run(await buildProcessor({ decompress: { algorithm: 'bzip2' } }), batch))).toEqual([
      ['hello\n'],
    ])
  })

  test('failures flag the message; bad levels fail; unknown algorithms are config errors', async () => {
    const [[m]] = (await run(
      await buildProcessor({ decompress: { algorithm: 'gzip' } }),
      batchOf('plain'),
    )) as [[Message]]
    expect(m.error).toBeDefined()
    expect(m.text()).toBe('plain')
    const [[lvl]] = (await run(
      await buildProcessor({ compress: { algorithm: 'gzip', level: 12 } }),
      batchOf('x'),
    )) as [[Message]]
    expect(lvl.error?.message).toBe('gzip: invalid compression level: 12')
    await expect(buildProcessor({ compress: { algorithm: 'bzip2' } })).rejects.toThrow(/is not one of/)
  })
})
