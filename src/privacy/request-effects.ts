import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import { changeLead } from '../leads/index.ts';
import type { Db, PrivacyRequestsTable } from '../store/index.ts';
import { toJson, workspaceRow } from '../store/index.ts';
import type { ConsentEntryInput, ConsentLedger } from './consent-ledger.ts';
import type { HolderRegistry, SubjectScope } from './holders.ts';
import type { Changes } from './request-schema.ts';
import type { SubjectKeys } from './subject-keys.ts';
import type { ContactNormaliser } from './subject-scope.ts';

/** Where a rectification's sealed changes are bound: the request's own context. */
export const changesContext = (id: string) => `privacy_request|${id}|changes`;

/**
 * What a data-subject request does to its subject once carried out: withdraw consent, suppress
 * contact details, correct the lead, erase every holder's data. The request's lifecycle (deadlines,
 * steps, resumption) stays in `requests.ts`.
 */
export function createRequestEffects(options: {
  clock: Clock;
  audit: AuditLog;
  ledger: ConsentLedger;
  keys: SubjectKeys;
  holders: HolderRegistry;
  normalise: ContactNormaliser;
}) {
  const { clock, audit, ledger, keys, holders, normalise } = options;

  async function withdraw(
    db: Db,
    ctx: WorkspaceContext,
    scope: SubjectScope,
    purposes: readonly string[],
    method: ConsentEntryInput['method'],
    requestId: string,
    actor: Actor,
  ) {
    const now = clock.now();
    for (const leadId of scope.leadIds)
      await ledger.record(
        db,
        ctx,
        leadId,
        purposes.map((purpose) => ({
          purpose,
          action: 'withdraw',
          method,
          source: 'privacy_request',
          evidence: requestId,
          occurredAt: now,
        })),
        actor,
      );
  }

  async function suppress(
    db: Db,
    ctx: WorkspaceContext,
    scope: SubjectScope,
    reason: 'erasure' | 'objection',
  ): Promise<number> {
    const rows = [
      ...scope.emails.map((value) => ({ kind: 'email', hash: keys.suppressionHash(ctx, 'email', value) })),
      ...scope.phones.map((value) => ({ kind: 'phone', hash: keys.suppressionHash(ctx, 'phone', value) })),
    ];
    if (rows.length === 0) return 0;
    await db
      .insertInto('privacy_suppressions')
      .values(
        rows.map((r) => ({
          workspace_id: ctx.workspaceId,
          hash: r.hash,
          kind: r.kind,
          reason,
          created_at: clock.now(),
        })),
      )
      .onConflict((oc) => oc.columns(['workspace_id', 'hash']).doNothing())
      .execute();
    return rows.length;
  }

  async function rectify(
    db: Db,
    ctx: WorkspaceContext,
    scope: SubjectScope,
    row: PrivacyRequestsTable,
    actor: Actor,
  ) {
    if (!row.changes_sealed) return { leads: 0 };
    const changes = JSON.parse(
      keys.master.open(row.changes_sealed, `${ctx.workspaceId}|${changesContext(row.id)}`),
    ) as Changes;
    const set: Record<string, string> = {};
    if (changes.email) set.email = normalise.email(changes.email) ?? '';
    if (changes.phone) set.phone = normalise.phone(changes.phone) ?? '';
    if (changes.name) set.name = changes.name;
    if (changes.company) set.company = changes.company;
    if (changes.title) set.title = changes.title;
    if (changes.country) set.country = changes.country.toUpperCase();
    const now = clock.now();
    for (const leadId of scope.leadIds) {
      const lead = await workspaceRow(db, 'leads', ctx.workspaceId, { id: leadId });
      if (!lead) continue;
      const diff: Record<string, { from: unknown; to: unknown }> = {};
      for (const [field, value] of Object.entries(set)) {
        const from = lead[field as keyof typeof lead];
        if (from !== value) diff[field] = { from, to: value };
      }
      if (Object.keys(diff).length === 0) continue;
      await changeLead(db, ctx.workspaceId, leadId, set, {
        eventId: row.id,
        action: 'rectified',
        changes: diff,
        at: now,
      });
      // Old and new values are personal data: sealed with the lead's key, so erasure shreds them.
      await audit.append(db, ctx.workspaceId, {
        actor,
        action: 'lead.rectified',
        subject: leadId,
        reason: `rectification request ${row.id}: ${Object.keys(diff).join(', ')} corrected`,
        data: {
          requestId: row.id,
          fields: Object.keys(diff),
          sealed: await keys.seal(db, ctx, leadId, toJson(diff), 'rectification'),
        },
      });
    }
    return { leads: scope.leadIds.length, fields: Object.keys(set) };
  }

  async function erase(db: Db, ctx: WorkspaceContext, scope: SubjectScope) {
    const counts: Record<string, number> = {};
    for (const holder of holders.holders()) counts[holder.name] = await holder.erase(scope);
    counts.suppressed = await suppress(db, ctx, scope, 'erasure');
    return counts;
  }

  return { withdraw, suppress, rectify, erase };
}
