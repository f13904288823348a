import { SqliteAdapter } from 'kysely';
import type { Db } from './database.ts';
import type { DialectName } from './dialect-name.ts';

/**
 * The dialect behind a handle (a database or one of its transactions), for the few statements
 * that only one dialect needs: both dialects' adapters are created once per Kysely instance and
 * transactions share them.
 */
export function dialectOf(db: Db): DialectName {
  return db.getExecutor().adapter instanceof SqliteAdapter ? 'sqlite' : 'postgres';
}
