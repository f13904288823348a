import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import type { DialectName } from '../../src/store/dialect-name.ts';
import { createStore, type Store } from '../../src/store/index.ts';
import { migrationsFor } from '../../src/store/migrations/index.ts';

const run = promisify(execFile);

/** What the migrations build: the full schema after all of them, then a hash after each down(). */
export interface SchemaDump {
  schema: string;
  /** `<migration undone>: <sha256 of the schema left behind>`, newest first. */
  downSteps: string[];
}

/**
 * Migrates a fresh database of `dialect` to the latest schema and dumps it, then runs every
 * `down()` newest first and hashes what each leaves. On SQLite the dump is sqlite_master; on PostgreSQL `pg_dump --schema-only`
 * (tables, indexes, functions, triggers, policies, grants) with the random schema name replaced.
 */
export async function dumpMigratedSchema(dialect: DialectName): Promise<SchemaDump> {
  const schema = `frozen_${randomBytes(6).toString('hex')}`;
  const store =
    dialect === 'sqlite'
      ? createStore({ sqliteFile: ':memory:' })
      : createStore({ databaseUrl: process.env.TEST_DATABASE_URL, schema, poolSize: 1 });
  const dump = dialect === 'sqlite' ? () => dumpSqlite(store.db) : () => dumpPostgres(schema);
  try {
    await store.migrate();
    const full = await dump();
    // Every down(), newest first, each in a transaction as the migrator runs it; one that fails is
    // recorded with its error (and rolled back), and the ones before it still run.
    const migrations = Object.entries(migrationsFor(dialect)).sort(([a], [b]) => b.localeCompare(a));
    const downSteps: string[] = [];
    for (const [name, migration] of migrations) {
      if (!migration.down) continue;
      const down = migration.down;
      const failure = await store.db
        .transaction()
        .execute((trx) => down(trx))
        .then(
          () => '',
          (error: unknown) => ` (failed: ${error instanceof Error ? error.message : String(error)})`,
        );
      downSteps.push(
        `${name}${failure}: ${createHash('sha256')
          .update(await dump())
          .digest('hex')}`,
      );
    }
    return { schema: full, downSteps };
  } finally {
    if (dialect === 'postgres') await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
    await store.destroy();
  }
}

async function dumpSqlite(db: Store['db']): Promise<string> {
  const { rows } = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
    select type, name, tbl_name, sql from sqlite_master order by type, name`.execute(db);
  return rows.map((r) => `-- ${r.type} ${r.name} on ${r.tbl_name}\n${r.sql ?? ''};\n`).join('\n');
}

async function dumpPostgres(schema: string): Promise<string> {
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.search = '';
  const { stdout } = await run('pg_dump', ['--schema-only', `--schema=${schema}`, url.toString()], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return (
    stdout
      .split('\n')
      // The server and client versions are the machine's, and \restrict carries a random key.
      .filter((line) => !/^(-- Dumped (from|by)|\\(un)?restrict )/.test(line))
      .join('\n')
      .replaceAll(schema, 'SCHEMA')
  );
}
