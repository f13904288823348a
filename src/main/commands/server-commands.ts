import { parsePools } from '../../queue/index.ts';
import { createStore } from '../../store/index.ts';
import { loadMasterKey } from '../master-key.ts';
import { sealClearPasswordHashes } from '../master-key-rotation.ts';
import { createRuntime } from '../runtime.ts';
import { serve } from '../serve.ts';
import { type Command, dataDirOption, str, usageError } from './types.ts';

export const serveCommand: Command = {
  summary: 'Run the HTTP API (and, unless --role api, in-process workers)',
  usage: 'leadloop serve [--port N] [--host H] [--data-dir D] [--role all|api]',
  options: { ...dataDirOption, port: { type: 'string' }, host: { type: 'string' }, role: { type: 'string' } },
  async run(context) {
    const role = str(context, 'role') ?? 'all';
    if (role !== 'all' && role !== 'api') throw usageError(`--role must be "all" or "api", not "${role}"`);
    await serve(context.config, { role, printBanner: true, handleSignals: true });
    return -1;
  },
};

export const workerCommand: Command = {
  summary: 'Run job workers only (no HTTP); --only runs some pools (pipeline, scoring, council)',
  usage: 'leadloop worker [--only pipeline,council,...] [--concurrency N] [--data-dir D]',
  options: { ...dataDirOption, concurrency: { type: 'string' }, only: { type: 'string' } },
  async run(context) {
    const concurrency = Number(str(context, 'concurrency') ?? context.config.LEADLOOP_WORKER_CONCURRENCY);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw usageError('--concurrency must be a positive integer');
    const only = str(context, 'only');
    const pools = only === undefined ? undefined : parsePools(only);
    if (pools && !pools.ok) throw usageError(`--only: ${pools.error}`);
    const runtime = await createRuntime(context.config);
    runtime.startWorkers(concurrency, pools?.value);
    runtime.lifecycle.set('ready');
    runtime.logger.info(
      { concurrency, pools: pools?.value ?? 'all', storage: runtime.store.dialect },
      'worker ready',
    );
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        runtime.logger.info('worker stopping: in-flight jobs finish or are released');
        void runtime.close().then(() => process.exit(0));
      });
    }
    return -1;
  },
};

export const migrateCommand: Command = {
  summary: 'Create or upgrade the database schema; on PostgreSQL also the application role and its grants',
  usage: 'leadloop migrate [--data-dir D]',
  options: { ...dataDirOption },
  logLevel: 'warn',
  async run(context) {
    const { config } = context;
    const masterKey = loadMasterKey({
      configured: config.LEADLOOP_MASTER_KEY,
      dataDir: config.LEADLOOP_DATA_DIR,
    });
    const store = createStore({
      databaseUrl: config.DATABASE_OWNER_URL ?? config.DATABASE_URL,
      dataDir: config.LEADLOOP_DATA_DIR,
      poolSize: 1,
      // The data scope's signing key is derived from it and provisioned for the definer functions.
      masterKey,
    });
    try {
      const appRole =
        store.dialect === 'postgres'
          ? { name: config.DATABASE_APP_ROLE, password: config.DATABASE_APP_PASSWORD }
          : undefined;
      const { applied } = await store.migrate({ appRole });
      context.stdout.write(
        `schema is up to date (${store.location}); applied ${applied.length === 0 ? 'nothing new' : applied.join(', ')}\n`,
      );
      const sealed = await sealClearPasswordHashes(store, masterKey);
      if (sealed > 0)
        context.stdout.write(`sealed ${sealed} console password hash(es) with the master key\n`);
      if (appRole)
        context.stdout.write(
          `application role ${appRole.name}: may read and write data, owns nothing, bound by row-level security\n`,
        );
      return 0;
    } finally {
      await store.destroy();
    }
  },
};
