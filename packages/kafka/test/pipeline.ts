// The stream the crash, group and outage tests run: kafka → mapping → kafka, and its source data.
import { brokers, createTopic, produce, readTopic, recordCount } from './helpers.ts'

export const checkpointLimit = 1024

export function streamConfig(source: string, sink: string, group: string, extra = ''): string {
  return `
http:
  enabled: false
input:
  kafka:
    addresses: [ "${brokers()}" ]
    topics: [ ${source} ]
    consumer_group: ${group}
    checkpoint_limit: ${checkpointLimit}
    commit_period: 200ms
    group:
      session_timeout: 6s
      heartbeat_interval: 1s
${extra}
pipeline:
  processors:
    - mapping: |
        root = this
        root.copied = true
output:
  kafka:
    addresses: [ "${brokers()}" ]
    topic: ${sink}
    key: '\${! json("id") }'
    batching:
      count: 100
      period: 20ms
`
}

export async function fillSource(topic: string, count: number, parts: number): Promise<void> {
  await createTopic(topic, parts)
  const messages = Array.from({ length: count }, (_, i) => ({
    value: JSON.stringify({ id: `m-${i}`, pad: 'x'.repeat(100) }),
  }))
  await produce(topic, messages)
}

export const idsOf = async (topic: string): Promise<string[]> => {
  const records = await readTopic(topic, await recordCount(topic), 120_000)
  return records.map((r) => (JSON.parse(r.value!) as { id: string }).id)
}
