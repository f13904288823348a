import type { Actor, WorkspaceContext } from '../core/index.ts';
import {
  contextsByWorkspace,
  type Lead,
  type PipelineStage,
  runStageOverBatch,
  type StageContext,
} from '../leads/index.ts';
import { type Db, dbOf, fixedChunks } from '../store/index.ts';
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

  /** Reads the states of a batch's leads not read yet: one statement per workspace. */
  async function loadStates(batch: readonly StageContext[]): Promise<void> {
    for (const group of contextsByWorkspace(batch.filter((ctx) => ctx.lead && !states.has(ctx)))) {
      const first = group[0] as StageContext;
      const read = await ledger.states(
        dbOf(first.db),
        first.tenant,
        group.map((ctx) => (ctx.lead as Lead).id),
      );
      for (const ctx of group) {
        const state = read.get((ctx.lead as Lead).id);
        if (state) states.set(ctx, state);
      }
    }
  }

  const hashesOf = (ctx: StageContext): string[] => {
    const input = ctx.input;
    if (!input) return [];
    return [
      ...(input.email ? keys.suppressionHashes(ctx.tenant, 'email', input.email) : []),
      ...(input.phone ? keys.suppressionHashes(ctx.tenant, 'phone', input.phone) : []),
    ];
  };

  /** When each new lead of a workspace's batch was suppressed (the latest match), in one statement. */
  async function suppressedSince(group: readonly StageContext[]): Promise<Map<StageContext, number>> {
    const wanted = new Map(group.filter((ctx) => ctx.existing === null).map((ctx) => [ctx, hashesOf(ctx)]));
    const all = [...new Set([...wanted.values()].flat())];
    const found = new Map<StageContext, number>();
    if (all.length === 0) return found;
    const first = group[0] as StageContext;
    const at = new Map<string, number>();
    for (const chunk of fixedChunks(all)) {
      const rows = await dbOf(first.db)
        .selectFrom('privacy_suppressions')
        .select(['hash', 'created_at'])
        .where('workspace_id', '=', first.tenant.workspaceId)
        .where('hash', 'in', chunk)
        .execute();
      for (const row of rows) at.set(row.hash, Math.max(at.get(row.hash) ?? 0, Number(row.created_at)));
    }
    for (const [ctx, hashes] of wanted) {
      const times = hashes.map((h) => at.get(h)).filter((t) => t !== undefined);
      if (times.length > 0) found.set(ctx, Math.max(...times));
    }
    return found;
  }

  /** The events' privacy signals (Sec-GPC at submission), read and consumed in one statement each. */
  async function takeSignals(group: readonly StageContext[]): Promise<Map<string, boolean>> {
    const first = group[0] as StageContext;
    const db = dbOf(first.db);
    const signals = new Map<string, boolean>();
    for (const chunk of fixedChunks(group.map((ctx) => ctx.event.id))) {
      const rows = await db
        .selectFrom('privacy_signals')
        .select(['event_id', 'gpc'])
        .where('workspace_id', '=', first.tenant.workspaceId)
        .where('event_id', 'in', chunk)
        .execute();
      for (const row of rows) signals.set(row.event_id, row.gpc === 1);
    }
    for (const chunk of fixedChunks([...signals.keys()]))
      await db
        .deleteFrom('privacy_signals')
        .where('workspace_id', '=', first.tenant.workspaceId)
        .where('event_id', 'in', chunk)
        .execute();
    return signals;
  }

  async function recordFor(
    ctx: StageContext,
    since: number | undefined,
    signal: boolean | undefined,
  ): Promise<void> {
    const lead = ctx.lead;
    if (!lead) return;
    const { event } = ctx;
    const entries: ConsentEntryInput[] = [];
    if (since !== undefined) {
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
    const given = ctx.input?.consent;
    if (given) {
      const at = Date.parse(given.timestamp);
      for (const name of given.purposes)
        entries.push({
          purpose: purposeOf(name),
          action: 'grant',
          noticeVersion: given.noticeVersion ?? given.textVersion,
          ...(given.noticeHash ? { noticeHash: given.noticeHash } : {}),
          method: METHOD_OF[given.method] ?? 'form',
          source: event.source,
          evidence: event.id,
          occurredAt: Number.isFinite(at) ? at : ctx.now,
        });
    }
    const db = dbOf(ctx.db);
    const gpc =
      signal === true ||
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
    if (entries.length > 0) await ledger.record(db, ctx.tenant, lead.id, entries, WORKER);
  }

  const consent: PipelineStage = {
    name: 'privacy-consent',
    async run(ctx) {
      await consent.runBatch?.([ctx]);
    },
    async runBatch(batch) {
      for (const group of contextsByWorkspace(batch.filter((ctx) => ctx.lead))) {
        const since = await suppressedSince(group);
        const signals = await takeSignals(group);
        for (const ctx of group) await recordFor(ctx, since.get(ctx), signals.get(ctx.event.id));
      }
    },
  };

  const gate = (ctx: StageContext): void => {
    const state = states.get(ctx);
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
  };

  return {
    consent,
    whenProfilingAllowed(stage) {
      const allowed = (ctx: StageContext) => states.get(ctx)?.profilingAllowed !== false;
      return {
        name: stage.name,
        async run(ctx) {
          const state = await stateOf(ctx);
          if (state && !state.profilingAllowed) return;
          await stage.run(ctx);
        },
        async runBatch(batch) {
          await loadStates(batch);
          await runStageOverBatch(stage, batch.filter(allowed));
        },
      };
    },
    profilingGate: {
      name: 'privacy-profiling-gate',
      async run(ctx) {
        await stateOf(ctx);
        gate(ctx);
      },
      async runBatch(batch) {
        await loadStates(batch);
        for (const ctx of batch) gate(ctx);
      },
    },
  };
}
