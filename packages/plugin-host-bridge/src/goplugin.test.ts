import { create } from '@bufbuild/protobuf'
import { describe, expect, it } from 'vitest'
import { ConnInfoSchema } from './gen/plugin/grpc_broker_pb.ts'
import { Broker, negotiateVersion } from './goplugin.ts'

describe('negotiateVersion', () => {
  it('picks the highest version both sides speak', () => {
    expect(negotiateVersion('1', [1], () => {})).toBe(1)
    expect(negotiateVersion('1,2,3', [1, 2], () => {})).toBe(2)
  })

  it('advertises our lowest when nothing matches, warning about unparsable entries', () => {
    const warnings: string[] = []
    expect(negotiateVersion('5,x, 7', [1, 2], (w) => warnings.push(w))).toBe(1)
    expect(negotiateVersion(undefined, [1], () => {})).toBe(1)
    expect(warnings).toEqual(['server sent invalid plugin version "x"\n'])
  })
})

describe('Broker', () => {
  it('turns announcements into grpc-js targets', () => {
    expect(Broker.target(create(ConnInfoSchema, { network: 'unix', address: '/tmp/plugin1' }))).toBe(
      'unix:/tmp/plugin1',
    )
    expect(Broker.target(create(ConnInfoSchema, { network: 'tcp', address: '127.0.0.1:1' }))).toBe(
      '127.0.0.1:1',
    )
    expect(() => Broker.target(create(ConnInfoSchema, { network: 'udp', address: 'x' }))).toThrow(
      'Unknown address type: udp',
    )
  })

  it('gives up waiting for an announcement after the timeout', async () => {
    expect(await new Broker().connInfo(3, 20)).toBeUndefined()
    await expect(new Broker().dial(3, 20)).rejects.toThrow('timeout waiting for connection info')
  })
})
