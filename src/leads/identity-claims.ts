import type { AuditLog } from '../compliance/index.ts';
import type { Actor, WorkspaceContext } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';
import type { Db, IdentityClaimsTable, Store } from '../store/index.ts';
import { workspaceRow } from '../store/index.ts';

type IdentityClaimStatus = 'pending' | 'confirmed' | 'rejected';

/** A chat lead's unverified claim to be an existing lead. */
export interface IdentityClaim {
  id: string;
  /** The chat's own lead. */
  leadId: string;
  /** The existing lead whose e-mail or phone the visitor gave. */
  claimedLeadId: string;
  eventId: string;
  matchedOn: 'email' | 'phone';
  status: IdentityClaimStatus;
  createdAt: number;
  decidedAt: number | null;
  decidedBy: string | null;
}

export async function insertClaim(
  db: Db,
  claim: {
    id: string;
    workspaceId: string;
    leadId: string;
    claimedLeadId: string;
    eventId: string;
    matchedOn: 'email' | 'phone';
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('identity_claims')
    .values({
      id: claim.id,
      workspace_id: claim.workspaceId,
      lead_id: claim.leadId,
      claimed_lead_id: claim.claimedLeadId,
      event_id: claim.eventId,
      matched_on: claim.matchedOn,
      status: 'pending',
      created_at: claim.now,
      decided_at: null,
      decided_by: null,
    })
    .execute();
}

export interface IdentityClaims {
  list(ctx: WorkspaceContext, query: { status?: IdentityClaimStatus | undefined }): Promise<IdentityClaim[]>;
  /**
   * An operator's verdict on a pending claim, audited with the reason. Confirming records that the
   * chat's lead and the claimed lead are the same person; it moves no data between them.
   */
  decide(
    ctx: WorkspaceContext,
    id: string,
    verdict: { status: 'confirmed' | 'rejected'; reason: string; actor: Actor },
  ): Promise<IdentityClaim>;
}

type Row = IdentityClaimsTable;

function toClaim(row: Row): IdentityClaim {
  return {
    id: row.id,
    leadId: row.lead_id,
    claimedLeadId: row.claimed_lead_id,
    eventId: row.event_id,
    matchedOn: row.matched_on as IdentityClaim['matchedOn'],
    status: row.status as IdentityClaimStatus,
    createdAt: Number(row.created_at),
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    decidedBy: row.decided_by,
  };
}

export function createIdentityClaims(options: {
  store: Store;
  audit: AuditLog;
  clock: { now(): number };
}): IdentityClaims {
  const { store, audit, clock } = options;
  return {
    async list(ctx, { status }) {
      const rows = await store.db
        .selectFrom('identity_claims')
        .selectAll()
        .where('workspace_id', '=', ctx.workspaceId)
        .$if(status !== undefined, (q) => q.where('status', '=', status as string))
        .orderBy('id', 'desc')
        .limit(500)
        .execute();
      return rows.map(toClaim);
    },
    decide(ctx, id, verdict) {
      return store.transaction(async (trx) => {
        const row = await workspaceRow(trx, 'identity_claims', ctx.workspaceId, { id });
        if (!row)
          throw new LeadloopError('not_found', `identity claim ${id} not found`, {
            issues: [{ field: 'path.id', reason: 'no such claim in this workspace' }],
          });
        if (row.status !== 'pending')
          throw new LeadloopError('conflict', `identity claim ${id} was already ${row.status}`, {
            issues: [{ field: 'path.id', reason: `already ${row.status}` }],
          });
        const now = clock.now();
        const decidedBy = `${verdict.actor.type}:${verdict.actor.id}`;
        await trx
          .updateTable('identity_claims')
          .set({ status: verdict.status, decided_at: now, decided_by: decidedBy })
          .where('workspace_id', '=', ctx.workspaceId)
          .where('id', '=', id)
          .execute();
        await audit.append(trx, ctx.workspaceId, {
          actor: verdict.actor,
          action: `lead.identity_claim_${verdict.status}`,
          subject: row.lead_id,
          reason: verdict.reason,
          data: { claimId: id, claimedLeadId: row.claimed_lead_id, matchedOn: row.matched_on },
        });
        return toClaim({ ...row, status: verdict.status, decided_at: now, decided_by: decidedBy });
      });
    },
  };
}
