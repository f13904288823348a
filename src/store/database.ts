import { join } from 'node:path';
import { Kysely, Migrator, sql, type Transaction } from 'kysely';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import { APP_ROLE_GRANTS } from './app-role-grants.ts';
import type { DialectName } from './dialect-name.ts';
import { type DirectRunner, withDirectRunner } from './direct-runner.ts';
import { CREDENTIAL_FUNCTIONS } from './migrations/012-credential-functions.ts';
import { SCOPE_FUNCTIONS } from './migrations/013-signed-data-scope.ts';
import { CONSOLE_ACCOUNT_FUNCTIONS } from './migrations/016-console-account-security.ts';
import { SETTINGS_FUNCTIONS } from './migrations/017-settings-functions.ts';
import { KEY_MANAGEMENT_FUNCTIONS } from './migrations/023-api-key-management.ts';
import { migrationsFor } from './migrations/index.ts';
import { DIRECTORY_FUNCTIONS } from './migrations/organisation-scope-check.ts';
import { createPostgresDialect } from './postgres/postgres-dialect.ts';
import { deriveScopeKey, type ScopeKey } from './postgres/scope-signature.ts';
import type { Database } from './schema.ts';
import { createLogSync, type LogSync } from './sqlite/log-sync.ts';
import { createNodeSqlite } from './sqlite/node-sqlite-dialect.ts';
import type { WriteTurns } from './write-turns.ts';

/** A query runner: the database itself or an open transaction. Repositories accept either. */
export type Db = Kysely<Database> | Transaction<Database>;

export interface StoreOptions {
  /** PostgreSQL connection string; when absent, SQLite under `dataDir` (or `sqliteFile`). */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to use (tests create one each); default `public`. */
  schema?: string | undefined;
  dataDir?: string | undefined;
  /** Overrides the SQLite file; `:memory:` for tests. */
  sqliteFile?: string | undefined;
  poolSize?: number | undefined;
  /**
   * The 32-byte master key. On PostgreSQL the data scope of every transaction is signed with a key
   * derived from it (row-level security ignores an unsigned scope), and `migrate` provisions that
   * key where only the owner can read it. Without it a PostgreSQL store sees no tenant rows.
   */
  masterKey?: Uint8Array | undefined;
  /**
   * SQLite shared by two threads of this process (the embedded server's worker thread): how this
   * thread takes turns at the write lock. Transactions then wait for the lock without blocking
   * the event loop, and the `yielding` side lets the other go first (store/write-turns.ts).
   */
  writeTurns?: WriteTurns | undefined;
}

interface AppRole {
  name: string;
  password?: string | undefined;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where the data lives, for banners and logs (never includes a password). */
  readonly location: string;
  /**
   * Runs `fn` in one transaction; nested calls become savepoints of the outer one. With
   * `unsynced`, the commit does not wait for the disk (see `unsynced` below for why that loses
   * nothing a power cut would not undo as a whole): for work whose every effect and acknowledgement
   * commit together, so a forgotten commit is simply done again.
   */
  transaction<T>(
    fn: (trx: Transaction<Database>) => Promise<T>,
    options?: { unsynced?: boolean },
  ): Promise<T>;
  /**
   * Runs `fn`'s writes without waiting for the disk at their commit. Both databases write one
   * sequential log, so a power loss can forget these writes only together with everything
   * committed after them, and the next ordinary commit makes them durable. For bookkeeping whose
   * loss is harmless (a job's claim and lease, which a crash gives up anyway), never for anything a
   * caller is told has been stored. `fn` must use the runner it is given, not `db`.
   */
  unsynced<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Applies pending migrations. On PostgreSQL, `appRole` also creates the application's role when
   * missing (login, no BYPASSRLS, owns nothing) and grants it data access to this schema; run it
   * connected as the schema's owner.
   */
  migrate(options?: { appRole?: AppRole | undefined }): Promise<{ applied: string[] }>;
  /** The connected role, and whether row-level security binds it (null on SQLite, which has none). */
  connectedRole(): Promise<{ name: string; bypassesRowSecurity: boolean } | null>;
  /**
   * Whether PostgreSQL accepts this process's signed data scope (false: the database holds no scope
   * key of this master key, so every tenant row would stay invisible); null on SQLite.
   */
  acceptsDataScope(): Promise<boolean | null>;
  /**
   * Milliseconds this connection has waited for SQLite's write lock so far (another thread of the
   * process held it; see store/write-turns.ts); 0 when it shares the lock with no other thread.
   * A worker subtracts it to size its sets by the time they hold the lock, not the time they waited.
   */
  lockWaitMs?(): number;
  /**
   * SQLite with a file: makes every commit made so far durable, on libuv's thread pool instead of
   * the committing thread (store/sqlite/log-sync.ts). A caller that commits with `unsynced` and
   * answers only after this resolves has the durability of a synced commit without stopping its
   * thread for the disk. Absent on PostgreSQL (its commits wait without blocking the thread) and
   * for an in-memory database.
   */
  syncLog?(): Promise<void>;
  /** Quick liveness probe for /readyz. */
  ping(): Promise<void>;
  destroy(): Promise<void>;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres';
  }
}

/** Opens the configured database. Call `migrate()` before first use. */
export function createStore(options: StoreOptions): Store {
  let db: Kysely<Database>;
  let dialect: DialectName;
  let location: string;
  let direct: DirectRunner | null = null;
  let scopeKey: ScopeKey | undefined;
  let syncLog: LogSync | undefined;
  if (options.databaseUrl) {
    dialect = 'postgres';
    let url = options.databaseUrl;
    if (options.schema) {
      const parsed = new URL(url);
      parsed.searchParams.set('options', `-c search_path=${options.schema}`);
      url = parsed.toString();
    }
    scopeKey = options.masterKey ? deriveScopeKey(options.masterKey) : undefined;
    const { dialect: pgDialect } = createPostgresDialect(url, { max: options.poolSize, scopeKey });
    db = new Kysely<Database>({ dialect: pgDialect });
    location = redact(options.databaseUrl) + (options.schema ? ` (schema ${options.schema})` : '');
  } else {
    dialect = 'sqlite';
    const file = options.sqliteFile ?? join(options.dataDir ?? './data', 'leadloop.db');
    const sqlite = createNodeSqlite(file, options.writeTurns);
    db = new Kysely<Database>({ dialect: sqlite.dialect });
    direct = sqlite.run;
    location = file;
    if (file !== ':memory:') syncLog = createLogSync(`${file}-wal`);
  }

  /** PostgreSQL: one transaction whose commit returns before its log is flushed. */
  const unsyncedTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return fn(trx);
    });
  /**
   * SQLite: `fn` with the connection's commits unsynced. The setting is per connection, and the
   * connection is held until it is restored, so no other caller's commit runs unsynced.
   */
  const withNormalSync = async <T>(connection: Kysely<Database>, fn: () => Promise<T>): Promise<T> => {
    await sql`pragma synchronous = normal`.execute(connection);
    try {
      return await fn();
    } finally {
      await sql`pragma synchronous = full`.execute(connection);
    }
  };

  return {
    db,
    dialect,
    location,
    transaction: (fn, transactionOptions) => {
      if (!transactionOptions?.unsynced)
        return db
          .transaction()
          .execute((trx) => (direct ? withDirectRunner(trx, direct, () => fn(trx)) : fn(trx)));
      if (dialect === 'postgres') return unsyncedTransaction(fn);
      const runner = direct as DirectRunner;
      // Setting it takes no write lock; BEGIN takes its turn as any transaction does.
      return db
        .connection()
        .execute((connection) =>
          withNormalSync(connection, () =>
            connection.transaction().execute((trx) => withDirectRunner(trx, runner, () => fn(trx))),
          ),
        );
    },
    unsynced: (fn) =>
      dialect === 'postgres'
        ? unsyncedTransaction(fn)
        : // Its writes take the lock statement by statement (busy_timeout), so the yielding thread
          // first lets the other thread's waiting commit go, and keeps its turn (if it claimed one)
          // until its statements ran (store/write-turns.ts).
          db.connection().execute(async (connection) => {
            await options.writeTurns?.before();
            try {
              return await withNormalSync(connection, () => fn(connection));
            } finally {
              options.writeTurns?.after(0);
            }
          }),
    async migrate(migrateOptions) {
      if (dialect === 'postgres' && options.schema) {
        await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
      }
      const migrations = migrationsFor(dialect);
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => migrations },
        migrationTableName: 'leadloop_migrations',
        migrationLockTableName: 'leadloop_migrations_lock',
        // Kysely looks the migration tables up by name across all schemas unless told which one.
        ...(dialect === 'postgres' ? { migrationTableSchema: options.schema ?? 'public' } : {}),
        // A database migrated by an earlier release may lack a migration numbered below its newest
        // (numbers are handed out in ranges); each migration is written to apply after later ones.
        allowUnorderedMigrations: true,
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      if (dialect === 'postgres' && scopeKey) await provisionScopeKey(db, scopeKey);
      if (dialect === 'postgres' && migrateOptions?.appRole)
        await provisionAppRole(db, options.schema ?? 'public', migrateOptions.appRole);
      return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    },
    async connectedRole() {
      if (dialect !== 'postgres') return null;
      const { rows } = await sql<{ name: string; bypasses: boolean }>`
        select rolname as name, (rolsuper or rolbypassrls) as bypasses from pg_roles where rolname = current_user`.execute(
        db,
      );
      const row = rows[0];
      return row ? { name: row.name, bypassesRowSecurity: row.bypasses } : null;
    },
    async acceptsDataScope() {
      if (dialect !== 'postgres') return null;
      if (!scopeKey) return false;
      const probe = 'ws_scope_probe';
      const { rows } = await inWorkspace(probe, () =>
        sql<{ scope: string[] }>`select leadloop_scope_workspaces() as scope`.execute(db),
      );
      return rows[0]?.scope?.join(',') === probe;
    },
    lockWaitMs: () => options.writeTurns?.waitedMs() ?? 0,
    ...(syncLog ? { syncLog } : {}),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async destroy() {
      await syncLog?.close();
      await db.destroy();
    },
  };
}

/**
 * The application's role: it can log in and read and write data, but owns no table and has no
 * BYPASSRLS, so every tenant table's policy binds it. Role creation is serialised with an advisory
 * lock because roles are cluster-wide and several schemas may be migrated at once.
 */
async function provisionAppRole(db: Kysely<Database>, schema: string, role: AppRole): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role.name))
    throw new LeadloopError('validation_failed', `invalid role name "${role.name}"`);
  const name = sql.id(role.name);
  const target = sql.id(schema);
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('leadloop.app_role'))`.execute(trx);
    const { rows } = await sql<{ bypasses: boolean }>`
      select (rolsuper or rolbypassrls) as bypasses from pg_roles where rolname = ${role.name}`.execute(trx);
    if (rows.length === 0)
      await sql`create role ${name} login nosuperuser nocreatedb nocreaterole noinherit nobypassrls`.execute(
        trx,
      );
    else if (rows[0]?.bypasses)
      throw new LeadloopError(
        'forbidden',
        `role ${role.name} bypasses row-level security; the application must not use it`,
      );
    if (role.password) await sql`alter role ${name} password ${sql.lit(role.password)}`.execute(trx);
    await sql`grant usage on schema ${target} to ${name}`.execute(trx);
    // Grants come from one allow-list (app-role-grants.ts); a table without a decision gets nothing.
    await sql`revoke all on all tables in schema ${target} from ${name}`.execute(trx);
    const { rows: tables } = await sql<{ name: string }>`
      select tablename as name from pg_tables where schemaname = ${schema}`.execute(trx);
    for (const table of tables) {
      const privileges = APP_ROLE_GRANTS[table.name] ?? [];
      if (privileges.length > 0)
        await sql`grant ${sql.raw(privileges.join(', '))} on ${sql.table(`${schema}.${table.name}`)} to ${name}`.execute(
          trx,
        );
    }
    await sql`grant usage, select on all sequences in schema ${target} to ${name}`.execute(trx);
    for (const fn of [
      'audit_lock_head(text)',
      'audit_append(text, jsonb, text)',
      'audit_reseal(text, jsonb)',
    ])
      await sql`grant execute on function ${sql.raw(`"${schema.replaceAll('"', '""')}".${fn}`)} to ${name}`.execute(
        trx,
      );
    // Keys are reached only through the definer functions of migration 012 (one row per hash).
    await sql`revoke all on ${sql.table(`${schema}.api_keys`)}, ${sql.table(`${schema}.widget_keys`)} from public`.execute(
      trx,
    );
    // Console accounts before a workspace is known: one row per e-mail or token (migration 016);
    // webhook secrets and settings written only through checking functions (migration 017).
    for (const fn of [
      ...CREDENTIAL_FUNCTIONS,
      ...KEY_MANAGEMENT_FUNCTIONS,
      ...CONSOLE_ACCOUNT_FUNCTIONS,
      ...SETTINGS_FUNCTIONS,
      ...DIRECTORY_FUNCTIONS,
    ])
      await sql`grant execute on function ${sql.raw(`"${schema.replaceAll('"', '""')}".${fn}`)} to ${name}`.execute(
        trx,
      );
    // The signed data scope (migration 013): the role may verify a scope, never read the key.
    await sql`revoke all on ${sql.table(`${schema}.scope_keys`)} from public`.execute(trx);
    for (const fn of SCOPE_FUNCTIONS)
      await sql`grant execute on function ${sql.raw(`"${schema.replaceAll('"', '""')}".${fn}`)} to ${name}`.execute(
        trx,
      );
  });
}

/** Stores the data-scope key's HMAC pads for the definer function that verifies scopes (migration 013). */
async function provisionScopeKey(db: Kysely<Database>, key: ScopeKey): Promise<void> {
  const { ipad, opad } = key.pads();
  await sql`insert into scope_keys (id, ipad, opad, created_at)
    values (${key.id}, ${ipad}, ${opad}, ${Date.now()}) on conflict (id) do nothing`.execute(db);
}
