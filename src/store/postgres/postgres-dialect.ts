import type pg from 'pg';
import { lazyModule } from '../../core/index.ts';
import type { ScopeKey } from './scope-signature.ts';
import { ScopedPostgresDialect } from './scoped-driver.ts';

// The driver loads when a PostgreSQL store opens: the embedded (SQLite) server's two threads never
// need it (about 3 MiB of heap each; core/lazy-module.ts).
const pgDriver = lazyModule<typeof pg>('pg');

/**
 * PostgreSQL through `pg`, every query under the caller's data scope (see `scoped-driver.ts`).
 * int8 (bigint) columns hold epoch milliseconds, which fit a double exactly, so they are parsed
 * to numbers; the SQLite dialect returns the same values.
 */
export function createPostgresDialect(
  connectionString: string,
  options: { max?: number; scopeKey?: ScopeKey | undefined; now?: () => number } = {},
): {
  dialect: ScopedPostgresDialect;
  pool: pg.Pool;
} {
  const driver = pgDriver();
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === 20) return (value: string) => Number(value);
      // biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not accept a union format
      return driver.types.getTypeParser(oid, format as any);
    },
  };
  const pool = new driver.Pool({ connectionString, max: options.max ?? 10, types });
  // A client that loses its server must not crash the process: the pool reports idle ones here,
  // and a checked-out one (the pool removes its listener while lent) fails its query, is released
  // as unusable and replaced. Found by killing the database sessions under load (scale-out test).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const scope = { key: options.scopeKey, ...(options.now ? { now: options.now } : {}) };
  return { dialect: new ScopedPostgresDialect({ pool }, scope), pool };
}
