// The event bridge over the wire, with the plugin started as the host starts it: permissions from
// BENTO_PLUGIN_CONFIG refuse modules at Init, and known secrets never appear in anything the
// plugin prints or answers.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBridge, callbackServer, launch, type Plugin } from './host.ts'

beforeAll(() => buildBridge())

const work = mkdtempSync(join(tmpdir(), 'bento-bridge-'))
const config = join(work, 'plugin-config.yaml')
writeFileSync(config, 'events:\n  emit: ["orders.**", "audit.log"]\n  subscribe: ["orders.*"]\n')

// Known secrets: a credential header on messages, and what the host echoes back in an error.
const headerSecret = 'Bearer tok-SECRET-42xyz-77'

describe('event bridge over the wire', () => {
  let p: Plugin
  let callback: Awaited<ReturnType<typeof callbackServer>>
  const answers: string[] = []
  let refusals = 0

  beforeAll(async () => {
    p = await launch({ BENTO_PLUGIN_CONFIG: config, BENTO_PLUGIN_LOG_LEVEL: 'debug' })
    callback = await callbackServer({
      publishMessage: (r) => {
        // The host refuses the first two, quoting the credential header it saw.
        if (refusals < 2) {
          refusals++
          return { error: `rejected: header ${r.metadata.authorization} not allowed here` }
        }
        return { messageId: '1' }
      },
      subscribe: () => ({}),
      unsubscribe: () => ({}),
    })
    const stream = p.broker.startStream()
    stream.on('error', () => {})
    stream.write({ serviceId: 1, network: 'unix', address: callback.address })
    expect((await p.plugin.configureCallback({ brokerId: 1 })).error).toBe('')
  })
  afterAll(() => {
    p.child.kill('SIGKILL')
    p.close()
    callback.stop()
  })

  const create = async (type: string, name: string, cfg: object) => {
    const created = await p.plugin.createModule({ type, name, config: cfg as never })
    answers.push(created.error)
    expect(created.error).toBe('')
    return created.handleId
  }
  const init = async (handleId: string) => {
    const { error } = await p.plugin.initModule({ handleId })
    answers.push(error)
    return error
  }

  it('refuses a bento.input whose target_topic is outside events.emit, at Init', async () => {
    const denied = await create('bento.input', 'payments', {
      target_topic: 'payments.done',
      input: { generate: { mapping: 'root = {}', count: 1, interval: '' } },
    })
    expect(await init(denied)).toBe(
      'bento.input "payments": target_topic "payments.done" is outside the plugin\'s events.emit (orders.**, audit.log); add it there or pick an allowed topic',
    )
    const allowed = await create('bento.input', 'orders', {
      target_topic: 'orders.eu.created',
      input: { generate: { mapping: 'root = {}', count: 1, interval: '' } },
    })
    expect(await init(allowed)).toBe('')
  })

  it('refuses a bento.output whose source_topic is not inside events.subscribe, at Init', async () => {
    const wide = await create('bento.output', 'wide', { source_topic: 'orders.**', output: { drop: {} } })
    expect(await init(wide)).toContain(
      'source_topic "orders.**" is outside the plugin\'s events.subscribe (orders.*)',
    )
    const narrow = await create('bento.output', 'narrow', {
      source_topic: 'orders.created',
      output: { drop: {} },
    })
    expect(await init(narrow)).toBe('')
  })

  it('never prints or answers a known secret', async () => {
    const h = await create('bento.input', 'secretive', {
      target_topic: 'audit.log',
      input: {
        generate: {
          mapping: `root = {"n": counter()}\nmeta authorization = "${headerSecret}"`,
          interval: '50ms',
        },
      },
      processors: [{ log: { level: 'INFO', message: 'sending with ${! meta("authorization") }' } }],
    })
    expect(await init(h)).toBe('')
    const started = await p.plugin.startModule({ handleId: h })
    answers.push(started.error)
    const deadline = Date.now() + 10_000
    while (refusals < 2 || !p.stderr().includes('sending with')) {
      if (Date.now() > deadline) throw new Error(`no refusals/log lines: ${p.stderr().slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    // A step whose processor fails quoting the secret it saw in its input.
    const step = await p.plugin.createStep({
      type: 'step.bento',
      name: 'leaky',
      config: { processors: 'mapping: root = throw("denied for " + this.auth)' } as never,
    })
    answers.push(step.error)
    const executed = await p.plugin.executeStep({
      handleId: step.handleId,
      triggerData: { auth: headerSecret } as never,
    })
    answers.push(executed.error)
    expect(executed.error).toContain('denied for ******')
    answers.push((await p.plugin.stopModule({ handleId: h })).error)

    const everything = [p.stdout(), p.stderr(), ...answers].join('\n')
    for (const line of everything.split('\n')) if (line.includes('tok-SECRET')) console.error('LEAK:', line)
    expect(everything).not.toContain('tok-SECRET-42xyz-77')
    // and the masking did happen (the log line and the host's echo are there, masked)
    expect(p.stderr()).toContain('sending with ******')
    expect(p.stderr()).toContain('rejected: header ****** not allowed here')
  })

  it('masks the secret fields of every config: bento.stream, bento.broker, step.bento, the trigger', async () => {
    const secrets = {
      stream: 'pw-STREAM-7f3k2',
      broker: 'pw-BROKER-9d1m8',
      step: 'pw-STEP-4c6p0',
      trigger: 'pw-TRIGGER-2a5z9',
    }
    const basicAuth = (password: string) => ({ enabled: true, username: 'u', password })
    // bento.stream: the password of its http_client output; its pipeline logs that same text
    const stream = await create('bento.stream', 'stream-secret', {
      input: { generate: { mapping: 'root = {"n": counter()}', interval: '50ms' } },
      pipeline: { processors: [{ log: { level: 'INFO', message: `stream holds ${secrets.stream}` } }] },
      output: { http_client: { url: 'http://127.0.0.1:9/never', basic_auth: basicAuth(secrets.stream) } },
      shutdown_timeout: '1s',
    })
    expect(await init(stream)).toBe('')
    answers.push((await p.plugin.startModule({ handleId: stream })).error)
    // bento.broker: the password in transport_config, the transport component's secret field
    const broker = await create('bento.broker', 'broker-secret', {
      transport: 'http_client',
      transport_config: { url: 'http://127.0.0.1:9/{topic}', basic_auth: basicAuth(secrets.broker) },
    })
    expect(await init(broker)).toBe('')
    // step.bento: an http processor's password (the step is only created)
    const holder = await p.plugin.createStep({
      type: 'step.bento',
      name: 'holder',
      config: {
        processors: [{ http: { url: 'http://127.0.0.1:9/', basic_auth: basicAuth(secrets.step) } }],
      } as never,
    })
    answers.push(holder.error)
    expect(holder.error).toBe('')
    // the trigger: a kafka input's SASL password
    const trigger = await p.plugin.createTrigger({
      type: 'bento',
      name: 'pipeline:secret',
      config: {
        subscriptions: [
          {
            input: {
              kafka: {
                addresses: ['127.0.0.1:9'],
                topics: ['t'],
                consumer_group: 'g',
                sasl: { mechanism: 'PLAIN', user: 'u', password: secrets.trigger },
              },
            },
          },
        ],
      } as never,
    })
    answers.push(trigger.error)
    expect(trigger.error).toBe('')
    const deadline = Date.now() + 10_000
    while (!p.stderr().includes('stream holds')) {
      if (Date.now() > deadline) throw new Error(`no stream log line: ${p.stderr().slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
    // Each secret, quoted back by a failing step, comes back masked.
    const leaky = await p.plugin.createStep({
      type: 'step.bento',
      name: 'echo',
      config: { processors: 'mapping: root = throw("refused " + this.auth)' } as never,
    })
    for (const secret of Object.values(secrets)) {
      const executed = await p.plugin.executeStep({ handleId: leaky.handleId, triggerData: { auth: secret } })
      answers.push(executed.error)
      expect(executed.error).toContain('refused ******')
    }
    answers.push((await p.plugin.stopModule({ handleId: stream })).error)

    const everything = [p.stdout(), p.stderr(), ...answers].join('\n')
    for (const secret of Object.values(secrets)) {
      for (const line of everything.split('\n')) if (line.includes(secret)) console.error('LEAK:', line)
      expect(everything).not.toContain(secret)
    }
    expect(p.stderr()).toContain('stream holds ******')
  })
})
