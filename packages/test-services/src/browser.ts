import { which } from './process.ts'
import { aptInstall } from './services.ts'

// A real browser for the tests that drive a page (the Bloblang playground): Debian's chromium,
// installed by apt as the servers are. Tests launch it headless with playwright-core.

/** The path of a Chromium executable, installing the Debian package when there is none. */
export async function ensureChromium(): Promise<string> {
  // Debian's package, else what an Ubuntu CI runner has preinstalled (its `chromium` is a snap stub)
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = await which(name)
    if (found !== undefined) return found
  }
  await aptInstall('chromium', 'chromium')
  const installed = await which('chromium')
  if (installed === undefined) throw new Error('chromium: apt-get installed it but it is not on the PATH')
  return installed
}

/**
 * Flags for a headless Chromium that never reaches the network by itself. Each launch also needs
 * a fresh user data directory (playwright's launchPersistentContext takes it as its own argument).
 */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
