// The plugin executable (apps/plugin/src/main.ts) driven over the wire exactly as the workflow
// host drives it: go-plugin env and handshake, housekeeping services, then PluginService RPCs.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '@bento-ts/test-services'
import { create, fromJson, type JsonValue } from '@bufbuild/protobuf'
import { anyPack, anyUnpack } from '@bufbuild/protobuf/wkt'
import * as grpc from '@grpc/grpc-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HealthCheckResponse_ServingStatus } from '../src/gen/grpc/health/v1/health_pb.ts'
import {
  ProcessorStepConfigSchema,
  ProcessorStepInputSchema,
  ProcessorStepOutputSchema,
  StreamModuleConfigSchema,
} from '../src/gen/workflow/plugin/bento/v1/bento_pb.ts'
import { ContractMode } from '../src/gen/workflow/plugin/v1/plugin_pb.ts'
import { notAPluginHostMessage } from '../src/goplugin.ts'
import {
  buildBridge,
  callbackServer,
  hostEnv,
  launch,
  type Plugin,
  pluginMain,
  start,
  within,
} from './host.ts'

beforeAll(() => buildBridge())

describe('workflow-plugin-bento over the wire', () => {
  let p: Plugin
  let callback: Awaited<ReturnType<typeof callbackServer>>
  const logs: string[] = []

  beforeAll(async () => {
    p = await launch()
    callback = await callbackServer({
      log: (request) => {
        logs.push(request.message)
        return {}
      },
    })
  })
  afterAll(() => {
    p.child.kill('SIGKILL')
    p.close()
    callback.stop()
  })

  it('prints the 7-field handshake and listens on a private Unix socket', () => {
    console.info(`handshake after ${p.handshakeMs.toFixed(0)} ms: ${p.handshake}`)
    expect(p.fields).toHaveLength(7)
    const [core, app, network, address, protocol, cert, mux] = p.fields
    expect([core, app, network, protocol, cert, mux]).toEqual(['1', '1', 'unix', 'grpc', '', 'false'])
    expect(address).toMatch(/\/plugin[0-9]+$/)
    const st = statSync(address!)
    expect(st.isSocket()).toBe(true)
    expect(st.mode & 0o777).toBe(0o600)
    expect(p.stdout()).toBe(`${p.handshake}\n`)
  })

  it('answers the go-plugin health check', async () => {
    expect((await p.health.check({ service: 'plugin' })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    )
    expect((await p.health.check({ service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING)
    await expect(p.health.check({ service: 'other' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND })
  })

  it('keeps stdio open and ignores SIGINT', async () => {
    const stdio = p.stdio.streamStdio({})
    stdio.on('error', () => {})
    p.child.kill('SIGINT')
    await new Promise((r) => setTimeout(r, 100))
    expect((await p.health.check({ service: 'plugin' })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    )
    expect(p.child.exitCode).toBeNull()
  })

  it('reaches the host callback service through the broker (ConfigureCallback)', async () => {
    const stream = p.broker.startStream()
    stream.on('error', () => {})
    expect((await p.plugin.configureCallback({ brokerId: 0 })).error).toBe('callback broker id is required')
    // The announcement may come after the RPC: the plugin waits for it.
    const configured = p.plugin.configureCallback({ brokerId: 1 })
    setTimeout(() => stream.write({ serviceId: 1, network: 'unix', address: callback.address }), 100)
    expect((await configured).error).toBe('')
  })

  it('describes itself as plugin.json does', async () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'apps', 'plugin', 'plugin.json'), 'utf8'))
    const m = await p.plugin.getManifest({})
    expect({ name: m.name, version: m.version, author: m.author, description: m.description }).toEqual({
      name: manifest.name,
      version: manifest.version,
      author: manifest.author,
      description: manifest.description,
    })
    expect(m.version).toMatch(/^v?[0-9]+\.[0-9]+\.[0-9]+$/)
    expect((await p.plugin.getModuleTypes({})).types).toEqual(manifest.moduleTypes)
    expect((await p.plugin.getStepTypes({})).types).toEqual(manifest.stepTypes)
    expect((await p.plugin.getTriggerTypes({})).types).toEqual(manifest.triggerTypes)
    const schemas = (await p.plugin.getModuleSchemas({})).schemas
    expect(schemas.map((s) => s.type).sort()).toEqual([...manifest.moduleTypes, ...manifest.stepTypes].sort())
    // STRICT_PROTO for every type plugin.json advertises, the contracts plugin.json lists
    const registry = await p.plugin.getContractRegistry({})
    expect(
      registry.contracts.map((c) => ({
        kind: ['', 'module', 'step', '', 'trigger'][c.kind],
        type: c.moduleType || c.stepType || c.triggerType,
        mode: c.mode === ContractMode.STRICT_PROTO ? 'strict_proto' : c.mode,
        config: c.configMessage,
        ...(c.inputMessage === '' ? {} : { input: c.inputMessage }),
        ...(c.outputMessage === '' ? {} : { output: c.outputMessage }),
      })),
    ).toEqual(manifest.contracts)
    expect(registry.fileDescriptorSet?.file.map((f) => f.name)).toEqual([
      'google/protobuf/struct.proto',
      'workflow/plugin/bento/v1/bento.proto',
    ])
  })

  describe('typed contracts (STRICT_PROTO), as a host that reads them calls', () => {
    const typedStep = (processors: JsonValue) =>
      anyPack(ProcessorStepConfigSchema, fromJson(ProcessorStepConfigSchema, { processors }))

    it('step.bento: typed_config and typed_input in, typed_output {result} out', async () => {
      const config = typedStep([{ mapping: 'root.sum = this.a + this.b' }])
      const created = await p.plugin.createStep({ type: 'step.bento', name: 'typed', typedConfig: config })
      expect(created.error).toBe('')
      // the host sends trigger_data as a Struct and current's `data` as typed_input
      const input = anyPack(ProcessorStepInputSchema, create(ProcessorStepInputSchema, { data: { b: 3 } }))
      const executed = await p.plugin.executeStep({
        handleId: created.handleId,
        triggerData: { a: 2, b: 100 },
        typedConfig: config,
        typedInput: input,
      })
      expect(executed.error).toBe('')
      expect(executed.output).toBeUndefined()
      expect(anyUnpack(executed.typedOutput!, ProcessorStepOutputSchema)?.result).toEqual({ sum: 5 })
      // the same step called the legacy way answers the Struct output, as before
      const legacy = await p.plugin.executeStep({ handleId: created.handleId, current: { a: 1, b: 1 } })
      expect(legacy).toMatchObject({ error: '', output: { sum: 2 } })
      expect(legacy.typedOutput).toBeUndefined()
    })

    it('step.bento: a Go-plugin config (processors as a YAML string) works typed', async () => {
      const config = typedStep("mapping: 'root.output = this.input.uppercase()'")
      const created = await p.plugin.createStep({ type: 'step.bento', name: 'go-style', typedConfig: config })
      const executed = await p.plugin.executeStep({
        handleId: created.handleId,
        triggerData: { input: 'hello' },
        typedConfig: config,
      })
      expect(anyUnpack(executed.typedOutput!, ProcessorStepOutputSchema)?.result).toEqual({ output: 'HELLO' })
    })

    it('modules: typed_config is the module config; errors name the module as before', async () => {
      const stream = anyPack(
        StreamModuleConfigSchema,
        fromJson(StreamModuleConfigSchema, {
          input: { generate: { mapping: 'root = {}', count: 1, interval: '' } },
          output: { no_such_output: {} },
          shutdown_timeout: '1s',
        }),
      )
      const created = await p.plugin.createModule({
        type: 'bento.stream',
        name: 'typed',
        typedConfig: stream,
      })
      expect(created.error).toBe('')
      expect((await p.plugin.initModule({ handleId: created.handleId })).error).toMatch(
        /^bento\.stream "typed": output\.no_such_output/,
      )
      const wrong = await p.plugin.createModule({ type: 'bento.input', name: 'wrong', typedConfig: stream })
      expect(wrong.error).toBe(
        'bento.input typed_config: typed payload is type.googleapis.com/workflow.plugin.bento.v1.StreamModuleConfig, want workflow.plugin.bento.v1.InputModuleConfig',
      )
    })
  })

  describe('step.bento', () => {
    const run = async (config: object, current: object, triggerData: object = {}) => {
      const created = await p.plugin.createStep({ type: 'step.bento', name: 's', config: config as never })
      expect(created.error).toBe('')
      return p.plugin.executeStep({
        handleId: created.handleId,
        current: current as never,
        triggerData: triggerData as never,
      })
    }

    it('takes processors as a string, a map or a list', async () => {
      const asString = await run(
        { processors: "mapping: 'root.output = this.input.uppercase()'" },
        { input: 'hello' },
      )
      expect(asString).toMatchObject({ error: '', output: { output: 'HELLO' } })
      const asMap = await run(
        { processors: { mapping: 'root = this\nroot.computed = this.a + this.b' } },
        { a: 5, b: 3 },
      )
      expect(asMap.output).toEqual({ a: 5, b: 3, computed: 8 })
      const asList = await run(
        {
          processors: [
            { mapping: 'root.step1 = this.input.uppercase()' },
            { mapping: 'root.step2 = this.step1 + " PROCESSED"' },
          ],
        },
        { input: 'hello' },
      )
      expect(asList.output).toEqual({ step2: 'HELLO PROCESSED' })
      const yamlList = await run({ processors: '- mapping: root.a = 1\n- mapping: root.b = this.a + 1' }, {})
      expect(yamlList.output).toEqual({ b: 2 })
    })

    it('merges trigger data and current data, current winning; no processors passes it through', async () => {
      const r = await run({}, { current: 'data', both: 'current' }, { trigger: 'value', both: 'trigger' })
      expect(r.output).toEqual({ trigger: 'value', current: 'data', both: 'current' })
    })

    it('returns {} at once for a dropped message, {"output": …} for a non-object', async () => {
      const t0 = performance.now()
      const dropped = await run({ processors: "mapping: 'root = deleted()'" }, { x: 1 })
      expect(performance.now() - t0).toBeLessThan(1000)
      expect(dropped).toMatchObject({ error: '' })
      expect(dropped.output).toEqual({})
      const text = await run({ processors: 'mapping: \'root = "plain text output"\'' }, {})
      expect(text.output).toEqual({ output: 'plain text output' })
      const list = await run({ processors: "mapping: 'root = [1, 2]'" }, {})
      expect(list.output).toEqual({ output: [1, 2] })
    })

    it('uses the config resolved for each execution', async () => {
      const created = await p.plugin.createStep({
        type: 'step.bento',
        name: 'templated',
        config: { processors: "mapping: 'root.v = 1'" },
      })
      const r = await p.plugin.executeStep({
        handleId: created.handleId,
        current: {},
        config: { processors: "mapping: 'root.v = 2'", _config_dir: '/tmp' },
      })
      expect(r.output).toEqual({ v: 2 })
    })

    it('names the step, the field and the problem', async () => {
      const bad = await p.plugin.createStep({
        type: 'step.bento',
        name: 'broken',
        config: { processors: "mapping: 'root = this.'" },
      })
      expect(bad.handleId).toBe('')
      expect(bad.error).toMatch(/^step\.bento "broken": processors\.0\.mapping: /)
      const unknown = await p.plugin.createStep({
        type: 'step.bento',
        name: 'typo',
        config: { processors: { mappin: 'root = this' } },
      })
      expect(unknown.error).toMatch(/^step\.bento "typo": processors\.0.*mappin.*mapping/)
      const wrongType = await p.plugin.createStep({
        type: 'step.bento',
        name: 'n',
        config: { processors: 123 },
      })
      expect(wrongType.error).toBe(
        'step.bento "n": processors: must be a YAML string, a map (one processor) or a list of processors, got the number 123',
      )
      const failing = await run({ processors: 'mapping: \'root = throw("boom")\'' }, {})
      expect(failing.error).toMatch(/^step\.bento "s": processor failed: .*boom/)
      expect((await p.plugin.createStep({ type: 'step.nope', name: 'x' })).error).toBe(
        'unknown step type: step.nope',
      )
      expect((await p.plugin.executeStep({ handleId: 'nope' })).error).toBe('unknown step handle: nope')
    })
  })

  describe('bento.stream', () => {
    const stream = {
      _config_dir: '/somewhere',
      input: { generate: { mapping: 'root = {"n": counter()}', count: 3, interval: '10ms' } },
      pipeline: { processors: [{ mapping: 'root.doubled = this.n * 2' }] },
      output: { drop: {} },
    }

    it('runs for the module, not for the RPC: create, init, start, stop', async () => {
      const created = await p.plugin.createModule({ type: 'bento.stream', name: 'demo', config: stream })
      expect(created.error).toBe('')
      expect((await p.plugin.initModule({ handleId: created.handleId })).error).toBe('')
      expect((await p.plugin.startModule({ handleId: created.handleId })).error).toBe('')
      await new Promise((r) => setTimeout(r, 100))
      expect((await p.plugin.stopModule({ handleId: created.handleId })).error).toBe('')
      expect((await p.plugin.destroyModule({ handleId: created.handleId })).error).toBe('')
      expect(p.stderr()).toMatch(/"@message":"stream started".*"module":"demo"/)
    })

    it('returns at once from Stop before Start', async () => {
      const created = await p.plugin.createModule({ type: 'bento.stream', name: 'idle', config: stream })
      const t0 = performance.now()
      expect((await p.plugin.stopModule({ handleId: created.handleId })).error).toBe('')
      expect(performance.now() - t0).toBeLessThan(200)
    })

    it('reports config problems at Init, naming the module and the field', async () => {
      const init = async (config: object) => {
        const { handleId } = await p.plugin.createModule({
          type: 'bento.stream',
          name: 'bad',
          config: config as never,
        })
        return (await p.plugin.initModule({ handleId })).error
      }
      expect(await init({})).toBe('bento.stream "bad": configuration is empty')
      expect(await init({ _config_dir: '/x' })).toBe('bento.stream "bad": configuration is empty')
      expect(await init({ input: stream.input })).toMatch(/^bento\.stream "bad": output is required/)
      expect(await init({ ...stream, input: { no_such_input: {} } })).toMatch(
        /^bento\.stream "bad": input\.no_such_input: unknown input type "no_such_input"/,
      )
    })

    it('answers other module types clearly', async () => {
      expect((await p.plugin.createModule({ type: 'nope', name: 'x' })).error).toBe(
        'unknown module type: nope',
      )
      for (const type of ['bento.input', 'bento.output', 'bento.broker']) {
        // Construction never fails for a known type (as in Go); the config is checked at Init.
        expect((await p.plugin.createModule({ type, name: 'x' })).error).toBe('')
      }
      expect((await p.plugin.startModule({ handleId: 'missing' })).error).toBe(
        'unknown module handle: missing',
      )
    })
  })

  it('shuts down on GRPCController.Shutdown within 2 s, removing its socket', async () => {
    const t0 = performance.now()
    await p.controller.shutdown({}).catch(() => {})
    const exit = await within(2000, p.exited, 'exit after Shutdown')
    console.info(`exited ${(performance.now() - t0).toFixed(0)} ms after Shutdown`)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(existsSync(p.fields[3]!)).toBe(false)
  })
})

describe('starting the executable', () => {
  it('refuses to serve without the magic cookie: exit 1 and go-plugin text', async () => {
    for (const cookie of [undefined, 'wrong']) {
      const s = start({ ...process.env, ...hostEnv, WORKFLOW_PLUGIN: cookie })
      expect(await within(10_000, s.exited, 'exit')).toEqual({ code: 1, signal: null })
      expect(s.stderr()).toBe(notAPluginHostMessage)
      expect(s.stdout()).toBe('')
    }
    expect(notAPluginHostMessage).toBe(
      'This binary is a plugin. These are not meant to be executed directly.\n' +
        'Please execute the program that consumes these plugins, which will\n' +
        'load any plugins automatically\n',
    )
  })

  it('advertises version 1 whatever versions the host lists, warning about bad entries', async () => {
    const p = await launch({ PLUGIN_PROTOCOL_VERSIONS: '2,x' })
    expect(p.fields[1]).toBe('1')
    expect(p.stderr()).toContain('server sent invalid plugin version "x"')
    await p.controller.shutdown({}).catch(() => {})
    await within(2000, p.exited, 'exit')
    p.close()
  })

  it('listens in PLUGIN_UNIX_SOCKET_DIR, and on TCP in the port range when a socket cannot be made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sock'))
    const inDir = await launch({ PLUGIN_UNIX_SOCKET_DIR: dir })
    expect(inDir.fields[3]!.startsWith(`${dir}/plugin`)).toBe(true)
    inDir.child.kill('SIGTERM')
    expect(await within(2000, inDir.exited, 'exit on SIGTERM')).toEqual({ code: 0, signal: null })
    expect(existsSync(inDir.fields[3]!)).toBe(false)
    inDir.close()

    const gid = process.getgid!()
    const grouped = await launch({ PLUGIN_UNIX_SOCKET_DIR: dir, PLUGIN_UNIX_SOCKET_GROUP: String(gid) })
    const st = statSync(grouped.fields[3]!)
    expect([st.mode & 0o777, st.gid]).toEqual([0o660, gid])
    grouped.child.kill('SIGTERM')
    await within(2000, grouped.exited, 'exit on SIGTERM')
    grouped.close()

    const tooLong = join(dir, 'x'.repeat(120))
    const tcp = await launch({
      PLUGIN_UNIX_SOCKET_DIR: tooLong,
      PLUGIN_MIN_PORT: '21000',
      PLUGIN_MAX_PORT: '21100',
    })
    expect(tcp.fields[2]).toBe('tcp')
    const port = Number(tcp.fields[3]!.split(':')[1])
    expect(tcp.fields[3]!.startsWith('127.0.0.1:')).toBe(true)
    expect(port).toBeGreaterThanOrEqual(21000)
    expect(port).toBeLessThanOrEqual(21100)
    expect((await tcp.health.check({ service: 'plugin' })).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    )
    await tcp.controller.shutdown({}).catch(() => {})
    await within(2000, tcp.exited, 'exit')
    tcp.close()
  })

  it('is still the CLI without the plugin environment', async () => {
    const env = { ...process.env }
    for (const k of Object.keys(hostEnv)) delete env[k]
    const s = start(env, ['list', 'processors', '--format', 'json'])
    expect(await within(10_000, s.exited, 'exit')).toEqual({ code: 0, signal: null })
    expect(JSON.parse(s.stdout()).processors).toContain('mapping')
  })
})

describe('an orphaned plugin', () => {
  it('exits when its host dies without Shutdown', async () => {
    // A throwaway "host" (sh) starts the plugin, prints its pid, and is killed.
    const env = { ...process.env, ...hostEnv }
    const sh = spawn('sh', ['-c', `"${process.execPath}" "${pluginMain}" & echo $!; wait`], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const pid = await new Promise<number>((resolve) =>
      sh.stdout.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim().split('\n')[0]))),
    )
    const alive = () => {
      try {
        process.kill(pid, 0)
        return true
      } catch {
        return false
      }
    }
    await new Promise((r) => setTimeout(r, 1500))
    expect(alive()).toBe(true)
    sh.kill('SIGKILL')
    const deadline = Date.now() + 5000
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    if (alive()) process.kill(pid, 'SIGKILL')
    expect(alive()).toBe(false)
  })
})
