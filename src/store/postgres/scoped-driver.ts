import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Driver,
  type Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { currentDataScope, type DataScope, invariant, unreachable } from '../../core/index.ts';
import { SCHEDULER_SUBJECT, type ScopeKey, scopeProof, scopeProofExpiry } from './scope-signature.ts';
import { SearchPathIntrospector } from './search-path-introspector.ts';

/*
 * Row-level security reads three settings: the scope and its proof (an HMAC bound to this backend,
 * see `scope-signature.ts`), so a session that sets the scope without the key sees nothing.
 *
 * Inside a transaction they are set transaction-local (`is_local = true`): they vanish at commit or
 * rollback. A statement outside a transaction runs under settings of the session instead, set
 * (`is_local = false`) only when the backend's differ from the statement's scope, so a run of reads
 * in one workspace costs one round trip each instead of three (BEGIN with the settings, the read,
 * COMMIT). The driver knows what each backend holds (`SessionScope`), and every statement it sends
 * outside a transaction first makes the session's scope its own, the empty one included: a pooled
 * connection never lends one caller's workspace to the next. A transaction starts from the
 * session's settings, so it sets its own whenever they differ, the empty scope included.
 */
const SET_SCOPE = (workspaces: string, scheduler: string, proof: string, local: boolean) =>
  `select set_config('app.workspace_id', ${workspaces}, ${local}), set_config('app.scheduler', ${scheduler}, ${local}), set_config('app.scope_proof', ${proof}, ${local})`;
/** No scope: the empty settings (an empty proof verifies nothing). */
const CLEAR_SCOPE = (local: boolean) => SET_SCOPE("''", "''", "''", local);
/** A session's signed scope is used again only while its proof has at least this long to live. */
const SESSION_PROOF_MARGIN_MS = 60_000;
const BACKEND_PID = CompiledQuery.raw('select pg_backend_pid() as pid');

/** The settings for a scope, as one comparable key; `''` is "no scope" (sees no tenant rows). */
function scopeKey(scope: DataScope | undefined): string {
  if (!scope) return '';
  return scope.kind === 'scheduler' ? '\u0000scheduler' : scope.workspaceIds.join(',');
}

/**
 * The scope a backend's session settings hold, for statements outside a transaction: its key and
 * when its proof expires. `undefined` key: unknown (a statement that set it failed), set again.
 */
interface SessionScope {
  key: string | undefined;
  expiresAt: number;
}

/** Signs scopes for one backend; the pid is asked once per pooled connection, not per transaction. */
interface ScopeSigning {
  key: ScopeKey | undefined;
  now: () => number;
  pids: WeakMap<DatabaseConnection, number>;
  /** Per pooled connection; none yet: a new backend, which holds no scope. */
  sessions: WeakMap<DatabaseConnection, SessionScope>;
}

/** The session scope of `connection` (a new backend's is the empty one). */
function sessionOf(signing: ScopeSigning, connection: DatabaseConnection): SessionScope {
  let session = signing.sessions.get(connection);
  if (!session) {
    session = { key: '', expiresAt: Number.POSITIVE_INFINITY };
    signing.sessions.set(connection, session);
  }
  return session;
}

/** Whether the session already holds `key`, with a proof that outlives the margin. */
function holds(signing: ScopeSigning, session: SessionScope, key: string): boolean {
  return session.key === key && session.expiresAt - signing.now() >= SESSION_PROOF_MARGIN_MS;
}

/** A string literal; the values are ids and signatures, and a backslash would need E'' quoting. */
function literal(value: string): string {
  invariant(!value.includes('\\'), 'a data scope value holds no backslash');
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The statement that applies a scope, with its values written in: a statement without parameters
 * goes over the simple query protocol, which takes several statements in one round trip.
 */
async function scopeStatement(
  signing: ScopeSigning,
  connection: DatabaseConnection,
  key: string,
  local = true,
): Promise<string> {
  if (key === '') return CLEAR_SCOPE(local);
  invariant(
    signing.key,
    'a data scope on PostgreSQL is signed with the master key: pass `masterKey` to createStore',
  );
  let pid = signing.pids.get(connection);
  if (pid === undefined) {
    const { rows } = await connection.executeQuery<{ pid: number }>(BACKEND_PID);
    pid = Number(rows[0]?.pid);
    signing.pids.set(connection, pid);
  }
  const scheduler = key === '\u0000scheduler';
  const proof = scopeProof(signing.key, scheduler ? SCHEDULER_SUBJECT : key, pid, signing.now());
  return SET_SCOPE(literal(scheduler ? '' : key), scheduler ? "'on'" : "''", literal(proof), local);
}

/** Makes the session settings of `connection` hold `key` (outside a transaction). */
async function setSessionScope(
  signing: ScopeSigning,
  connection: DatabaseConnection,
  session: SessionScope,
  key: string,
): Promise<void> {
  const expiresAt = key === '' ? Number.POSITIVE_INFINITY : scopeProofExpiry(signing.now());
  const statement = await scopeStatement(signing, connection, key, false);
  // Until it is known to have run, the backend may hold either scope.
  session.key = undefined;
  await connection.executeQuery(CompiledQuery.raw(statement));
  session.key = key;
  session.expiresAt = expiresAt;
}

/** The statement that opens a transaction with these settings (as Kysely's PostgreSQL driver words it). */
function beginStatement(settings: TransactionSettings): string {
  if (!settings.isolationLevel && !settings.accessMode) return 'begin';
  return [
    'start transaction',
    settings.isolationLevel && `isolation level ${settings.isolationLevel}`,
    settings.accessMode,
  ]
    .filter(Boolean)
    .join(' ');
}

/** `set local …` without parameters: it returns nothing, so it can travel with the BEGIN. */
const SET_LOCAL = /^\s*set\s+local\s/i;

/**
 * A connection that applies the caller's data scope (from AsyncLocalStorage) before each query.
 * Inside a transaction it sets the scope when it differs from the one already applied, so a batch
 * transaction can run jobs of several workspaces, each under its own. Outside a transaction a
 * query runs under the session's settings, made the query's scope first when they are not.
 *
 * Round trips: BEGIN is held back until the transaction's first statement and sent with the
 * scope's settings (and a leading `set local`) as one simple query, or alone when the session
 * already holds the scope; a read outside a transaction costs one round trip when the backend's
 * previous statement had its scope, two when not. A transaction that runs no statement sends
 * nothing at all.
 */
class ScopedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #signing: ScopeSigning;
  inTransaction = false;
  /** The scope key in force in the open transaction; `undefined` when unknown (after a rollback to a savepoint). */
  applied: string | undefined = '';
  /** The BEGIN not sent yet (null: sent, or no transaction). */
  pendingBegin: string | null = null;

  constructor(inner: DatabaseConnection, signing: ScopeSigning) {
    this.inner = inner;
    this.#signing = signing;
  }

  /** Sends the held-back BEGIN with the settings of `key` and, when given, a `set local` statement. */
  async begin(key: string, setLocal?: string): Promise<void> {
    const statements = [this.pendingBegin as string];
    this.pendingBegin = null;
    // The transaction starts from the session's settings: kept when they are its scope.
    if (!holds(this.#signing, sessionOf(this.#signing, this.inner), key))
      statements.push(await scopeStatement(this.#signing, this.inner, key));
    if (setLocal) statements.push(setLocal);
    await this.inner.executeQuery(CompiledQuery.raw(statements.join('; ')));
    this.applied = key;
  }

  /** Outside a transaction: makes the session's settings hold `key`, unless they already do. */
  async applySessionScope(key: string): Promise<void> {
    const session = sessionOf(this.#signing, this.inner);
    if (!holds(this.#signing, session, key)) await setSessionScope(this.#signing, this.inner, session, key);
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const key = scopeKey(currentDataScope());
    if (this.inTransaction) {
      if (this.pendingBegin !== null) {
        if (query.parameters.length === 0 && SET_LOCAL.test(query.sql)) {
          await this.begin(key, query.sql);
          return { rows: [] };
        }
        await this.begin(key);
      }
      if (this.applied !== key) {
        await this.inner.executeQuery(
          CompiledQuery.raw(await scopeStatement(this.#signing, this.inner, key)),
        );
        this.applied = key;
      }
      try {
        return await this.inner.executeQuery<R>(query);
      } finally {
        // Rolling back to a savepoint also undoes a setting made after it; apply it again next time.
        if (/^\s*rollback\s+to/i.test(query.sql)) this.applied = undefined;
      }
    }
    await this.applySessionScope(key);
    return this.inner.executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<R>> {
    const key = scopeKey(currentDataScope());
    if (key !== '' && !this.inTransaction)
      unreachable('streamed queries with a data scope must run inside a transaction');
    if (this.pendingBegin !== null) await this.begin(key);
    else if (!this.inTransaction) await this.applySessionScope(key);
    yield* this.inner.streamQuery<R>(query, chunkSize);
  }
}

class ScopedDriver implements Driver {
  readonly #inner: Driver;
  readonly #signing: ScopeSigning;
  constructor(inner: Driver, signing: ScopeSigning) {
    this.#inner = inner;
    this.#signing = signing;
  }
  init() {
    return this.#inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new ScopedConnection(await this.#inner.acquireConnection(), this.#signing);
  }
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const scoped = connection as ScopedConnection;
    scoped.pendingBegin = beginStatement(settings);
    scoped.inTransaction = true;
    scoped.applied = '';
  }
  commitTransaction(connection: DatabaseConnection) {
    return this.#end(connection as ScopedConnection, (inner) => this.#inner.commitTransaction(inner));
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.#end(connection as ScopedConnection, (inner) => this.#inner.rollbackTransaction(inner));
  }
  /** Ends the transaction with `end` (commit or rollback) on the server, if one was opened there. */
  async #end(scoped: ScopedConnection, end: (inner: DatabaseConnection) => Promise<void>): Promise<void> {
    try {
      // Nothing ran: no transaction was opened on the server, so there is nothing to end.
      if (scoped.pendingBegin === null) await end(scoped.inner);
    } finally {
      scoped.inTransaction = false;
      scoped.pendingBegin = null;
    }
  }
  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    const scoped = connection as ScopedConnection;
    if (scoped.pendingBegin !== null) await scoped.begin(scopeKey(currentDataScope()));
    await this.#inner.savepoint?.(scoped.inner, name, compile);
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
  readonly #signing: ScopeSigning;
  constructor(config: PostgresDialectConfig, scope: { key: ScopeKey | undefined; now?: () => number }) {
    super(config);
    this.#signing = {
      key: scope.key,
      now: scope.now ?? Date.now,
      pids: new WeakMap(),
      sessions: new WeakMap(),
    };
  }

  override createDriver(): Driver {
    return new ScopedDriver(super.createDriver(), this.#signing);
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}
