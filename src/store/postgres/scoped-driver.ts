import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Driver,
  type Kysely,
  PostgresDialect,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { currentDataScope, type DataScope, unreachable } from '../../core/index.ts';
import { SearchPathIntrospector } from './search-path-introspector.ts';

/*
 * Row-level security reads two transaction-local settings. Setting them with `is_local = true`
 * means they vanish at commit or rollback, so a pooled connection can never carry one request's
 * workspace into the next.
 */
const SET_SCOPE = `select set_config('app.workspace_id', $1, true), set_config('app.scheduler', $2, true)`;
const BEGIN = CompiledQuery.raw('begin');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');

/** The settings for a scope, as one comparable key; `''` is "no scope" (sees no tenant rows). */
function scopeKey(scope: DataScope | undefined): string {
  if (!scope) return '';
  return scope.kind === 'scheduler' ? '\u0000scheduler' : scope.workspaceIds.join(',');
}

function setScope(key: string): CompiledQuery {
  const scheduler = key === '\u0000scheduler';
  return CompiledQuery.raw(SET_SCOPE, [scheduler ? '' : key, scheduler ? 'on' : '']);
}

/**
 * A connection that applies the caller's data scope (from AsyncLocalStorage) before each query.
 * Inside a transaction it sets the scope when it differs from the one already applied, so a batch
 * transaction can run jobs of several workspaces, each under its own. Outside a transaction a
 * scoped query is wrapped in its own short transaction, since a local setting needs one.
 */
class ScopedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  inTransaction = false;
  /** The scope key in force in the open transaction; `undefined` when unknown (after a rollback to a savepoint). */
  applied: string | undefined = '';

  constructor(inner: DatabaseConnection) {
    this.inner = inner;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const key = scopeKey(currentDataScope());
    if (this.inTransaction) {
      if (this.applied !== key) {
        await this.inner.executeQuery(setScope(key));
        this.applied = key;
      }
      try {
        return await this.inner.executeQuery<R>(query);
      } finally {
        // Rolling back to a savepoint also undoes a setting made after it; apply it again next time.
        if (/^\s*rollback\s+to/i.test(query.sql)) this.applied = undefined;
      }
    }
    if (key === '') return this.inner.executeQuery<R>(query);
    await this.inner.executeQuery(BEGIN);
    try {
      await this.inner.executeQuery(setScope(key));
      const result = await this.inner.executeQuery<R>(query);
      await this.inner.executeQuery(COMMIT);
      return result;
    } catch (error) {
      await this.inner.executeQuery(ROLLBACK).catch(() => {});
      throw error;
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    if (scopeKey(currentDataScope()) !== '' && !this.inTransaction)
      unreachable('streamed queries with a data scope must run inside a transaction');
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

class ScopedDriver implements Driver {
  readonly #inner: Driver;
  constructor(inner: Driver) {
    this.#inner = inner;
  }
  init() {
    return this.#inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new ScopedConnection(await this.#inner.acquireConnection());
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const scoped = connection as ScopedConnection;
    await this.#inner.beginTransaction(scoped.inner, settings);
    scoped.inTransaction = true;
    scoped.applied = '';
  }
  async commitTransaction(connection: DatabaseConnection) {
    const scoped = connection as ScopedConnection;
    try {
      await this.#inner.commitTransaction(scoped.inner);
    } finally {
      scoped.inTransaction = false;
    }
  }
  async rollbackTransaction(connection: DatabaseConnection) {
    const scoped = connection as ScopedConnection;
    try {
      await this.#inner.rollbackTransaction(scoped.inner);
    } finally {
      scoped.inTransaction = false;
    }
  }
  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    await this.#inner.savepoint?.((connection as ScopedConnection).inner, name, compile);
  }
  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    const scoped = connection as ScopedConnection;
    await this.#inner.rollbackToSavepoint?.(scoped.inner, name, compile);
    scoped.applied = undefined;
  }
  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ) {
    await this.#inner.releaseSavepoint?.((connection as ScopedConnection).inner, name, compile);
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.#inner.releaseConnection((connection as ScopedConnection).inner);
  }
  destroy() {
    return this.#inner.destroy();
  }
}

/** The PostgreSQL dialect with every query run under the caller's data scope. */
export class ScopedPostgresDialect extends PostgresDialect {
  override createDriver(): Driver {
    return new ScopedDriver(super.createDriver());
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}
