import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import type { Store } from '../../src/store/index.ts';

/** Every table of the database, read from the catalog (not a hand-written list). */
export async function schemaTables(db: Store['db'], dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
      : await sql<{
          name: string;
        }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(
          db,
        );
  return rows.map((r) => r.name).sort();
}

/** Each table whose rows (any workspace, as the owner sees them) contain one of the needles. */
export async function findInTables(
  db: Store['db'],
  tables: readonly string[],
  needles: readonly string[],
): Promise<{ table: string; needle: string; excerpt: string }[]> {
  const found: { table: string; needle: string; excerpt: string }[] = [];
  for (const table of tables) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    const text = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)).toLowerCase();
    for (const needle of needles) {
      const at = text.indexOf(needle.toLowerCase());
      if (at >= 0) found.push({ table, needle, excerpt: text.slice(Math.max(0, at - 120), at + 60) });
    }
  }
  return found;
}

/** Needles found in raw files (the SQLite database, its WAL), compared case-insensitively as bytes. */
export function findInFiles(
  files: readonly string[],
  needles: readonly string[],
): { file: string; needle: string }[] {
  const found: { file: string; needle: string }[] = [];
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    const text = bytes.toString('latin1').toLowerCase();
    for (const needle of needles) if (text.includes(needle.toLowerCase())) found.push({ file, needle });
  }
  return found;
}

/** Every key of the Redis database (all types), searched for the needles; also how many keys carry `prefix`. */
export async function findInRedis(
  url: string,
  prefix: string,
  needles: readonly string[],
): Promise<{ found: { key: string; needle: string }[]; scanned: number; ours: number }> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const found: { key: string; needle: string }[] = [];
  let scanned = 0;
  let ours = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', '500');
      cursor = next;
      for (const key of keys) {
        scanned++;
        if (key.startsWith(prefix)) ours++;
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? await redis.hgetall(key)
              : type === 'list'
                ? await redis.lrange(key, 0, -1)
                : type === 'set'
                  ? await redis.smembers(key)
                  : type === 'zset'
                    ? await redis.zrange(key, '0', '-1')
                    : type === 'stream'
                      ? await redis.xrange(key, '-', '+')
                      : null;
        const text = `${key} ${JSON.stringify(value)}`.toLowerCase();
        for (const needle of needles) if (text.includes(needle.toLowerCase())) found.push({ key, needle });
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return { found, scanned, ours };
}

/** Needles found in values a process holds in memory (a cache's entries), one finding per needle. */
export function findInMemory(values: readonly unknown[], needles: readonly string[]): string[] {
  const text = JSON.stringify(values).toLowerCase();
  return needles.filter((needle) => text.includes(needle.toLowerCase()));
}
