import { globSync } from 'node:fs'
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises'
import { dirname, normalize } from 'node:path'
import { type Interpolation, parseInterpolation } from '@bento-ts/bloblang'
import { EndOfInput, type Input, type Output, parseField } from '../../component.ts'
import { defineInput, defineOutput } from '../../kit/declare.ts'
import { autoReplayNacksField } from '../../kit/fields.ts'
import type { Logger } from '../../logger.ts'
import type { Batch } from '../../message.ts'
import { autoReplayNacks } from '../../replay.ts'
import { type ConfigOf, field } from '../../spec.ts'
import { toInput } from '../processors/util.ts'
import {
  ByteReader,
  codecFields,
  type ScannerCreator,
  type ScannerStream,
  SourceAcks,
  scannerFromConfig,
} from './scanner.ts'

// ---------------------------------------------------------------------------------------------
// file input

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

const fileInputFields = [
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
  autoReplayNacksField(),
] as const

/** Reads the files one after another, each cut into messages by the scanner `creator` makes. */
export function fileInput(
  config: { paths: readonly string[]; delete_on_finish: boolean },
  logger: Logger,
  creator: ScannerCreator,
): Input {
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

export const fileInputPlugin = defineInput({
  name: 'file',
  status: 'stable',
  categories: ['Local'],
  summary: 'Consumes data from files on disk, emitting messages according to a chosen codec.',
  description:
    'Adds the metadata `path`, `mod_time_unix` and `mod_time` (RFC3339) to each message. With `delete_on_finish` a file is deleted once it was read to its end and every message from it was acknowledged without error.',
  fields: fileInputFields,
  create(config, context) {
    const creator = parseField(config.codec === undefined ? 'scanner' : 'codec', () =>
      scannerFromConfig(config),
    )
    return autoReplayNacks(fileInput(config, context.logger, creator), config.auto_replay_nacks)
  },
})

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

export const endsWith = (data: Uint8Array, suffix: Uint8Array): boolean =>
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

const emptyInput = { content: '' }

const fileOutputFields = [
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
] as const

/** One write call's messages, queued for the writer. */
interface FileJob {
  /** target path and payload of each message, in order */
  targets: string[]
  payloads: Uint8Array[]
  /** a path interpolation failed at message `targets.length`: written up to there, then failed */
  error: Error | undefined
  signal: AbortSignal
  failed: unknown
  resolve: () => void
  reject: (err: unknown) => void
}

/** How many bytes one write system call may carry at most. */
const maxWriteBytes = 4 << 20

/**
 * Writes messages to the (interpolated) path; one file is open at a time, as in Bento.
 *
 * Each write resolves once its messages are in the file. Writes queue in the order they were
 * made, and the queue is written by one writer: what queued while the previous system call ran
 * goes out together, messages for the same file in one write. So many writes may be in flight
 * (the order of the bytes is still the order of the calls) without a system call per message.
 */
export function fileOutput(config: ConfigOf<typeof fileOutputFields>): Output {
  const codec = parseField('codec', () => writerCodec(config.codec))
  const path: Interpolation = parseField('path', () => parseInterpolation(config.path))
  // A path without interpolations is the same for every message.
  const staticTarget = path.isStatic ? cleanPath(path.render(emptyInput)) : undefined
  let handle: FileHandle | undefined
  let handlePath = ''
  let queue: FileJob[] = []
  let pumping: Promise<void> | undefined

  const closeHandle = async (): Promise<void> => {
    const old = handle
    handle = undefined
    await old?.close()
  }

  const writeFully = async (file: FileHandle, data: Uint8Array): Promise<void> => {
    let offset = 0
    while (offset < data.length) {
      const { bytesWritten } = await file.write(data, offset, data.length - offset)
      offset += bytesWritten
    }
  }

  /** Appends `data` to `target`, keeping the file open for the next write. */
  const append = async (target: string, data: Uint8Array): Promise<void> => {
    if (handle === undefined || target !== handlePath) {
      await closeHandle()
      await mkdir(dirname(target), { recursive: true })
      handle = await open(target, 'a')
      handlePath = target
    }
    try {
      await writeFully(handle, data)
    } catch (err) {
      await closeHandle().catch(() => {})
      throw err
    }
  }

  /** Replaces `target` with `data` (the `all-bytes` codec). */
  const replace = async (target: string, data: Uint8Array): Promise<void> => {
    await mkdir(dirname(target), { recursive: true })
    const file = await open(target, 'w')
    handlePath = target
    try {
      await writeFully(file, data)
    } finally {
      await file.close()
    }
  }

  const writeJobs = async (jobs: FileJob[]): Promise<void> => {
    // Runs of messages for one file, across jobs, each written with one call.
    let runTarget = ''
    let runParts: Uint8Array[] = []
    let runBytes = 0
    let runJobs = new Set<FileJob>()
    const flushRun = async (): Promise<void> => {
      if (runParts.length === 0) return
      const data = runParts.length === 1 ? runParts[0]! : Buffer.concat(runParts, runBytes)
      const involved = runJobs
      runParts = []
      runBytes = 0
      runJobs = new Set()
      try {
        await append(runTarget, data)
      } catch (err) {
        for (const job of involved) job.failed ??= err
      }
    }
    for (const job of jobs) {
      for (let i = 0; i < job.targets.length; i++) {
        if (job.failed !== undefined) break
        if (job.signal.aborted) {
          job.failed = job.signal.reason
          break
        }
        const target = job.targets[i]!
        const payload = job.payloads[i]!
        if (!codec.append) {
          await flushRun()
          try {
            await replace(target, encodeWith(codec, payload))
          } catch (err) {
            job.failed = err
          }
          continue
        }
        if (target !== runTarget || runBytes >= maxWriteBytes) {
          await flushRun()
          runTarget = target
        }
        runParts.push(payload)
        runBytes += payload.length
        if (codec.suffix !== undefined && !endsWith(payload, codec.suffix)) {
          runParts.push(codec.suffix)
          runBytes += codec.suffix.length
        }
        runJobs.add(job)
      }
      if (job.failed === undefined && job.error !== undefined) {
        // Bento writes the messages before the failing one; so do we, then fail the write.
        await flushRun()
        job.failed ??= job.error
      }
    }
    await flushRun()
    for (const job of jobs) {
      if (job.failed === undefined) job.resolve()
      else job.reject(job.failed)
    }
  }

  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const jobs = queue
      queue = []
      await writeJobs(jobs)
    }
    pumping = undefined
  }

  return {
    connect: async () => {},
    // Writes queue in order and go out together: see above.
    maxInFlight: 64,
    write(batch, signal) {
      if (signal.aborted) return Promise.reject(signal.reason)
      const inputs = staticTarget === undefined && batch.length > 1 ? batch.map(toInput) : undefined
      const targets: string[] = []
      const payloads: Uint8Array[] = []
      let error: Error | undefined
      for (let i = 0; i < batch.length; i++) {
        const message = batch[i]!
        let target: string
        try {
          target =
            staticTarget ??
            cleanPath(
              inputs === undefined
                ? path.render(toInput(message))
                : path.render(undefined, { batch: inputs, index: i }),
            )
        } catch (err) {
          error = new Error(`path interpolation error: ${(err as Error).message}`)
          break
        }
        targets.push(target)
        payloads.push(message.bytes())
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ targets, payloads, error, signal, failed: undefined, resolve, reject })
        pumping ??= pump()
      })
    },
    async close() {
      await pumping
      await closeHandle()
    },
  }
}

export const fileOutputPlugin = defineOutput({
  name: 'file',
  status: 'stable',
  categories: ['Local'],
  summary: 'Writes messages to files on disk based on a chosen codec.',
  description:
    'Messages can be written to different files by using interpolation functions in the path field. However, only one file is ever open at a given time, and therefore when the path changes the previously open file is closed.',
  fields: fileOutputFields,
  create: (config) => fileOutput(config),
})
