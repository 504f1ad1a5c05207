// JetStream tells a consumer where a message sits in its stream through the reply subject it acks
// to: `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time ns>.<pending>`,
// or in the newer form with a domain and an account hash in front and a random token behind.

/**
 * Sets Bento's `nats_sequence_stream`, `nats_sequence_consumer`, `nats_num_delivered`,
 * `nats_num_pending`, `nats_domain` and `nats_timestamp_unix_nano` (decimal strings, as Bento
 * gives them) from an ack subject; false, setting nothing, for any other subject.
 */
export function setAckMetadata(metadata: Map<string, unknown>, reply: string | undefined): boolean {
  if (reply === undefined || !reply.startsWith('$JS.ACK.')) return false
  const t = reply.split('.')
  // where <delivered> is: the old form has no domain and account hash in front of the stream
  let at: number
  let domain: string
  if (t.length === 9) {
    at = 4
    domain = ''
  } else if (t.length >= 11) {
    at = 6
    domain = t[2] === '_' ? '' : t[2]!
  } else return false
  metadata.set('nats_sequence_stream', t[at + 1])
  metadata.set('nats_sequence_consumer', t[at + 2])
  metadata.set('nats_num_delivered', t[at])
  metadata.set('nats_num_pending', t[at + 4])
  metadata.set('nats_domain', domain)
  metadata.set('nats_timestamp_unix_nano', t[at + 3])
  return true
}

/** The time JetStream stored the message, in nanoseconds since the epoch, from its ack subject. */
export function ackTimestampNanos(reply: string | undefined): bigint | undefined {
  if (reply === undefined || !reply.startsWith('$JS.ACK.')) return undefined
  const t = reply.split('.')
  const token = t.length === 9 ? t[7] : t.length >= 11 ? t[9] : undefined
  if (token === undefined || !/^\d+$/.test(token)) return undefined
  return BigInt(token)
}
