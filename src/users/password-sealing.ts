import { isSealed, type SecretBox } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import { verifyPassword } from './passwords.ts';

/*
 * Password hashes are stored sealed by the master key's box, bound to their user id. Anyone who
 * can read the `users` table (on PostgreSQL, anyone who can call `console_user_by_email` with the
 * application role's credentials) gets ciphertext, not an scrypt hash to guess against offline;
 * a sealed hash copied onto another account does not open there.
 */

const contextOf = (userId: string) => `console-password:${userId}`;

/** How the users capability stores and checks a password hash. */
export interface PasswordHashes {
  /** The stored form of `hash` (sealed when the service has a box). */
  seal(userId: string, hash: string): string;
  /** Whether `password` is the one `stored` was made from; a value that does not open never matches. */
  matches(password: string, userId: string, stored: string): Promise<boolean>;
}

export function createPasswordHashes(box: SecretBox | undefined): PasswordHashes {
  return {
    seal: (userId, hash) => (box ? box.seal(hash, contextOf(userId)) : hash),
    async matches(password, userId, stored) {
      if (!isSealed(stored)) return verifyPassword(password, stored);
      if (!box) return false;
      let hash: string;
      try {
        hash = box.open(stored, contextOf(userId));
      } catch {
        return false;
      }
      return verifyPassword(password, hash);
    },
  };
}

/** What a re-seal did: `resealed` rows written, `current` already under the current key. */
export interface PasswordReseal {
  resealed: number;
  current: number;
}

/**
 * Seals every password hash the connection can see that is stored in the clear, and re-seals the
 * ones a previous master key sealed (`leadloop master-key rotate`). Each row is replaced by its
 * own compare-and-set update, so a crash or a concurrent password change leaves every row
 * readable and a rerun finishes the rest. On PostgreSQL the rows visible are those of the
 * connection: all of them for the schema's owner (startup, after migrating), those reachable
 * from the data scope for the application's role (the rotation runs workspace by workspace and
 * passes `seen` so an account with roles in several is done once).
 */
export async function resealPasswordHashes(options: {
  db: Db;
  box: SecretBox;
  /** Only seal hashes stored in the clear (startup); leave sealed ones as they are. */
  onlyClear?: boolean;
  seen?: Set<string>;
  afterValue?: () => void;
}): Promise<PasswordReseal> {
  const { db, box, seen } = options;
  let query = db.selectFrom('users').select(['id', 'password_hash']);
  if (options.onlyClear) query = query.where('password_hash', 'not like', 'sb%');
  const rows = await query.orderBy('id').execute();
  const tally: PasswordReseal = { resealed: 0, current: 0 };
  for (const row of rows) {
    if (seen?.has(row.id)) continue;
    seen?.add(row.id);
    const stored = row.password_hash;
    if (isSealed(stored) && box.isCurrent(stored)) {
      tally.current += 1;
      continue;
    }
    const hash = isSealed(stored) ? box.open(stored, contextOf(row.id)) : stored;
    const result = await db
      .updateTable('users')
      .set({ password_hash: box.seal(hash, contextOf(row.id)) })
      .where('id', '=', row.id)
      .where('password_hash', '=', stored)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) > 0) tally.resealed += 1;
    options.afterValue?.();
  }
  return tally;
}
