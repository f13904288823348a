import type { Actor, WorkspaceContext } from '../core/index.ts';
import type { PipelineStage, StageContext } from '../leads/index.ts';
import { type Db, dbOf } from '../store/index.ts';
import type { ConsentEntryInput, ConsentLedger, ConsentState } from './consent-ledger.ts';
import { CONTACT_PURPOSES, purposeOf } from './purposes.ts';
import type { SubjectKeys } from './subject-keys.ts';

const WORKER: Actor = { type: 'worker', id: 'lead.process' };

/** Port: whether the conversation that produced an event ran with Global Privacy Control on (wired to chat). */
export type SubmissionGpcReader = (db: Db, ctx: WorkspaceContext, eventId: string) => Promise<boolean>;

const METHOD_OF: Record<string, ConsentEntryInput['method']> = {
  checkbox: 'checkbox',
  form: 'form',
  chat: 'chat',
  verbal: 'verbal',
  import: 'import',
  api: 'api',
};

export interface PrivacyStages {
  /**
   * Records what a submission says about consent into the ledger, in the lead's transaction: the
   * consent object (every entry point: webhook, API, chat, CSV import), a Sec-GPC or widget GPC
   * signal (opt-out of sale/share), and a match on the suppression list (erased or objecting
   * people come back withdrawn from contact until a consent newer than the suppression).
   */
  consent: PipelineStage;
  /** Runs `stage` only when the lead may be profiled (no objection, no restriction). */
  whenProfilingAllowed(stage: PipelineStage): PipelineStage;
  /** After the scoring stages: a lead that may not be profiled keeps no score lines and does not qualify. */
  profilingGate: PipelineStage;
}

export function createPrivacyStages(options: {
  ledger: ConsentLedger;
  keys: SubjectKeys;
  eventGpc?: SubmissionGpcReader;
}): PrivacyStages {
  const { ledger, keys } = options;
  const states = new WeakMap<StageContext, ConsentState>();

  async function stateOf(ctx: StageContext): Promise<ConsentState | null> {
    if (!ctx.lead) return null;
    const cached = states.get(ctx);
    if (cached) return cached;
    const state = await ledger.state(dbOf(ctx.db), ctx.tenant, ctx.lead.id);
    states.set(ctx, state);
    return state;
  }

  async function suppressedSince(ctx: StageContext): Promise<number | null> {
    const input = ctx.input;
    if (!input) return null;
    const hashes = [
      ...(input.email ? [keys.suppressionHash(ctx.tenant, 'email', input.email)] : []),
      ...(input.phone ? [keys.suppressionHash(ctx.tenant, 'phone', input.phone)] : []),
    ];
    if (hashes.length === 0) return null;
    const row = await dbOf(ctx.db)
      .selectFrom('privacy_suppressions')
      .select((eb) => eb.fn.max('created_at').as('at'))
      .where('workspace_id', '=', ctx.tenant.workspaceId)
      .where('hash', 'in', hashes)
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  const consent: PipelineStage = {
    name: 'privacy-consent',
    async run(ctx) {
      const lead = ctx.lead;
      if (!lead) return;
      const { event } = ctx;
      const entries: ConsentEntryInput[] = [];
      if (ctx.existing === null) {
        const since = await suppressedSince(ctx);
        if (since !== null) {
          for (const purpose of [...CONTACT_PURPOSES, 'sale_or_share'])
            entries.push({
              purpose,
              action: 'withdraw',
              method: 'suppression',
              source: event.source,
              evidence: event.id,
              occurredAt: since,
            });
          ctx.audit({
            action: 'privacy.suppressed_lead',
            subject: lead.id,
            reason:
              'email or phone is on the suppression list (erased or objected earlier): not contacted until consent is given again',
            data: { eventId: event.id },
          });
        }
      }
      const given = ctx.input?.consent;
      if (given) {
        const at = Date.parse(given.timestamp);
        for (const name of given.purposes)
          entries.push({
            purpose: purposeOf(name),
            action: 'grant',
            noticeVersion: given.textVersion,
            method: METHOD_OF[given.method] ?? 'form',
            source: event.source,
            evidence: event.id,
            occurredAt: Number.isFinite(at) ? at : ctx.now,
          });
      }
      const db = dbOf(ctx.db);
      const signal = await db
        .selectFrom('privacy_signals')
        .select('gpc')
        .where('workspace_id', '=', ctx.tenant.workspaceId)
        .where('event_id', '=', event.id)
        .executeTakeFirst();
      const gpc =
        signal?.gpc === 1 ||
        (event.source === 'chat' && (await options.eventGpc?.(db, ctx.tenant, event.id)) === true);
      if (gpc)
        entries.push({
          purpose: 'sale_or_share',
          action: 'withdraw',
          method: 'gpc',
          source: event.source,
          gpc: true,
          evidence: event.id,
          occurredAt: ctx.now,
        });
      if (signal)
        await db
          .deleteFrom('privacy_signals')
          .where('workspace_id', '=', ctx.tenant.workspaceId)
          .where('event_id', '=', event.id)
          .execute();
      if (entries.length > 0) await ledger.record(db, ctx.tenant, lead.id, entries, WORKER);
    },
  };

  return {
    consent,
    whenProfilingAllowed(stage) {
      return {
        name: stage.name,
        async run(ctx) {
          const state = await stateOf(ctx);
          if (state && !state.profilingAllowed) return;
          await stage.run(ctx);
        },
      };
    },
    profilingGate: {
      name: 'privacy-profiling-gate',
      async run(ctx) {
        const state = await stateOf(ctx);
        if (!state || state.profilingAllowed || !ctx.scoring) return;
        ctx.scoring.lines = [
          {
            ruleId: 'privacy.not_profiled',
            description: state.restricted
              ? 'not scored: processing is restricted (GDPR Art. 18)'
              : 'not scored: the person objected to profiling (GDPR Art. 21)',
            points: 0,
          },
        ];
        ctx.scoring.qualifiedBy = null;
      },
    },
  };
}
