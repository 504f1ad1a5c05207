// compress and decompress, with Bento's algorithm names.

import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib'
import * as lz4 from 'lz4js'
import Bunzip from 'seek-bzip'
import * as snappy from 'snappyjs'
import type { Plugin } from '../../component.ts'
import type { Batch } from '../../message.ts'
import { field } from '../../spec.ts'
import { errorOf, fail } from './util.ts'

type Compress = (level: number, b: Uint8Array) => Uint8Array
type Decompress = (b: Uint8Array) => Uint8Array

const asBytes = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

function zlibLevel(name: string, level: number): number {
  if (level < -1 || level > 9) throw new Error(`${name}: invalid compression level: ${level}`)
  return level
}

const gzip: Compress = (level, b) => asBytes(gzipSync(b, { level: zlibLevel('gzip', level) }))

/** Compression algorithms by Bento's names; pgzip writes and reads plain gzip. */
export const compressors: Record<string, Compress> = {
  flate: (level, b) => {
    if (level < -2 || level > 9)
      throw new Error(`flate: invalid compression level ${level}: want value in range [-2, 9]`)
    return asBytes(deflateRawSync(b, level === -2 ? { level: 0, strategy: 2 } : { level }))
  },
  gzip,
  lz4: (_level, b) => lz4.compress(b),
  pgzip: gzip,
  snappy: (_level, b) => snappy.compress(b),
  zlib: (level, b) => asBytes(deflateSync(b, { level: zlibLevel('zlib', level) })),
}

export const decompressors: Record<string, Decompress> = {
  bzip2: (b) => Bunzip.decode(b, undefined, true),
  flate: (b) => asBytes(inflateRawSync(b)),
  gzip: (b) => asBytes(gunzipSync(b)),
  lz4: (b) => lz4.decompress(b),
  pgzip: (b) => asBytes(gunzipSync(b)),
  snappy: (b) => snappy.uncompress(b),
  zlib: (b) => asBytes(inflateSync(b)),
}

export const compressProcessor: Plugin<'processor'> = {
  spec: {
    name: 'compress',
    kind: 'processor',
    status: 'stable',
    categories: ['Parsing'],
    summary: `Compresses messages according to the selected algorithm. Supported compression algorithms are: [${Object.keys(compressors).join(' ')}]`,
    description: 'The compression level of lz4 and snappy is not adjustable here.',
    fields: [
      field.string('algorithm', {
        options: Object.keys(compressors),
        description: 'The compression algorithm to use.',
      }),
      field.int('level', {
        default: -1,
        description: 'The level of compression to use. May not be applicable to all algorithms.',
      }),
    ],
  },
  create(config: { algorithm: string; level: number }, context) {
    const compress = compressors[config.algorithm]
    if (compress === undefined) throw new Error(`compression type not recognised: ${config.algorithm}`)
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        for (const m of batch) {
          try {
            m.setBytes(compress(config.level, m.bytes()))
          } catch (err) {
            logger.error(`Failed to compress message: ${errorOf(err).message}`)
            fail(m, err)
          }
        }
        return [batch]
      },
    }
  },
}

export const decompressProcessor: Plugin<'processor'> = {
  spec: {
    name: 'decompress',
    kind: 'processor',
    status: 'stable',
    categories: ['Parsing'],
    summary: `Decompresses messages according to the selected algorithm. Supported decompression algorithms are: [${Object.keys(decompressors).join(' ')}]`,
    fields: [
      field.string('algorithm', {
        options: Object.keys(decompressors),
        description: 'The decompression algorithm to use.',
      }),
    ],
  },
  create(config: { algorithm: string }, context) {
    const decompress = decompressors[config.algorithm]
    if (decompress === undefined) throw new Error(`decompression type not recognised: ${config.algorithm}`)
    const logger = context.logger
    return {
      process(batch: Batch): Batch[] {
        for (const m of batch) {
          try {
            m.setBytes(decompress(m.bytes()))
          } catch (err) {
            logger.error(`Failed to decompress message part: ${errorOf(err).message}`)
            fail(m, err)
          }
        }
        return [batch]
      },
    }
  },
}
