import { flushCompileCache } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { banner, ensureDemoWorkspace } from './demo.ts';
import { trackIdleConnections } from './idle-connections.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
import { createWorkerThreadHost, type WorkerThreadHost } from './worker-thread-host.ts';

export interface ServeOptions extends RuntimeOptions {
  /** `all` runs workers in-process; `api` only answers HTTP. */
  role?: 'all' | 'api';
  /** Where the workers run (role all, embedded queue); default `LEADLOOP_EMBEDDED_WORKERS`. */
  workers?: 'auto' | 'thread' | 'inline';
  /** CPUs `auto` counts (default: the process's available parallelism). */
  cpus?: number;
  /**
   * One writer: how long the server waits for the worker thread to answer its oldest group commit
   * before it stores new ones itself (default 50 ms; one-writer.ts).
   */
  slowWriterAfterMs?: number;
  printBanner?: boolean;
  handleSignals?: boolean;
}

export interface RunningServer {
  runtime: Runtime;
  /** The worker thread's host when the workers run on one. */
  workerThread: WorkerThreadHost | null;
  url: string;
  stop(): Promise<void>;
}

/**
 * `auto` puts the workers on a thread when a second CPU can run it: on one CPU the thread only
 * takes turns with requests on the same core, as the inline workers do, for a second V8 heap.
 */
export function workersOn(setting: 'auto' | 'thread' | 'inline', cpus: number): 'thread' | 'inline' {
  if (setting !== 'auto') return setting;
  return cpus >= 2 ? 'thread' : 'inline';
}

/**
 * Starts HTTP and (unless role is api) in-process workers. Ingestion answers 503 until the
 * database is migrated and the server listens, and again from the moment a stop begins.
 */
export async function serve(config: Config, options: ServeOptions = {}): Promise<RunningServer> {
  // A worker thread opens its own connection to the same database: not possible for a private
  // in-memory SQLite, and not needed with a broker (its workers are processes of their own).
  const threaded =
    options.role !== 'api' &&
    workersOn(options.workers ?? config.LEADLOOP_EMBEDDED_WORKERS, options.cpus ?? availableParallelism()) ===
      'thread' &&
    !config.REDIS_URL &&
    !config.QUEUE_URL &&
    options.sqliteFile !== ':memory:';
  const host = threaded
    ? createWorkerThreadHost({
        concurrency: config.LEADLOOP_WORKER_CONCURRENCY,
        runtime: options,
        oneWriter: !config.DATABASE_URL,
        ...(options.slowWriterAfterMs === undefined ? {} : { slowWriterAfterMs: options.slowWriterAfterMs }),
      })
    : null;
  const runtime = await createRuntime(config, { ...options, ...host?.serverOptions });
  const demo = await ensureDemoWorkspace(runtime, resolve(config.LEADLOOP_DATA_DIR));
  const http = await runtime.createHttp({ demo });
  const connections = trackIdleConnections(http.app.server);
  await http.app.listen({ port: config.PORT, host: config.HOST });
  const address = http.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  if (host) await host.start(runtime);
  else if (options.role !== 'api') runtime.startWorkers(config.LEADLOOP_WORKER_CONCURRENCY);
  runtime.lifecycle.set('ready');
  // Every module is loaded by now: write the compile cache (see bin/leadloop.js) at once rather than
  // at exit, which a killed process never reaches. A no-op when the cache is off.
  flushCompileCache();
  if (options.printBanner) process.stdout.write(`${banner(url, runtime.store.location, demo)}\n`);
  runtime.logger.info({ url, role: options.role ?? 'all', storage: runtime.store.dialect }, 'ready');

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      runtime.lifecycle.set('draining');
      runtime.logger.info('draining: ingestion answers 503, in-flight work finishes');
      const timer = setTimeout(() => {
        runtime.logger.error('shutdown timed out; exiting (unfinished jobs are retried after their lease)');
        process.exit(1);
      }, config.LEADLOOP_SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      http.closeStreams();
      const closed = http.app.close();
      connections.closeIdle();
      await closed;
      // Accepted submissions commit first, then the thread finishes its jobs, then the store closes.
      await runtime.writer.drain();
      await host?.stop();
      await runtime.close();
      clearTimeout(timer);
      runtime.logger.info('stopped');
    })();
    return stopping;
  };
  if (options.handleSignals) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void stop().then(() => process.exit(0));
      });
    }
  }
  return { runtime, workerThread: host, url, stop };
}
