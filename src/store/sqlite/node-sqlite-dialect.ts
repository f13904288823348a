import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { CompiledQuery, type DatabaseConnection, SqliteDialect, SqliteDriver } from 'kysely';
import { LeadloopError } from '../../core/index.ts';
import type { DirectRunner } from '../direct-runner.ts';
import type { WriteTurns } from '../write-turns.ts';

/** Kysely's SQLite statement shape, implemented over `node:sqlite` (built in; no native compile). */
interface KyselySqliteStatement {
  readonly reader: boolean;
  all(parameters: ReadonlyArray<unknown>): unknown[];
  run(parameters: ReadonlyArray<unknown>): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(parameters: ReadonlyArray<unknown>): IterableIterator<unknown>;
}

type SqlValue = null | number | bigint | string | Uint8Array;

function toSqlValues(parameters: ReadonlyArray<unknown>): SqlValue[] {
  return parameters.map((p) => {
    if (p === undefined) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    return p as SqlValue;
  });
}

/** Wraps a node:sqlite database, caching prepared statements by SQL text. */
function wrapDatabase(db: DatabaseSync) {
  const cache = new Map<string, KyselySqliteStatement>();
  const wrap = (statement: StatementSync): KyselySqliteStatement => ({
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...toSqlValues(parameters)),
    run: (parameters) => statement.run(...toSqlValues(parameters)),
    iterate: (parameters) => statement.iterate(...toSqlValues(parameters)) as IterableIterator<unknown>,
  });
  return {
    close: () => db.close(),
    prepare(sqlText: string): KyselySqliteStatement {
      let statement = cache.get(sqlText);
      if (!statement) {
        statement = wrap(db.prepare(sqlText));
        // Statements are finalised only when V8 collects them, which it does lazily since it does
        // not see their native size; so they are kept and reused (multi-row statements come in
        // fixed sizes, see fixedChunks) rather than prepared per call.
        if (cache.size >= 500) cache.clear();
        cache.set(sqlText, statement);
      }
      return statement;
    },
  };
}

const BUSY_TIMEOUT_MS = 10_000;
const SQLITE_BUSY = 5;
const isBusy = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { errcode?: number }).errcode === SQLITE_BUSY;

/**
 * Writers take the lock when the transaction begins (`BEGIN IMMEDIATE`): a deferred transaction that
 * reads and then writes fails at once with SQLITE_BUSY when another process (the CLI beside a
 * running server) wrote in between, whereas an immediate one waits on busy_timeout.
 *
 * With `turns` (two threads of one process share the file, see store/write-turns.ts) the wait is
 * asynchronous instead: `node:sqlite` is synchronous, so busy_timeout would stop the thread's event
 * loop for as long as the other thread holds the lock, and the HTTP thread must keep reading
 * requests meanwhile (they join its next group commit). So BEGIN is tried without a busy timeout
 * and retried after a millisecond on SQLITE_BUSY; once it holds the lock, no statement of the
 * transaction can be busy.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #turns: WriteTurns | undefined;
  constructor(config: ConstructorParameters<typeof SqliteDriver>[0], turns: WriteTurns | undefined) {
    super(config);
    this.#turns = turns;
  }
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const turns = this.#turns;
    if (!turns) {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      return;
    }
    const deadline = performance.now() + BUSY_TIMEOUT_MS;
    let busyTries = 0;
    await turns.before();
    try {
      await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
      try {
        for (;;) {
          try {
            await connection.executeQuery(CompiledQuery.raw('begin immediate'));
            return;
          } catch (error) {
            if (!isBusy(error) || performance.now() > deadline)
              throw new LeadloopError('unavailable', 'the database stayed locked', {
                cause: error,
                retryable: true,
              });
            busyTries++;
          }
          await new Promise((resolve) => setTimeout(resolve, 1));
          await turns.before();
        }
      } finally {
        await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`));
      }
    } finally {
      turns.after(busyTries);
    }
  }
}

class NodeSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  readonly #turns: WriteTurns | undefined;
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0], turns: WriteTurns | undefined) {
    super(config);
    this.#config = config;
    this.#turns = turns;
  }
  override createDriver() {
    return new ImmediateSqliteDriver(this.#config, this.#turns);
  }
}

/**
 * The database holds every tenant's leads: only its owner may read it. SQLite creates files 0644
 * less the umask and gives `-wal` and `-shm` the main file's mode, so the file is created (or an
 * existing one tightened) 0600 before SQLite opens it; a chmod after opening would race the
 * sidecars' creation. Sidecars left from an earlier run are tightened too.
 */
function restrictFiles(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`])
    if (existsSync(path)) chmodSync(path, 0o600);
}

/**
 * Opens (creating if needed) a SQLite file with WAL and synchronous=FULL, so a committed
 * transaction survives power loss, and a busy timeout so other processes wait instead of failing.
 * `:memory:` is accepted for tests. `run` executes on the same connection and statement cache
 * without Kysely's executor, for a caller that holds the connection (see store/direct-runner.ts).
 */
export function createNodeSqlite(
  file: string,
  turns?: WriteTurns,
): { dialect: SqliteDialect; run: DirectRunner } {
  if (file !== ':memory:') restrictFiles(file);
  const db = new DatabaseSync(file);
  db.exec('pragma journal_mode = wal');
  db.exec('pragma synchronous = full');
  db.exec(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.exec('pragma foreign_keys = on');
  // Statement journals (a multi-row statement inside a larger transaction keeps one, to undo
  // itself alone) and sort b-trees stay in memory: as files they were half the bytes a drained
  // lead wrote (19.5 against 35.8 KiB) and a write call per page, and the drain ran 8-20% faster
  // without them (four pairs) (docs/decisions/2026-12-07-one-writer.md, "Temporary files").
  db.exec('pragma temp_store = memory');
  // Deleted rows are overwritten with zeros, not left in free pages (erasure; Node's SQLite is
  // built without SQLITE_SECURE_DELETE and the setting is per connection).
  db.exec('pragma secure_delete = on');
  const wrapped = wrapDatabase(db);
  // As Kysely's SQLite connection runs a statement, minus its promise.
  const run: DirectRunner = (sqlText, parameters) => {
    const statement = wrapped.prepare(sqlText);
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  };
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's SqliteDatabase type is satisfied structurally
  return { dialect: new NodeSqliteDialect({ database: wrapped as any }, turns), run };
}
