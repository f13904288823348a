import { join } from 'node:path';
import { Kysely, Migrator, sql, type Transaction } from 'kysely';
import type { DialectName } from './dialect-name.ts';
import { migrationsFor } from './migrations/index.ts';
import { createPostgresDialect } from './postgres/postgres-dialect.ts';
import type { Database } from './schema.ts';
import { createNodeSqliteDialect } from './sqlite/node-sqlite-dialect.ts';

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
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Where the data lives, for banners and logs (never includes a password). */
  readonly location: string;
  /** Runs `fn` in one transaction; nested calls become savepoints of the outer one. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  migrate(): Promise<{ applied: string[] }>;
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
  if (options.databaseUrl) {
    dialect = 'postgres';
    let url = options.databaseUrl;
    if (options.schema) {
      const parsed = new URL(url);
      parsed.searchParams.set('options', `-c search_path=${options.schema}`);
      url = parsed.toString();
    }
    const { dialect: pgDialect } = createPostgresDialect(url, { max: options.poolSize });
    db = new Kysely<Database>({ dialect: pgDialect });
    location = redact(options.databaseUrl) + (options.schema ? ` (schema ${options.schema})` : '');
  } else {
    dialect = 'sqlite';
    const file = options.sqliteFile ?? join(options.dataDir ?? './data', 'leadloop.db');
    db = new Kysely<Database>({ dialect: createNodeSqliteDialect(file) });
    location = file;
  }

  return {
    db,
    dialect,
    location,
    transaction: (fn) => db.transaction().execute(fn),
    async migrate() {
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
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    destroy: () => db.destroy(),
  };
}
