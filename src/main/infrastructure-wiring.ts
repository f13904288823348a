import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config/index.ts';
import type { Clock, IdGenerator } from '../core/index.ts';
import { createEmbeddedQueue, loadBullmqQueue, loadRabbitmqQueue, type Queue } from '../queue/index.ts';
import { createStore, type Store } from '../store/index.ts';
import { sealClearPasswordHashes } from './master-key-rotation.ts';
import type { RuntimeOptions } from './runtime-types.ts';

/** Opens the database and, unless the caller knows it is, migrates it. */
export async function openStore(
  config: Config,
  options: Pick<RuntimeOptions, 'sqliteFile' | 'postgresSchema' | 'writeTurns' | 'migrated'>,
  logger: Logger,
  masterKey: Uint8Array,
): Promise<Store> {
  const store = createStore({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.LEADLOOP_DATA_DIR,
    sqliteFile: options.sqliteFile,
    schema: options.postgresSchema,
    masterKey,
    writeTurns: options.writeTurns,
  });
  if (!options.migrated) await migrateStore(config, store, options.postgresSchema, logger, masterKey);
  return store;
}

/**
 * Migrates the schema. With `DATABASE_OWNER_URL`, the owner migrates and grants the application's
 * role, and the process then works as that role, which row-level security binds; otherwise the one
 * connection does both (fine on SQLite and for a development database, and said so in the log).
 */
async function migrateStore(
  config: Config,
  store: Store,
  schema: string | undefined,
  logger: Logger,
  masterKey: Uint8Array,
) {
  const ownerUrl = config.DATABASE_OWNER_URL;
  if (store.dialect === 'postgres' && ownerUrl && ownerUrl !== config.DATABASE_URL) {
    const owner = createStore({ databaseUrl: ownerUrl, schema, poolSize: 1, masterKey });
    try {
      await owner.migrate({
        appRole: { name: config.DATABASE_APP_ROLE, password: config.DATABASE_APP_PASSWORD },
      });
      await sealClearPasswordHashes(owner, masterKey, logger);
    } finally {
      await owner.destroy();
    }
  } else {
    await store.migrate();
    await sealClearPasswordHashes(store, masterKey, logger);
  }
  if ((await store.acceptsDataScope()) === false)
    throw new ConfigError(
      "the database does not accept this process's data scope: it holds no scope key of this master key. Run `leadloop migrate` with the same LEADLOOP_MASTER_KEY as the server",
    );
  const role = await store.connectedRole();
  if (role?.bypassesRowSecurity)
    logger.warn(
      { role: role.name },
      'connected as a role that bypasses row-level security; run `leadloop migrate` and connect as the application role (DATABASE_APP_ROLE) for tenant isolation in the database',
    );
}

/**
 * The queue: with a broker (Redis or RabbitMQ) the database stays the outbox and the broker
 * dispatches; without, the database does both. `broker` is what `close()` must shut down.
 */
export async function openQueue(options: {
  config: Config;
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  runtime: Pick<RuntimeOptions, 'queuePollMs' | 'visibilityTimeoutMs' | 'random' | 'workerId' | 'ownThread'>;
}): Promise<{ queue: Queue; broker: { close(): Promise<void> } | null }> {
  const { config, store, clock, ids, logger, runtime } = options;
  const queueOptions = {
    store,
    clock,
    ids,
    idlePollMs: runtime.queuePollMs,
    visibilityTimeoutMs: runtime.visibilityTimeoutMs ?? config.LEADLOOP_QUEUE_VISIBILITY_MS,
    random: runtime.random,
    ...(runtime.workerId ? { workerId: runtime.workerId } : {}),
  };
  if (config.REDIS_URL && config.QUEUE_URL)
    throw new ConfigError(
      'invalid configuration:\n  REDIS_URL and QUEUE_URL are both set: choose one broker',
    );
  const brokerOptions = {
    ...queueOptions,
    prefix: config.LEADLOOP_QUEUE_PREFIX,
    resendAfterMs: config.LEADLOOP_QUEUE_RESEND_AFTER_MS,
    onError: (error: unknown) =>
      logger.warn({ err: error }, 'queue dispatch failed; jobs wait in the database'),
  };
  const broker = config.REDIS_URL
    ? (await loadBullmqQueue())({ ...brokerOptions, redisUrl: config.REDIS_URL })
    : config.QUEUE_URL
      ? (await loadRabbitmqQueue())({ ...brokerOptions, amqpUrl: config.QUEUE_URL })
      : null;
  const queue: Queue =
    broker ??
    createEmbeddedQueue({
      ...queueOptions,
      // On a thread of its own a set may hold the write lock longer (requests wait for it only
      // when their group commit comes in between: measured in docs/scaling.md).
      ...(runtime.ownThread ? { ownThread: true, batchBudgetMs: 8 } : {}),
    });
  return { queue, broker };
}
