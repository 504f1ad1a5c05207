import { expect, test } from 'vitest'
import { HeaderList, oauth1Signature, percentEncode } from './auth.ts'

test('percentEncode is RFC 3986', () => {
  expect(percentEncode("Ladies + Gentlemen!*'()~")).toBe('Ladies%20%2B%20Gentlemen%21%2A%27%28%29~')
})

// The worked example of Twitter's "Creating a signature" guide, a published OAuth 1.0a vector.
test('oauth1Signature matches a published HMAC-SHA1 example', () => {
  const url = new URL('https://api.twitter.com/1.1/statuses/update.json?include_entities=true')
  const params: [string, string][] = [
    ['oauth_consumer_key', 'xvz1evFS4wEEPTGEFPHBog'],
    ['oauth_nonce', 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '1318622958'],
    ['oauth_token', '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb'],
    ['oauth_version', '1.0'],
    ...url.searchParams,
    ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
  ]
  expect(
    oauth1Signature(
      'POST',
      url,
      params,
      'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
      'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
    ),
  ).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=')
})

test('HeaderList adds, sets case-insensitively and flattens', () => {
  const h = new HeaderList()
  h.add('X-A', '1')
  h.add('x-a', '2')
  h.add('B', '3')
  expect(h.get('X-A')).toBe('1')
  h.set('X-a', '9')
  expect(h.flat()).toEqual(['B', '3', 'X-a', '9'])
})
