import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import type { HttpApp } from '../../src/http/index.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/main/runtime.ts';
import { openBullmqProbe } from '../../src/queue/testing/bullmq-test-support.ts';
import { deleteRabbitmqTopology } from '../../src/queue/testing/rabbitmq-test-support.ts';
import { createStore, type Store } from '../../src/store/index.ts';

export type TestDialect = 'sqlite' | 'postgres';

/** SQLite always; PostgreSQL too when TEST_DATABASE_URL is set (CI sets it). */
export const DIALECTS: TestDialect[] = process.env.TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestRuntime extends Runtime {
  /**
   * The database as its owner sees it, for assertions about what was (not) stored. On PostgreSQL
   * the runtime itself works as the application role, under row-level security, and sees only
   * the rows of the data scope it runs in.
   */
  inspect: Store['db'];
  /** Drops the PostgreSQL schema created for the test. */
  dispose(): Promise<void>;
}

/** The master key every test runtime uses (base64 of 32 bytes). */
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** The same key as bytes, for stores a test opens itself (PostgreSQL signs data scopes with it). */
export const TEST_MASTER_KEY_BYTES: Uint8Array = Buffer.from(TEST_MASTER_KEY, 'base64');

/** TEST_DATABASE_URL with the application role as the user (trust authentication here). */
export function appRoleUrl(role = 'leadloop_app'): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.username = role;
  url.password = '';
  return url.toString();
}

/**
 * A second store on a PostgreSQL test runtime's schema, connected as the application role: what it
 * reads and writes is bound by row-level security and the role's grants (the runtime's `inspect` is not).
 */
export async function openAppRoleStore(runtime: TestRuntime): Promise<{ store: Store; schema: string }> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(runtime.inspect);
  const schema = rows[0]?.schema as string;
  const store = createStore({
    databaseUrl: appRoleUrl(),
    schema,
    poolSize: 1,
    masterKey: TEST_MASTER_KEY_BYTES,
  });
  return { store, schema };
}

/** The broker PostgreSQL suites dispatch through: TEST_BROKER (`redis` by default, or `rabbitmq`). */
export const TEST_BROKER: 'redis' | 'rabbitmq' | null =
  process.env.TEST_BROKER === 'rabbitmq'
    ? process.env.TEST_AMQP_URL
      ? 'rabbitmq'
      : null
    : process.env.TEST_REDIS_URL
      ? 'redis'
      : null;

function brokerConfig(prefix: string): Record<string, string> {
  if (TEST_BROKER === 'redis')
    return { REDIS_URL: process.env.TEST_REDIS_URL as string, LEADLOOP_QUEUE_PREFIX: prefix };
  if (TEST_BROKER === 'rabbitmq')
    return { QUEUE_URL: process.env.TEST_AMQP_URL as string, LEADLOOP_QUEUE_PREFIX: prefix };
  return {};
}

/** A fresh, migrated runtime on an empty database: in-memory SQLite or a new PostgreSQL schema. */
export async function createTestRuntime(
  dialect: TestDialect,
  options: RuntimeOptions & { config?: Record<string, string> } = {},
): Promise<TestRuntime> {
  const schema = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    // A fixed key, so no suite writes a generated one into ./data.
    LEADLOOP_MASTER_KEY: TEST_MASTER_KEY,
    // On PostgreSQL the runtime works as the application role, so every suite runs under row-level
    // security; the superuser only migrates and grants, as `leadloop migrate` does.
    ...(dialect === 'postgres'
      ? { DATABASE_OWNER_URL: process.env.TEST_DATABASE_URL, DATABASE_URL: appRoleUrl() }
      : {}),
    // Scaled out means PostgreSQL and a broker together: with TEST_REDIS_URL, the PostgreSQL runs
    // dispatch jobs through BullMQ (with TEST_BROKER=rabbitmq and TEST_AMQP_URL, through RabbitMQ),
    // each runtime under its own prefix.
    ...(dialect === 'postgres' && !options.config?.REDIS_URL && !options.config?.QUEUE_URL
      ? brokerConfig(`leadloop-test-${schema}`)
      : {}),
    ...options.config,
  });
  const runtime = await createRuntime(config, {
    // TEST_LOG_LEVEL=error shows why a request answered 500 in a run that cannot be repeated.
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    queuePollMs: 20,
    ssePollMs: 50,
    ...options,
    ...(dialect === 'sqlite' ? { sqliteFile: options.sqliteFile ?? ':memory:' } : { postgresSchema: schema }),
  });
  const owner =
    dialect === 'postgres'
      ? createStore({
          databaseUrl: process.env.TEST_DATABASE_URL,
          schema,
          poolSize: 2,
          masterKey: TEST_MASTER_KEY_BYTES,
        })
      : null;
  return Object.assign(runtime, {
    inspect: owner?.db ?? runtime.store.db,
    async dispose() {
      await runtime.close().catch(() => {});
      await owner?.destroy().catch(() => {});
      if (config.REDIS_URL) {
        const probe = openBullmqProbe(config.REDIS_URL, config.LEADLOOP_QUEUE_PREFIX);
        await probe.close();
      }
      if (config.QUEUE_URL)
        await deleteRabbitmqTopology(config.QUEUE_URL, config.LEADLOOP_QUEUE_PREFIX).catch(() => {});
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

/** A test runtime with its HTTP app, ready for requests (workers are the test's to start). */
export async function startTestApp(
  dialect: TestDialect,
  options: Parameters<typeof createTestRuntime>[1] = {},
): Promise<{ runtime: TestRuntime; http: HttpApp }> {
  const runtime = await createTestRuntime(dialect, options);
  const http = await runtime.createHttp();
  runtime.lifecycle.set('ready');
  return { runtime, http };
}

/** Undoes {@link startTestApp}; an event stream left open by a failed test must not keep the run alive. */
export async function stopTestApp(app: { runtime: TestRuntime; http: HttpApp }): Promise<void> {
  app.http.closeStreams();
  await app.http.app.close();
  await app.runtime.dispose();
}

/** A workspace as suites hold on to it: its ids and keys. */
interface TestWorkspace {
  workspaceId: string;
  organisationId: string;
  apiKey: string;
  webhookSecret: string;
  widgetKey: string;
}

/**
 * A workspace created by the system actor (in `organisation`, else in an organisation of its own),
 * flattened to the ids and keys suites hold on to.
 */
export async function testWorkspace(
  runtime: Pick<Runtime, 'tenants'>,
  name: string,
  organisation?: string,
): Promise<TestWorkspace> {
  const created = await runtime.tenants.createWorkspace({
    name,
    organisation,
    actor: { type: 'system', id: 'test' },
  });
  return {
    workspaceId: created.workspace.id,
    organisationId: created.workspace.organisationId,
    apiKey: created.apiKey,
    webhookSecret: created.webhookSecret,
    widgetKey: created.widgetKey,
  };
}

/** Two business units, North and South, of one organisation, and a key of that organisation. */
export async function northAndSouth(
  runtime: Pick<Runtime, 'tenants'>,
  organisation: string,
): Promise<{ north: TestWorkspace; south: TestWorkspace; orgKey: string }> {
  const north = await testWorkspace(runtime, 'North', organisation);
  const south = await testWorkspace(runtime, 'South', organisation);
  const { key } = await runtime.tenants.createOrganisationKey({ organisationId: north.organisationId });
  return { north, south, orgKey: key };
}

/** {@link startTestApp} with one workspace created (workers not started). */
export async function startAppWithWorkspace(
  dialect: TestDialect,
  options: Parameters<typeof createTestRuntime>[1] = {},
): Promise<{
  runtime: TestRuntime;
  http: HttpApp;
  ws: { workspaceId: string; organisationId: string; apiKey: string };
}> {
  const { runtime, http } = await startTestApp(dialect, options);
  const { workspaceId, organisationId, apiKey } = await testWorkspace(runtime, 'W', 'Org');
  return { runtime, http, ws: { workspaceId, organisationId, apiKey } };
}
