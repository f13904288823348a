import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_MASTER_KEY } from './runtime.ts';

/**
 * Leadloop as it runs when scaled out: a fresh PostgreSQL database migrated by `leadloop migrate`
 * (the owner) and used by every process as the application role, an optional private Redis
 * (its own port, so a test may stop it without touching the machine's), one API process and any
 * number of worker processes. Shared by the fault tests and `npm run bench:scale`.
 */
export interface Cluster {
  ownerUrl: string;
  appUrl: string;
  redisUrl: string | null;
  apiUrl: string;
  workspace: { workspaceId: string; apiKey: string; webhookSecret: string };
  /** Runs SQL as the owner (sees every row). */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  startWorker(): Promise<number>;
  /** Another workspace, created with the CLI as the application role. */
  createWorkspace(name: string): Cluster['workspace'];
  killWorker(index: number, signal?: NodeJS.Signals): Promise<void>;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  /** Kills the database sessions of the application role (a network blip or a failover). */
  breakDatabaseConnections(applicationName?: string): Promise<number>;
  /** Lines the processes printed, for diagnosing a failure. */
  output(): string;
  close(): Promise<void>;
}

export interface ClusterOptions {
  redis: boolean;
  workers: number;
  workerConcurrency?: number;
  env?: Record<string, string>;
}

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'src/main/cli.ts');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function withDatabase(url: string, database: string, user?: string, applicationName?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user) {
    parsed.username = user;
    parsed.password = '';
  }
  if (applicationName) parsed.searchParams.set('application_name', applicationName);
  return parsed.toString();
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startCluster(adminUrl: string, options: ClusterOptions): Promise<Cluster> {
  const database = `leadloop_cluster_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const ownerUrl = withDatabase(adminUrl, database);
  const owner = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  owner.on('error', () => {});
  const appUrl = (name: string) => withDatabase(adminUrl, database, 'leadloop_app', name);
  const redisDir = mkdtempSync(join(tmpdir(), 'leadloop-redis-'));
  const redisPort = options.redis ? await freePort() : 0;
  const redisUrl = options.redis ? `redis://127.0.0.1:${redisPort}` : null;
  const log: string[] = [];
  const children = new Set<ChildProcess>();
  let redis: ChildProcess | null = null;

  const baseEnv = {
    ...process.env,
    LOG_LEVEL: 'warn',
    DATABASE_OWNER_URL: ownerUrl,
    LEADLOOP_QUEUE_PREFIX: database,
    // One master key for every process of the cluster, as a deployment must have.
    LEADLOOP_MASTER_KEY: TEST_MASTER_KEY,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...options.env,
  };
  const spawnLeadloop = (name: string, args: string[], extraEnv: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...baseEnv, DATABASE_URL: appUrl(name), ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const record = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) log.push(`[${name}] ${line}`);
      if (log.length > 2000) log.splice(0, log.length - 2000);
    };
    child.stdout?.on('data', record);
    child.stderr?.on('data', record);
    return child;
  };

  async function startRedis() {
    if (!options.redis) return;
    // AOF with fsync every second and no eviction: the settings the README asks of a real deployment.
    redis = spawn(
      'redis-server',
      [
        '--port',
        String(redisPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory-policy',
        'noeviction',
        '--dir',
        redisDir,
      ],
      { stdio: 'ignore' },
    );
    const started = redis;
    await waitFor(
      () =>
        spawnSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'utf8' }).stdout.includes(
          'PONG',
        ),
      'redis to start',
    );
    return started;
  }
  async function stopRedis() {
    const current = redis;
    if (!current || current.exitCode !== null) return;
    const exited = new Promise((r) => current.once('exit', r));
    current.kill('SIGKILL');
    await exited;
    redis = null;
  }

  await startRedis();
  const migrate = spawnSync(process.execPath, [cli, 'migrate'], {
    env: { ...baseEnv, DATABASE_URL: ownerUrl },
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stdout}${migrate.stderr}`);
  const createWorkspace = (name: string): Cluster['workspace'] => {
    const created = spawnSync(process.execPath, [cli, 'workspace', 'create', name, '--json'], {
      env: { ...baseEnv, DATABASE_URL: appUrl('cli') },
      encoding: 'utf8',
    });
    if (created.status !== 0) throw new Error(`workspace create failed: ${created.stdout}${created.stderr}`);
    return JSON.parse(created.stdout.trim().split('\n').at(-1) as string) as Cluster['workspace'];
  };
  const workspace = createWorkspace('Scale');

  const api = spawnLeadloop('api', ['serve', '--role', 'api', '--port', '0']);
  const apiUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    api.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running at (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    api.once('exit', (code) => reject(new Error(`api exited early (${code}): ${log.join('\n')}`)));
  });

  const workers: (ChildProcess | null)[] = [];
  async function startWorker(): Promise<number> {
    const index = workers.length;
    const child = spawnLeadloop(
      `worker${index}`,
      ['worker', '--concurrency', String(options.workerConcurrency ?? 8)],
      { LOG_LEVEL: 'info' },
    );
    workers.push(child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('worker ready')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${log.join('\n')}`)));
    });
    return index;
  }
  for (let i = 0; i < options.workers; i++) await startWorker();

  return {
    ownerUrl,
    appUrl: appUrl('leadloop'),
    redisUrl,
    apiUrl,
    workspace,
    async query(text, values) {
      return (await owner.query(text, values)).rows;
    },
    startWorker,
    createWorkspace,
    async killWorker(index, signal = 'SIGKILL') {
      const child = workers[index];
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
      workers[index] = null;
    },
    stopRedis,
    async startRedis() {
      await startRedis();
    },
    async breakDatabaseConnections(applicationName) {
      const rows = await owner.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where datname = $1 and usename = 'leadloop_app' and ($2::text is null or application_name = $2)`,
        [database, applicationName ?? null],
      );
      return rows.rowCount ?? 0;
    },
    output: () => log.join('\n'),
    async close() {
      const exits = [...children].map((child) => new Promise((r) => child.once('exit', r)));
      for (const child of children) child.kill('SIGKILL');
      await Promise.all(exits);
      await stopRedis();
      await owner.end();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${database} with (force)`);
      await cleanup.end();
      rmSync(redisDir, { recursive: true, force: true });
    },
  };
}
