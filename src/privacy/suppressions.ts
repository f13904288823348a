import type { AuditLog } from '../compliance/index.ts';
import { type Actor, LeadloopError, type WorkspaceContext } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { workspaceRow } from '../store/index.ts';
import type { SubjectKeys } from './subject-keys.ts';
import type { ContactNormaliser } from './subject-scope.ts';

/** How much of a peppered hash the list shows: enough to tell entries apart, too little to test guesses offline. */
const PREFIX = 12;

interface SuppressionEntry {
  hashPrefix: string;
  kind: 'email' | 'phone';
  reason: 'erasure' | 'objection';
  createdAt: number;
}

/**
 * The suppression list as an admin reads it. Entries are HMACs of a normalised e-mail or phone
 * under a pepper derived from the master key, with no lead beside them; the only way to ask about
 * a person is to send their contact, which is normalised and hashed here, never stored.
 */
export interface SuppressionList {
  list(
    ctx: WorkspaceContext,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: SuppressionEntry[]; total: number; nextCursor: string | null }>;
  /** Whether this e-mail or phone is suppressed, and since when; the check is audited (without the contact). */
  lookup(
    ctx: WorkspaceContext,
    contact: { email?: string | undefined; phone?: string | undefined },
    actor: Actor,
  ): Promise<{ suppressed: boolean; entry: SuppressionEntry | null }>;
}

function encodeCursor(createdAt: number, hash: string): string {
  return Buffer.from(`${createdAt}.${hash}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; hash: string } {
  const match = /^(\d{1,16})\.([0-9a-f]{64})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match)
    throw new LeadloopError('validation_failed', 'the cursor is not one this list gave', {
      issues: [{ field: 'query.cursor', reason: 'is not a cursor from a previous page' }],
    });
  return { createdAt: Number(match[1]), hash: match[2] as string };
}

const entryOf = (row: {
  hash: string;
  kind: string;
  reason: string;
  created_at: number;
}): SuppressionEntry => ({
  hashPrefix: row.hash.slice(0, PREFIX),
  kind: row.kind as SuppressionEntry['kind'],
  reason: row.reason as SuppressionEntry['reason'],
  createdAt: Number(row.created_at),
});

export function createSuppressionList(options: {
  store: Store;
  keys: SubjectKeys;
  normalise: ContactNormaliser;
  audit: AuditLog;
}): SuppressionList {
  const { store, keys, normalise, audit } = options;
  return {
    async list(ctx, query) {
      const after = query.cursor ? decodeCursor(query.cursor) : null;
      const [rows, count] = await Promise.all([
        store.db
          .selectFrom('privacy_suppressions')
          .select(['hash', 'kind', 'reason', 'created_at'])
          .where('workspace_id', '=', ctx.workspaceId)
          .$if(after !== null, (q) =>
            q.where((eb) =>
              eb(
                eb.refTuple('created_at', 'hash'),
                '<',
                eb.tuple(after?.createdAt as number, after?.hash as string),
              ),
            ),
          )
          .orderBy('created_at', 'desc')
          .orderBy('hash', 'desc')
          .limit(query.limit + 1)
          .execute(),
        store.db
          .selectFrom('privacy_suppressions')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', ctx.workspaceId)
          .executeTakeFirst(),
      ]);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(entryOf),
        total: Number(count?.n ?? 0),
        nextCursor:
          rows.length > query.limit && last ? encodeCursor(Number(last.created_at), last.hash) : null,
      };
    },

    async lookup(ctx, contact, actor) {
      const kind = contact.email !== undefined ? 'email' : 'phone';
      const raw = contact.email ?? contact.phone ?? '';
      const value = kind === 'email' ? normalise.email(raw) : normalise.phone(raw);
      if (value === null)
        throw new LeadloopError('validation_failed', `that ${kind} cannot be normalised`, {
          issues: [{ field: `body.${kind}`, reason: `is not a valid ${kind}` }],
        });
      const hash = keys.suppressionHash(ctx, kind, value);
      return store.transaction(async (trx) => {
        const row = await workspaceRow(trx, 'privacy_suppressions', ctx.workspaceId, { hash }, [
          'hash',
          'kind',
          'reason',
          'created_at',
        ]);
        await audit.append(trx, ctx.workspaceId, {
          actor,
          action: 'privacy.suppression_checked',
          subject: hash.slice(0, PREFIX),
          reason: `an admin asked whether an ${kind} is suppressed`,
          data: { kind, suppressed: row !== undefined },
        });
        return { suppressed: row !== undefined, entry: row ? entryOf(row) : null };
      });
    },
  };
}
