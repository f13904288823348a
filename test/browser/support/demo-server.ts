import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config/index.ts';
import { type RunningServer, serve } from '../../../src/main/serve.ts';

/** A real server on a fresh data directory, as `npm start` runs it, with its demo credentials. */
export interface DemoServer<Demo> {
  server: RunningServer;
  demo: Demo;
  stop(): Promise<void>;
}

interface DemoServerOptions {
  /** Adds configuration, such as a model provider (`LEADLOOP_MODEL`). */
  env?: Record<string, string>;
  /** How often the live-event streams look for new events (the console test shortens it). */
  ssePollMs?: number;
}

export async function startDemoServer<Demo>(
  name: string,
  options: DemoServerOptions = {},
): Promise<DemoServer<Demo>> {
  const dataDir = mkdtempSync(join(tmpdir(), `leadloop-${name}-`));
  const config = loadConfig(
    {},
    { PORT: 0, HOST: '127.0.0.1', LEADLOOP_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...options.env },
  );
  const server = await serve(
    { ...config, LEADLOOP_WORKER_CONCURRENCY: 2 },
    {
      logger: pino({ level: 'silent' }),
      queuePollMs: 20,
      ...(options.ssePollMs === undefined ? {} : { ssePollMs: options.ssePollMs }),
    },
  );
  const demo = JSON.parse(readFileSync(join(dataDir, 'demo-credentials.json'), 'utf8')) as Demo;
  return {
    server,
    demo,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
