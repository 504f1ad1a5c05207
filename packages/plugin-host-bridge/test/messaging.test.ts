// bento.input, bento.output, bento.broker and the bento trigger over the wire: the test plays the
// host, with an EngineCallbackService of its own that records PublishMessage, Subscribe,
// Unsubscribe and TriggerWorkflow, and can refuse them.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '@bento-ts/test-services'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBridge, callbackServer, launch, type Plugin, within } from './host.ts'

beforeAll(() => buildBridge())

interface Published {
  handleId: string
  topic: string
  payload: string
  metadata: Record<string, string>
}
interface Triggered {
  triggerType: string
  action: string
  data: Record<string, unknown>
}

const decoder = new TextDecoder()

describe('messaging types over the wire', () => {
  let p: Plugin
  let callback: Awaited<ReturnType<typeof callbackServer>>
  const published: Published[] = []
  const subscribed: { handleId: string; topic: string; brokerName: string }[] = []
  const unsubscribed: { handleId: string; topic: string }[] = []
  const triggered: Triggered[] = []
  /** how many of the next calls to refuse */
  const refuse = { publish: 0, trigger: 0, subscribe: 0 }
  const work = mkdtempSync(join(tmpdir(), 'bento-msg'))

  beforeAll(async () => {
    p = await launch()
    callback = await callbackServer({
      publishMessage: (r) => {
        if (refuse.publish > 0) {
          refuse.publish--
          return { error: 'broker unavailable' }
        }
        published.push({
          handleId: r.handleId,
          topic: r.topic,
          payload: decoder.decode(r.payload),
          metadata: { ...r.metadata },
        })
        return { messageId: String(published.length) }
      },
      subscribe: (r) => {
        if (refuse.subscribe > 0) {
          refuse.subscribe--
          return { error: 'message subscribe handler not configured' }
        }
        subscribed.push({ handleId: r.handleId, topic: r.topic, brokerName: r.brokerName })
        return {}
      },
      unsubscribe: (r) => {
        unsubscribed.push({ handleId: r.handleId, topic: r.topic })
        return {}
      },
      triggerWorkflow: (r) => {
        if (refuse.trigger > 0) {
          refuse.trigger--
          return { error: 'pipeline failed' }
        }
        triggered.push({
          triggerType: r.triggerType,
          action: r.action,
          data: (r.data ?? {}) as Record<string, unknown>,
        })
        return {}
      },
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

  const module = async (type: string, name: string, config: object) => {
    const created = await p.plugin.createModule({ type, name, config: config as never })
    expect(created.error).toBe('')
    return created.handleId
  }

  describe('bento.input', () => {
    it('publishes every message to target_topic, with its metadata', async () => {
      const h = await module('bento.input', 'events', {
        _config_dir: work,
        target_topic: 'orders',
        input: {
          generate: { mapping: 'root = {"n": counter()}\nmeta kind = "test"', count: 3, interval: '' },
        },
        processors: [{ mapping: 'root.doubled = this.n * 2' }],
      })
      expect((await p.plugin.initModule({ handleId: h })).error).toBe('')
      expect((await p.plugin.startModule({ handleId: h })).error).toBe('')
      const mine = () => published.filter((m) => m.handleId === h)
      await eventually(() => (mine().length >= 3 ? true : undefined), {
        what: '3 publishes',
        timeoutMs: 5000,
      })
      expect(mine().map((m) => [m.topic, JSON.parse(m.payload), m.metadata.kind])).toEqual([
        ['orders', { doubled: 2 }, 'test'],
        ['orders', { doubled: 4 }, 'test'],
        ['orders', { doubled: 6 }, 'test'],
      ])
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
    })

    it('nacks a message the host refused, so the input delivers it again', async () => {
      refuse.publish = 2
      // An endless input: a finite one ends before its nacked message is replayed (see the README).
      const h = await module('bento.input', 'retrying', {
        target_topic: 'retries',
        input: { generate: { mapping: 'root = {"n": counter()}', interval: '20ms' } },
      })
      expect((await p.plugin.startModule({ handleId: h })).error).toBe('')
      const mine = () => published.filter((m) => m.handleId === h)
      await eventually(() => (mine().length >= 3 ? true : undefined), {
        what: '3 publishes after 2 refusals',
        timeoutMs: 5000,
      })
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
      expect(refuse.publish).toBe(0)
      // The refused messages came again (pipeline threads may reorder them), none twice.
      const ns = mine().map((m) => JSON.parse(m.payload).n as number)
      expect(ns).toContain(1)
      expect(ns).toContain(2)
      expect(new Set(ns).size).toBe(ns.length)
      expect(p.stderr()).toContain('publish failed; the message will be retried or redelivered')
    })

    it('checks its config at Init, naming the module and the field', async () => {
      const init = async (config: object) =>
        (await p.plugin.initModule({ handleId: await module('bento.input', 'bad', config) })).error
      const input = { generate: { mapping: 'root = {}' } }
      expect(await init({ input })).toBe('bento.input "bad": target_topic is required')
      expect(await init({ input, target_topic: ' ' })).toBe('bento.input "bad": target_topic is required')
      expect(await init({ target_topic: 't' })).toBe('bento.input "bad": input configuration is required')
      expect(await init({ target_topic: 't', input: 'not-a-map' })).toBe(
        'bento.input "bad": input config must be a map',
      )
      expect(await init({ target_topic: 't', input: { nope: {} } })).toMatch(
        /^bento\.input "bad": input\.nope: unknown input type "nope"/,
      )
      expect(await init({ target_topic: 't', input, target_broker: 'b' })).toBe('')
    })

    it('returns at once from Stop before Start', async () => {
      const h = await module('bento.input', 'idle', {
        target_topic: 't',
        input: { generate: { mapping: '' } },
      })
      const t0 = performance.now()
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
      expect(performance.now() - t0).toBeLessThan(200)
    })
  })

  describe('bento.output', () => {
    it('subscribes at Start and acknowledges a delivery once the output wrote it', async () => {
      const path = join(work, 'out.jsonl')
      const h = await module('bento.output', 'sink', {
        source_topic: 'orders',
        source_broker: 'main',
        processors: 'mapping: |\n  root = this\n  root.seen = true\n',
        output: { file: { path, codec: 'lines' } },
      })
      expect((await p.plugin.initModule({ handleId: h })).error).toBe('')
      expect((await p.plugin.startModule({ handleId: h })).error).toBe('')
      expect(subscribed).toContainEqual({ handleId: h, topic: 'orders', brokerName: 'main' })
      for (const n of [1, 2]) {
        const r = await p.plugin.deliverMessage({
          handleId: h,
          topic: 'orders',
          payload: new TextEncoder().encode(JSON.stringify({ n })),
          messageId: `m${n}`,
          metadata: { source: 'test' },
        })
        expect(r).toMatchObject({ error: '', acknowledged: true })
        // The ack means written: the line is in the file when DeliverMessage answers.
        expect(readFileSync(path, 'utf8').trim().split('\n').at(-1)).toBe(`{"n":${n},"seen":true}`)
      }
      const other = await p.plugin.deliverMessage({ handleId: h, topic: 'other', payload: new Uint8Array() })
      expect(other).toMatchObject({
        error: `no message handler for handle ${h} topic other`,
        acknowledged: false,
      })
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
      expect(unsubscribed).toContainEqual({ handleId: h, topic: 'orders' })
      const late = await p.plugin.deliverMessage({
        handleId: h,
        topic: 'orders',
        payload: new Uint8Array([1]),
      })
      expect(late.acknowledged).toBe(false)
    })

    it('does not acknowledge a message the output failed to write', async () => {
      const h = await module('bento.output', 'failing', {
        source_topic: 'bad',
        output: { reject: 'no thanks' },
      })
      expect((await p.plugin.startModule({ handleId: h })).error).toBe('')
      const r = await within(
        5000,
        p.plugin.deliverMessage({ handleId: h, topic: 'bad', payload: new TextEncoder().encode('{"n":7}') }),
        'DeliverMessage',
      )
      expect(r.acknowledged).toBe(false)
      expect(r.error).toContain('no thanks')
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
    })

    it('fails Start when the host refuses the subscription, leaving nothing running', async () => {
      refuse.subscribe = 1
      const h = await module('bento.output', 'refused', { source_topic: 't', output: { drop: {} } })
      expect((await p.plugin.startModule({ handleId: h })).error).toBe(
        'bento.output "refused": subscribe to topic "t": message subscribe handler not configured',
      )
      const r = await p.plugin.deliverMessage({ handleId: h, topic: 't', payload: new Uint8Array([1]) })
      expect(r.acknowledged).toBe(false)
    })

    it('checks its config at Init', async () => {
      const init = async (config: object) =>
        (await p.plugin.initModule({ handleId: await module('bento.output', 'bad', config) })).error
      expect(await init({ output: { drop: {} } })).toBe('bento.output "bad": source_topic is required')
      expect(await init({ source_topic: 't' })).toBe('bento.output "bad": output configuration is required')
      expect(await init({ source_topic: 't', output: 'x' })).toBe(
        'bento.output "bad": output config must be a map',
      )
    })
  })

  describe('bento.broker', () => {
    it('with the default (memory) transport, publishes back what is delivered to a topic', async () => {
      const h = await module('bento.broker', 'mem', {})
      expect((await p.plugin.initModule({ handleId: h })).error).toBe('')
      expect((await p.plugin.startModule({ handleId: h })).error).toBe('')
      const r = await within(
        5000,
        p.plugin.deliverMessage({
          handleId: h,
          topic: 'jobs',
          payload: new TextEncoder().encode('{"job":1}'),
          metadata: { k: 'v' },
        }),
        'DeliverMessage',
      )
      expect(r).toMatchObject({ error: '', acknowledged: true })
      expect(published.filter((m) => m.handleId === h)).toEqual([
        { handleId: h, topic: 'jobs', payload: '{"job":1}', metadata: { k: 'v' } },
      ])
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
    })

    it('runs a consuming stream per configured topic over another transport', async () => {
      const h = await module('bento.broker', 'gen', {
        transport: 'generate',
        transport_config: { mapping: 'root = {"topic": "{topic}"}', count: 1, interval: '' },
        topics: ['a', 'b'],
      })
      expect((await p.plugin.startModule({ handleId: h })).error).toBe('')
      const mine = () => published.filter((m) => m.handleId === h)
      await eventually(() => (mine().length >= 2 ? true : undefined), {
        what: '2 publishes',
        timeoutMs: 5000,
      })
      expect(
        mine()
          .map((m) => [m.topic, m.payload])
          .sort(),
      ).toEqual([
        ['a', '{"topic":"a"}'],
        ['b', '{"topic":"b"}'],
      ])
      // generate has no output: nothing can be produced through it.
      const r = await p.plugin.deliverMessage({ handleId: h, topic: 'a', payload: new Uint8Array([1]) })
      expect(r.error).toBe(
        'bento.broker "gen": transport "generate" has no output: cannot produce to topic "a"',
      )
      expect((await p.plugin.stopModule({ handleId: h })).error).toBe('')
      expect(
        (await p.plugin.initModule({ handleId: await module('bento.broker', 'x', { transport: 'nope' }) }))
          .error,
      ).toBe('bento.broker "x": transport "nope" is neither a Bento input nor an output')
    })
  })

  describe('trigger bento', () => {
    it('calls TriggerWorkflow per message, as the trigger workflow type, with action and workflow', async () => {
      const created = await p.plugin.createTrigger({
        type: 'bento',
        name: 'pipeline:ingest',
        config: {
          workflowType: 'pipeline:ingest',
          subscriptions: [
            {
              input: { generate: { mapping: 'root = {"n": counter()}', count: 2, interval: '' } },
              workflow: 'ingest',
              action: 'process',
            },
          ],
        },
      })
      expect(created.error).toBe('')
      expect((await p.plugin.initModule({ handleId: created.handleId })).error).toBe('')
      expect((await p.plugin.startModule({ handleId: created.handleId })).error).toBe('')
      const mine = () => triggered.filter((t) => t.triggerType === 'pipeline:ingest')
      await eventually(() => (mine().length >= 2 ? true : undefined), { what: '2 triggers', timeoutMs: 5000 })
      // Each message carries the bridge envelope and goes as a connector event too.
      const envelope = (n: number) => ({
        event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        event_source: 'bento.trigger/pipeline:ingest/ingest',
        propagation_depth: '1',
        n,
      })
      expect(
        mine().map((t) => ({
          ...t,
          data: {
            ...t.data,
            metadata: { ...(t.data.metadata as object), n: (t.data.body as { n: number }).n },
          },
        })),
      ).toEqual(
        [1, 2].map((n) => ({
          triggerType: 'pipeline:ingest',
          action: 'process',
          data: {
            body: { n },
            metadata: envelope(n),
            workflow: 'ingest',
            event: {
              id: expect.stringMatching(/^[0-9a-f]{32}$/),
              foreign_id: '',
              type: 'process',
              headers: expect.objectContaining({ propagation_depth: '1' }),
              created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            },
          },
        })),
      )
      const [first] = mine()
      expect((first!.data.event as { id: string }).id).toBe(
        (first!.data.metadata as { event_id: string }).event_id,
      )
      expect((await p.plugin.stopModule({ handleId: created.handleId })).error).toBe('')
    })

    it('redelivers a message whose workflow failed; defaults action to trigger', async () => {
      refuse.trigger = 1
      const created = await p.plugin.createTrigger({
        type: 'bento',
        name: 'retry',
        config: {
          subscriptions: [
            { input: { generate: { mapping: 'root = "x" + counter().string()', interval: '20ms' } } },
          ],
        },
      })
      expect((await p.plugin.startModule({ handleId: created.handleId })).error).toBe('')
      const mine = () => triggered.filter((t) => t.triggerType === 'retry')
      await eventually(() => (mine().some((t) => t.data.body === 'x1') ? true : undefined), {
        what: 'x1 after a refusal',
        timeoutMs: 5000,
      })
      expect((await p.plugin.stopModule({ handleId: created.handleId })).error).toBe('')
      expect(refuse.trigger).toBe(0)
      expect(mine().find((t) => t.data.body === 'x1')).toMatchObject({
        triggerType: 'retry',
        action: 'trigger',
        data: { body: 'x1', metadata: { propagation_depth: '1' }, event: { type: 'trigger' } },
      })
    })

    it('checks subscriptions at CreateTrigger; Stop before Start returns at once', async () => {
      const create = async (config: object) =>
        (await p.plugin.createTrigger({ type: 'bento', name: 't', config: config as never })).error
      expect(await create({ subscriptions: 'not-a-list' })).toBe(
        'bento trigger: subscriptions must be a list',
      )
      expect(await create({ subscriptions: [1] })).toBe('bento trigger: subscription[0] must be a map')
      expect(await create({ subscriptions: [{ workflow: 'w' }] })).toBe(
        'bento trigger: subscription[0].input must be a map',
      )
      expect(await create({ subscriptions: [{ input: { nope: {} } }] })).toMatch(
        /^bento trigger: subscription\[0\]: input\.nope: unknown input type/,
      )
      expect((await p.plugin.createTrigger({ type: 'nope', name: 't' })).error).toBe(
        'unknown trigger type "nope"',
      )
      const idle = await p.plugin.createTrigger({
        type: 'bento',
        name: 'idle',
        config: { subscriptions: [{ input: { generate: { mapping: 'root = 1' } } }] },
      })
      expect(idle.error).toBe('')
      const t0 = performance.now()
      expect((await p.plugin.stopModule({ handleId: idle.handleId })).error).toBe('')
      expect(performance.now() - t0).toBeLessThan(200)
      const passive = await p.plugin.createTrigger({ type: 'bento', name: 'passive', config: {} })
      expect((await p.plugin.startModule({ handleId: passive.handleId })).error).toBe('')
      expect((await p.plugin.stopModule({ handleId: passive.handleId })).error).toBe('')
    })
  })
})

describe('without ConfigureCallback', () => {
  it('bento.input, bento.output and the trigger say so at Start', async () => {
    const p = await launch()
    try {
      const start = async (type: string, config: object) => {
        const { handleId } = await p.plugin.createModule({ type, name: 'n', config: config as never })
        return (await p.plugin.startModule({ handleId })).error
      }
      expect(
        await start('bento.input', { target_topic: 't', input: { generate: { mapping: 'root = 1' } } }),
      ).toMatch(/^bento\.input "n": no host callbacks/)
      expect(await start('bento.output', { source_topic: 't', output: { drop: {} } })).toMatch(
        /^bento\.output "n": no host callbacks/,
      )
      const trigger = await p.plugin.createTrigger({ type: 'bento', name: 'n', config: {} })
      expect((await p.plugin.startModule({ handleId: trigger.handleId })).error).toMatch(
        /trigger callback client is not configured/,
      )
    } finally {
      await p.controller.shutdown({}).catch(() => {})
      await within(2000, p.exited, 'exit')
      p.close()
    }
  })
})
