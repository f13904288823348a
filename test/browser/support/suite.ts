import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import type { RunningServer } from '../../../src/main/serve.ts';
import { launchChromium } from './chromium.ts';
import { type DemoServer, startDemoServer } from './demo-server.ts';
import { ensureWidgetBuilt } from './widget-build.ts';

// Kept apart from the other support files so that only test files load node:test.

/** Screenshots for review land here (gitignored). */
export const RESULTS = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test-results');

/** What a browser suite works with: Chromium, the real server and its demo credentials. */
export interface ServerInChromium<Demo> {
  browser: Browser;
  server: RunningServer;
  demo: Demo;
  /** Calls the server's API with the demo workspace's admin key; JSON in, status and JSON out. */
  api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

interface Options {
  /** Builds web/dist/widget.js first when it is older than its sources. */
  widget?: boolean;
  /** Configuration to add, read when the suite starts (so it may name a server an earlier `before` started). */
  env?: () => Record<string, string>;
  ssePollMs?: number;
}

/**
 * Starts the real server on a fresh data directory and Chromium before the suite's tests, and
 * stops both after them (call it inside `describe`, after any `before` that `env` depends on).
 * The fields are filled in when `before` runs: read them in test bodies.
 */
export function useServerInChromium<Demo extends { apiKey: string }>(
  name: string,
  options: Options = {},
): ServerInChromium<Demo> {
  let running: DemoServer<Demo> | undefined;
  const suite = {
    async api(method: string, path: string, body?: unknown) {
      const response = await fetch(`${suite.server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${suite.demo.apiKey}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  } as ServerInChromium<Demo>;
  before(async () => {
    if (options.widget) await ensureWidgetBuilt();
    running = await startDemoServer<Demo>(name, {
      ...(options.env ? { env: options.env() } : {}),
      ...(options.ssePollMs === undefined ? {} : { ssePollMs: options.ssePollMs }),
    });
    suite.server = running.server;
    suite.demo = running.demo;
    mkdirSync(RESULTS, { recursive: true });
    suite.browser = await launchChromium();
  });
  after(async () => {
    await suite.browser?.close();
    await running?.stop();
  });
  return suite;
}
