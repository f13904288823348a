import type { Expression } from 'kysely';
import type { Db } from '../store/index.ts';
import { DEFAULT_ALLOWED, PURPOSES, type Purpose, purposeOf } from './purposes.ts';

/**
 * Lists filter on consent by the ledger's own rule (the latest entry per lead and purpose wins,
 * ordered as `deriveConsentState` orders them), in SQL so the inbox pages without deriving every
 * lead's state. A purpose with no entry keeps `DEFAULT_ALLOWED`.
 */
export interface ConsentLeadFilter {
  latest(db: Db, workspaceId: string, purpose: string, action: 'grant' | 'withdraw'): Expression<unknown>;
  defaultAllowed(purpose: string): boolean | null;
}

export function createConsentLeadFilter(): ConsentLeadFilter {
  const known = (purpose: string): Purpose | null => {
    const p = purposeOf(purpose);
    return (PURPOSES as readonly string[]).includes(p) ? (p as Purpose) : null;
  };
  return {
    defaultAllowed(purpose) {
      const p = known(purpose);
      return p ? DEFAULT_ALLOWED[p] : null;
    },
    latest(db, workspaceId, purpose, action) {
      const p = known(purpose) ?? purpose;
      return db
        .selectFrom('consent_events as e')
        .select('e.lead_id')
        .where('e.workspace_id', '=', workspaceId)
        .where('e.purpose', '=', p)
        .where('e.action', '=', action)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('consent_events as later')
                .select('later.id')
                .whereRef('later.workspace_id', '=', 'e.workspace_id')
                .whereRef('later.lead_id', '=', 'e.lead_id')
                .whereRef('later.purpose', '=', 'e.purpose')
                .where((w) =>
                  w.or([
                    w('later.occurred_at', '>', w.ref('e.occurred_at')),
                    w.and([
                      w('later.occurred_at', '=', w.ref('e.occurred_at')),
                      w.or([
                        w('later.recorded_at', '>', w.ref('e.recorded_at')),
                        w.and([
                          w('later.recorded_at', '=', w.ref('e.recorded_at')),
                          w('later.id', '>', w.ref('e.id')),
                        ]),
                      ]),
                    ]),
                  ]),
                ),
            ),
          ),
        );
    },
  };
}
