import { globSync } from 'node:fs'
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises'
import { dirname, normalize } from 'node:path'
import { type Interpolation, parseInterpolation } from '@bento-ts/bloblang'
import { EndOfInput, type Input, type Output, type Plugin } from '../../component.ts'
import type { Logger } from '../../logger.ts'
import type { Batch, Message } from '../../message.ts'
import { autoReplayNacks } from '../../replay.ts'
import { field } from '../../spec.ts'
import {
  ByteReader,
  codecFields,
  type ScannerConfig,
  type ScannerCreator,
  type ScannerStream,
  SourceAcks,
  scannerFromConfig,
} from './scanner.ts'

// ---------------------------------------------------------------------------------------------
// file input

interface FileInputConfig extends ScannerConfig {
  paths: string[]
  delete_on_finish: boolean
  auto_replay_nacks: boolean
}

const hasGlobMeta = (path: string): boolean => /[*?[\\]/.test(path)

/** Bento's path expansion: globs (with `**`) expanded in order, plain paths kept even when absent. */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = []
  const seen = new Set<string>()
  for (const path of paths) {
    const matches = hasGlobMeta(path) ? globSync(path).sort() : []
    for (const m of matches) {
      if (!seen.has(m)) {
        seen.add(m)
        out.push(m)
      }
    }
    if (matches.length === 0 && !hasGlobMeta(path) && !seen.has(path)) {
      seen.add(path)
      out.push(path)
    }
  }
  return out
}

/** Go's time.RFC3339 of a UTC time: whole seconds, `Z`. */
const rfc3339 = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`

interface OpenFile {
  path: string
  scanner: ScannerStream
  acks: SourceAcks
  modTimeUnix: number
  modTime: string
}

export function fileInput(config: FileInputConfig, logger: Logger): Input {
  const creator: ScannerCreator = scannerFromConfig(config)
  let paths = expandPaths(config.paths)
  let current: OpenFile | undefined

  const openNext = async (): Promise<OpenFile> => {
    const path = paths[0]!
    const handle = await open(path, 'r')
    let modTime = new Date(0)
    try {
      modTime = (await handle.stat()).mtime
    } catch {
      logger.error(`Failed to read metadata from file '${path}'`)
    }
    const scanner = creator.create(new ByteReader(handle.createReadStream()))
    const acks = new SourceAcks(async (error) => {
      if (error === undefined && config.delete_on_finish) await unlink(path)
    })
    // As Bento: the path is only dropped from the list once it was opened.
    paths = paths.slice(1)
    logger.debug(`Consuming from file '${path}'`)
    return {
      path,
      scanner,
      acks,
      modTimeUnix: Math.floor(modTime.getTime() / 1000),
      modTime: rfc3339(modTime),
    }
  }

  const closeCurrent = async (finished: boolean): Promise<void> => {
    const file = current
    current = undefined
    if (file === undefined) return
    await file.scanner.close()
    await file.acks
      .close(finished)
      .catch((err: Error) => logger.error(`Failed to acknowledge file: ${err.message}`))
  }

  return {
    connect: async () => {},
    async read(signal) {
      for (;;) {
        if (current === undefined) {
          if (paths.length === 0) throw new EndOfInput()
          current = await openNext()
        }
        const file = current
        let batch: Batch | undefined
        try {
          batch = await file.scanner.next(signal)
        } catch (err) {
          if (signal.aborted) throw err
          await file.acks.fail(err as Error).catch(() => {})
          await closeCurrent(false)
          throw err
        }
        if (batch === undefined) {
          await closeCurrent(true)
          continue
        }
        for (const message of batch) {
          message.metadata.set('path', file.path)
          message.metadata.set('mod_time_unix', file.modTimeUnix)
          message.metadata.set('mod_time', file.modTime)
        }
        return { batch, ack: file.acks.track() }
      }
    },
    async close() {
      await closeCurrent(false)
      paths = []
    },
  }
}

export const fileInputPlugin: Plugin<'input'> = {
  spec: {
    name: 'file',
    kind: 'input',
    status: 'stable',
    categories: ['Local'],
    summary: 'Consumes data from files on disk, emitting messages according to a chosen codec.',
    description:
      'Adds the metadata `path`, `mod_time_unix` and `mod_time` (RFC3339) to each message. With `delete_on_finish` a file is deleted once it was read to its end and every message from it was acknowledged without error.',
    fields: [
      field.array('paths', 'string', {
        description:
          'A list of paths to consume sequentially. Glob patterns are supported, including super globs (double star).',
      }),
      ...codecFields('lines'),
      field.bool('delete_on_finish', {
        default: false,
        advanced: true,
        description: 'Whether to delete input files from the disk once they are fully consumed.',
      }),
      field.bool('auto_replay_nacks', {
        default: true,
        description:
          'Whether messages that are rejected (nacked) at the output level should be automatically replayed indefinitely, eventually resulting in back pressure if the cause of the rejections is persistent. If set to `false` these messages will instead be deleted.',
      }),
    ],
  },
  create(config: FileInputConfig, context) {
    return autoReplayNacks(fileInput(config, context.logger), config.auto_replay_nacks)
  },
}

// ---------------------------------------------------------------------------------------------
// file output

export interface WriterCodec {
  /** what follows each message unless it already ends with it; undefined: nothing */
  suffix: Uint8Array | undefined
  /** keep the file open and append; otherwise each message replaces the file */
  append: boolean
}

/** Bento's writer codecs: `lines`, `append`, `all-bytes`, `delim:x`. */
export function writerCodec(codec: string): WriterCodec {
  switch (codec) {
    case 'all-bytes':
      return { suffix: undefined, append: false }
    case 'append':
      return { suffix: undefined, append: true }
    case 'lines':
      return { suffix: Buffer.from('\n'), append: true }
  }
  if (codec.startsWith('delim:')) {
    const delimiter = codec.slice('delim:'.length)
    if (delimiter === '') throw new Error('custom delimiter codec requires a non-empty delimiter')
    return { suffix: Buffer.from(delimiter), append: true }
  }
  throw new Error(`codec was not recognised: ${codec}`)
}

const endsWith = (data: Uint8Array, suffix: Uint8Array): boolean =>
  data.length >= suffix.length &&
  Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    .subarray(data.length - suffix.length)
    .equals(suffix)

/** The bytes a codec writes for one message. */
export function encodeWith(codec: WriterCodec, data: Uint8Array): Uint8Array {
  if (codec.suffix === undefined || endsWith(data, codec.suffix)) return data
  return Buffer.concat([data, codec.suffix])
}

const cleanPath = (path: string): string => {
  const p = normalize(path)
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p
}

const toInput = (m: Message) => ({
  content: m.bytes(),
  metadata: m.metadata,
  error: m.error?.message ?? null,
})

interface FileOutputConfig {
  path: string
  codec: string
}

/** Writes messages to the (interpolated) path; one file is open at a time, as in Bento. */
export function fileOutput(config: FileOutputConfig): Output {
  const codec = writerCodec(config.codec)
  const path: Interpolation = parseInterpolation(config.path)
  let handle: FileHandle | undefined
  let handlePath = ''
  return {
    connect: async () => {},
    maxInFlight: 1,
    async write(batch, signal) {
      const inputs = batch.length > 1 ? batch.map(toInput) : undefined
      for (let i = 0; i < batch.length; i++) {
        signal.throwIfAborted()
        const message = batch[i]!
        let target: string
        try {
          target = cleanPath(
            inputs === undefined
              ? path.render(toInput(message))
              : path.render(undefined, { batch: inputs, index: i }),
          )
        } catch (err) {
          throw new Error(`path interpolation error: ${(err as Error).message}`)
        }
        const bytes = encodeWith(codec, message.bytes())
        if (handle !== undefined && target === handlePath) {
          await handle.write(bytes)
          continue
        }
        if (handle !== undefined) {
          const old = handle
          handle = undefined
          await old.close()
        }
        await mkdir(dirname(target), { recursive: true })
        const file = await open(target, codec.append ? 'a' : 'w')
        handlePath = target
        try {
          await file.write(bytes)
        } catch (err) {
          await file.close()
          throw err
        }
        if (codec.append) handle = file
        else await file.close()
      }
    },
    async close() {
      const old = handle
      handle = undefined
      await old?.close()
    },
  }
}

export const fileOutputPlugin: Plugin<'output'> = {
  spec: {
    name: 'file',
    kind: 'output',
    status: 'stable',
    categories: ['Local'],
    summary: 'Writes messages to files on disk based on a chosen codec.',
    description:
      'Messages can be written to different files by using interpolation functions in the path field. However, only one file is ever open at a given time, and therefore when the path changes the previously open file is closed.',
    fields: [
      field.interpolated('path', {
        description: 'The file to write to, if the file does not yet exist it will be created.',
        examples: ['/tmp/data.txt', '/tmp/${! timestamp_unix() }.txt', '/tmp/${! json("document.id") }.json'],
      }),
      field.string('codec', {
        default: 'lines',
        description:
          'The way in which the bytes of messages should be written out into the output data stream: `all-bytes` (each message replaces the file), `append` (no delimiter), `lines` (a line break after each message) or `delim:x` (a custom delimiter).',
        examples: ['lines', 'delim:\t', 'delim:foobar'],
      }),
    ],
  },
  create: (config: FileOutputConfig) => fileOutput(config),
}
