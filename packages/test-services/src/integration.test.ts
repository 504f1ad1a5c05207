import { describe, expect, test } from 'vitest'
import { compatible, integrationPackages, schedule, type TestPackage } from './integration.ts'

const pkg = (name: string, services: string[], restarts: string[] = []): TestPackage => ({
  name,
  dir: `/x/${name}`,
  services,
  restarts,
})

describe('integration scheduling', () => {
  test('a package restarting a server never runs beside another using it', () => {
    const kafka = pkg('kafka', ['kafka'], ['kafka'])
    expect(compatible(kafka, pkg('bridge', ['kafka']))).toBe(false)
    expect(compatible(pkg('bridge', ['kafka']), kafka)).toBe(false)
    expect(compatible(kafka, pkg('redis', ['redis']))).toBe(true)
    expect(compatible(pkg('a', ['moto']), pkg('b', ['moto']))).toBe(true)
  })

  test('runs up to the concurrency, holds back what conflicts, and runs everything once', async () => {
    const order = [
      pkg('kafka', ['kafka'], ['kafka']),
      pkg('uses-kafka', ['kafka']),
      pkg('redis', ['redis']),
      pkg('core', []),
    ]
    const releases = new Map<string, () => void>()
    const running = new Set<string>()
    const seen: string[][] = []
    const done = schedule(order, 2, (p) => {
      running.add(p.name)
      seen.push([...running].sort())
      return new Promise((resolve) => {
        releases.set(p.name, () => {
          running.delete(p.name)
          resolve({ code: 0, output: '' })
        })
      })
    })
    const release = async (name: string) => {
      await new Promise((r) => setImmediate(r))
      releases.get(name)!()
    }
    await release('kafka')
    await release('redis')
    await release('uses-kafka')
    await release('core')
    const outcomes = await done
    expect(outcomes.map((o) => o.pkg.name).sort()).toEqual(['core', 'kafka', 'redis', 'uses-kafka'])
    // kafka first beside redis (uses-kafka waits for kafka), never more than two at once
    expect(seen[0]).toEqual(['kafka'])
    expect(seen[1]).toEqual(['kafka', 'redis'])
    for (const s of seen) {
      expect(s.length).toBeLessThanOrEqual(2)
      expect(s.includes('kafka') && s.includes('uses-kafka')).toBe(false)
    }
  })

  test("every workspace package's declaration names known services", () => {
    const packages = integrationPackages()
    expect(packages.map((p) => p.name)).toContain('@bento-ts/kafka')
    expect(packages.find((p) => p.name === '@bento-ts/kafka')?.restarts).toEqual(['kafka'])
  })
})
