import { sql } from 'kysely';
import type { Logger } from 'pino';
import { createSecretBox, inWorkspace, isSealed, readingDirectory, type SecretBox } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { resealPasswordHashes } from '../users/index.ts';

/**
 * Every column that holds a value sealed directly by the master key's box, with the context it
 * was sealed under (the owners' own context strings: a mismatch makes the rotation stop on that
 * row with an error rather than write anything). Values sealed by per-subject keys (privacy) are
 * not here: those keys are themselves sealed by the master key (`privacy_subject_keys`), so
 * re-wrapping them re-keys everything under them.
 */
const SEALED_COLUMNS: readonly {
  table: string;
  column: string;
  key: readonly string[];
  context: (row: Record<string, string>) => string;
  /**
   * PostgreSQL: the definer function that does the compare-and-set `(key, old, new)` where the
   * application's role may not update the column itself (migration 017).
   */
  definer?: string;
}[] = [
  {
    table: 'webhook_secrets',
    column: 'secret',
    key: ['id'],
    context: (r) => `webhook-secret:${r.workspace_id}:${r.id}`,
    definer: 'settings_reseal_webhook_secret',
  },
  {
    table: 'workflow_credentials',
    column: 'sealed',
    key: ['workspace_id', 'name'],
    context: (r) => `workflow-credential:${r.workspace_id}:${r.name}`,
  },
  {
    table: 'workflow_hooks',
    column: 'sealed_secret',
    key: ['workspace_id', 'path'],
    context: (r) => `workflow-hook:${r.workspace_id}:${r.path}`,
  },
  {
    table: 'privacy_subject_keys',
    column: 'key_sealed',
    key: ['workspace_id', 'subject'],
    context: (r) => `${r.workspace_id}|subject-key|${r.subject}`,
  },
  {
    table: 'privacy_requests',
    column: 'subject_sealed',
    key: ['id'],
    context: (r) => `${r.workspace_id}|privacy_request|${r.id}|subject`,
  },
  {
    table: 'privacy_requests',
    column: 'changes_sealed',
    key: ['id'],
    context: (r) => `${r.workspace_id}|privacy_request|${r.id}|changes`,
  },
];

/** What a rotation re-sealed, per column; `current` were already under the new key. */
export interface MasterKeyRotation {
  columns: { table: string; column: string; resealed: number; current: number }[];
}

/**
 * Re-seals every master-key-sealed value under the current key (`LEADLOOP_MASTER_KEY`), opening
 * it with whichever key sealed it (the box holds `LEADLOOP_PREVIOUS_MASTER_KEYS` too).
 *
 * Crash-safe and idempotent by construction: each value is replaced by its own compare-and-set
 * update (`where <key> and <column> = <old value>`), committed alone, so at any moment every row
 * holds either its old value (the previous key opens it) or its new one (the current key does);
 * values already under the current key are skipped, so a second run after a crash finishes the
 * rest. A value changed by someone else meanwhile is left alone (the update matches nothing).
 */
export async function rotateMasterKey(options: {
  store: Store;
  box: SecretBox;
  /** Called after each value is re-sealed (tests stop a rotation halfway here). */
  afterValue?: () => void;
}): Promise<MasterKeyRotation> {
  const { store, box } = options;
  const workspaces = (
    await readingDirectory(() => store.db.selectFrom('workspaces').select('id').execute())
  ).map((w) => w.id);
  const columns: MasterKeyRotation['columns'] = [];
  for (const spec of SEALED_COLUMNS) {
    const tally = { table: spec.table, column: spec.column, resealed: 0, current: 0 };
    for (const workspaceId of workspaces) {
      await inWorkspace(workspaceId, async () => {
        const { rows } = await sql<Record<string, string>>`
          select * from ${sql.table(spec.table)}
           where workspace_id = ${workspaceId} and ${sql.ref(spec.column)} is not null`.execute(store.db);
        for (const row of rows) {
          const old = row[spec.column] as string;
          if (!isSealed(old)) continue;
          if (box.isCurrent(old)) {
            tally.current += 1;
            continue;
          }
          const context = spec.context(row);
          const next = box.seal(box.open(old, context), context);
          if (spec.definer && store.dialect === 'postgres') {
            const keys = spec.key.map((k) => sql`${row[k]}`);
            await sql`select ${sql.raw(spec.definer)}(${sql.join(keys)}, ${old}, ${next})`.execute(store.db);
          } else {
            const where = spec.key.map((k) => sql`${sql.ref(k)} = ${row[k]}`);
            await sql`update ${sql.table(spec.table)} set ${sql.ref(spec.column)} = ${next}
               where ${sql.join(where, sql` and `)} and ${sql.ref(spec.column)} = ${old}`.execute(store.db);
          }
          tally.resealed += 1;
          options.afterValue?.();
        }
      });
    }
    columns.push(tally);
  }
  // Console password hashes belong to accounts, not workspaces: on PostgreSQL the role reaches an
  // account through its roles, so each is re-sealed from the first workspace that shows it.
  const passwords = { table: 'users', column: 'password_hash', resealed: 0, current: 0 };
  const seen = new Set<string>();
  for (const workspaceId of workspaces) {
    const tally = await inWorkspace(workspaceId, () =>
      resealPasswordHashes({ db: store.db, box, seen, afterValue: options.afterValue }),
    );
    passwords.resealed += tally.resealed;
    passwords.current += tally.current;
  }
  columns.push(passwords);
  return { columns };
}

/**
 * Seals the console password hashes still stored in the clear (accounts made before hashes were
 * sealed), after migrating and as the connection that migrated: on PostgreSQL the schema's owner,
 * which sees every account. Later starts find none; returns how many it sealed.
 */
export async function sealClearPasswordHashes(
  store: Store,
  masterKey: Uint8Array,
  logger?: Logger,
): Promise<number> {
  const { resealed } = await resealPasswordHashes({
    db: store.db,
    box: createSecretBox(masterKey),
    onlyClear: true,
  });
  if (resealed > 0) logger?.info({ sealed: resealed }, 'sealed console password hashes with the master key');
  return resealed;
}
