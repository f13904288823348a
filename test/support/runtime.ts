import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/main/runtime.ts';

export type TestDialect = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const DIALECTS: TestDialect[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestRuntime extends Runtime {
  /** Drops the PostgreSQL schema created for the test. */
  dispose(): Promise<void>;
}

/** A fresh, migrated runtime on an empty database: in-memory SQLite or a new PostgreSQL schema. */
export async function createTestRuntime(
  dialect: TestDialect,
  options: RuntimeOptions & { config?: Record<string, string> } = {},
): Promise<TestRuntime> {
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ...(dialect === 'postgres' ? { DATABASE_URL: process.env.TEST_DATABASE_URL } : {}),
    ...options.config,
  });
  const runtime = await createRuntime(config, {
    logger: pino({ level: 'silent' }),
    queuePollMs: 20,
    ssePollMs: 50,
    ...options,
    ...(dialect === 'sqlite' ? { sqliteFile: options.sqliteFile ?? ':memory:' } : { postgresSchema: schema }),
  });
  return Object.assign(runtime, {
    async dispose() {
      await runtime.close().catch(() => {});
      if (dialect === 'postgres') {
        const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
    },
  });
}

/** Waits until `check` returns a value other than undefined, polling every 10 ms. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
