import type { Db } from '../store/index.ts';
import { toJson } from '../store/index.ts';

/** Consent as a submission states it. */
export interface ConsentStatement {
  purposes: string[];
  textVersion: string;
  timestamp: string;
  method: string;
}

/**
 * The one place consent is written, so a consent ledger can take it over without hunting for
 * inserts. Consent is recorded only on the lead the event created or merged into: never on a lead
 * an unverified source merely claimed (see the pipeline's dedupe stage).
 */
export async function recordConsent(
  db: Db,
  target: { workspaceId: string; leadId: string; eventId: string; now: number },
  consent: ConsentStatement | null | undefined,
): Promise<void> {
  if (!consent) return;
  await db
    .insertInto('consent_records')
    .values({
      id: `con_${target.eventId.slice(4)}`,
      workspace_id: target.workspaceId,
      lead_id: target.leadId,
      event_id: target.eventId,
      purposes: toJson(consent.purposes),
      text_version: consent.textVersion,
      given_at: Date.parse(consent.timestamp),
      method: consent.method,
      created_at: target.now,
    })
    .execute();
}
