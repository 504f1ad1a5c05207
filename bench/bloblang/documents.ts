// Deterministic order documents for the Bloblang benchmark: the same bytes on every run and for
// both engines. `items` grows the document to the wanted size.

const skus = ['ab-100', 'cd-220', 'ef-314', 'gh-479', 'ij-512', 'kl-606', 'mn-777', 'op-808']

function orderDocument(itemCount: number): Record<string, unknown> {
  const items = Array.from({ length: itemCount }, (_, i) => ({
    sku: skus[i % skus.length],
    name: `Item number ${i} of the catalogue`,
    qty: (i % 5) + 1,
    price: Math.round((9.99 + ((i * 37) % 200) + 0.5) * 100) / 100,
    in_stock: i % 3 !== 0,
  }))
  return {
    order_id: 'ord-000123456',
    status: 'paid',
    currency: 'EUR',
    source: 'web',
    created_at: '2026-03-14T09:26:53+01:00',
    updated_at: '2026-03-15T17:45:00Z',
    note: '   please leave at the door   ',
    tags: ['gift', 'express', 'repeat-customer'],
    customer: {
      id: 9876543210123,
      name: 'Ada Lovelace',
      email: '  Ada.Lovelace@Example.COM ',
      phone: '+44 20 7946 0958',
      address: {
        street: '12 Analytical Engine Lane',
        city: 'London',
        zip: 'N1 9GU',
        country: 'GB',
        geo: { lat: 51.5362, lon: -0.1033 },
      },
    },
    raw_attributes: JSON.stringify({ campaign: 'spring', referrer: 'newsletter', ab_test: 'b', score: 0.87 }),
    items,
  }
}

/** The smallest order document of at least `bytes` bytes, serialised once. */
export function documentOfSize(bytes: number): Uint8Array {
  let count = 1
  let text = JSON.stringify(orderDocument(count))
  while (Buffer.byteLength(text) < bytes) text = JSON.stringify(orderDocument(++count))
  return Buffer.from(text)
}
