import { existsSync } from 'node:fs';

/** Debian's Chromium (`apt-get install -y chromium`); the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can. */
export function browserSkipReason(): string | false {
  if (!existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) to run the browser tests`;
  try {
    import.meta.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (a devDependency: run npm install)';
  }
  return false;
}

/**
 * Flags for a quiet headless Chromium on a machine with a closed network: no background
 * connections, no component updates, no first-run work. Playwright adds `--headless` and a new
 * empty `--user-data-dir` of its own for every launch.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts Chromium through playwright-core (imported lazily so a missing package only skips). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
