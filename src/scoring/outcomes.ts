import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, WorkspaceContext } from '../core/index.ts';
import { canonicalJson, LeadloopError } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
import type { Learning } from './learning.ts';
import type { CsvTable } from './ml/index.ts';
import { parseBooleanValue } from './ml/index.ts';
import type { Predictor } from './predictive-stage.ts';
import { loadLeads } from './scoring-state.ts';

/** `POST /v1/leads/{id}/outcome`: whether the lead converted, what it was worth, when. */
export const outcomeInputSchema = z
  .object({
    converted: z.boolean(),
    value: z.number().finite().min(0).max(1e12).optional().describe('What the conversion was worth.'),
    occurredAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When it happened (ISO 8601); the time of recording when omitted.'),
  })
  .strict();

type OutcomeInput = z.infer<typeof outcomeInputSchema>;

/** What recording an outcome takes, in a transaction of its own or in the caller's. */
type RecordArgs = [ctx: WorkspaceContext, leadId: string, input: OutcomeInput, actor: Actor, source: string];

export interface StoredOutcome {
  leadId: string;
  converted: boolean;
  value: number | null;
  occurredAt: number;
  recordedAt: number;
  /** 1 when first recorded, +1 each time a different outcome replaced it. */
  revision: number;
}

interface OutcomeResult {
  outcome: StoredOutcome;
  /** `unchanged`: the same outcome was sent again and nothing happened. */
  change: 'recorded' | 'replaced' | 'unchanged';
  /** Why a retraining job was queued by this outcome, if one was. */
  retrain: string | null;
  /** A challenger promoted because this outcome completed its shadow evaluation. */
  promoted: number | null;
}

interface OutcomeImportSummary {
  file: string;
  rows: number;
  recorded: number;
  replaced: number;
  unchanged: number;
  rejected: number;
  rejections: { row: number; reason: string }[];
  retrainQueued: string | null;
}

/**
 * Who else learns from an outcome (the council's router, later the optimiser). Scoring declares the
 * port; `src/main/` wires the listeners, so the API and `leadloop outcomes import` teach the same
 * things. Called after the outcome committed, once per new or changed outcome.
 */
export type OutcomeListener = (ctx: WorkspaceContext, leadId: string, converted: boolean) => Promise<void>;

/**
 * Told of every new or changed outcome inside the transaction that records it (workflows start
 * `outcome.recorded` runs there, so a run starts if and only if the outcome committed).
 */
export type OutcomeReaction = (
  db: Db,
  ctx: WorkspaceContext,
  outcome: StoredOutcome & { change: 'recorded' | 'replaced' },
) => Promise<void>;

export interface OutcomeService {
  record(
    ctx: WorkspaceContext,
    leadId: string,
    input: OutcomeInput,
    actor: Actor,
    source?: 'api' | 'csv',
  ): Promise<OutcomeResult>;
  /** Rows with `email` or `leadId`, `converted`, optional `value` and `occurredAt`. */
  importTable(
    ctx: WorkspaceContext,
    table: CsvTable,
    file: string,
    actor: Actor,
  ): Promise<OutcomeImportSummary>;
}

/** The same outcome sent twice hashes the same; an omitted field differs from any given value. */
function hashOf(input: OutcomeInput): string {
  const canonical = canonicalJson({
    converted: input.converted,
    value: input.value ?? null,
    occurredAt: input.occurredAt ? Date.parse(input.occurredAt) : null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

type OutcomeRow = {
  lead_id: string;
  converted: number;
  value: number | null;
  occurred_at: number;
  recorded_at: number;
  revision: number;
  body_hash: string;
  probability: number | null;
};

function toOutcome(row: OutcomeRow): StoredOutcome {
  return {
    leadId: row.lead_id,
    converted: Number(row.converted) === 1,
    value: row.value === null ? null : Number(row.value),
    occurredAt: Number(row.occurred_at),
    recordedAt: Number(row.recorded_at),
    revision: Number(row.revision),
  };
}

const notFound = (leadId: string) =>
  new LeadloopError('not_found', `lead ${leadId} not found in this workspace`, {
    issues: [{ field: 'path.id', reason: 'no such lead in this workspace' }],
  });

export function createOutcomeService(options: {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  predictor: Predictor;
  learning: Learning;
  /** Told of every new or changed outcome after it committed. */
  onOutcome?: OutcomeListener | undefined;
  /** Told of every new or changed outcome in its transaction. */
  reactions?: readonly OutcomeReaction[] | undefined;
}): OutcomeService {
  const { store, audit, clock, predictor, learning } = options;
  const onOutcome = options.onOutcome ?? (async () => {});

  async function recordCommitted(...args: RecordArgs): Promise<OutcomeResult> {
    const result = await store.transaction((trx) => recordIn(trx, ...args));
    const [ctx, leadId, input] = args;
    if (result.change !== 'unchanged') await onOutcome(ctx, leadId, input.converted);
    return result;
  }

  async function recordIn(
    trx: Db,
    ...[ctx, leadId, input, actor, source]: RecordArgs
  ): Promise<OutcomeResult> {
    const workspaceId = ctx.workspaceId;
    const lead = (await loadLeads(trx, workspaceId, [leadId])).get(leadId);
    if (!lead) throw notFound(leadId);
    // Two first outcomes for one lead at once would both insert; on PostgreSQL the lead row's lock
    // makes the second wait and then see the first (SQLite write transactions are already serial).
    if (store.dialect === 'postgres') {
      await trx
        .selectFrom('leads')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', leadId)
        .forUpdate()
        .execute();
    }
    const hash = hashOf(input);
    const existing = await trx
      .selectFrom('lead_outcomes')
      .select([
        'lead_id',
        'converted',
        'value',
        'occurred_at',
        'recorded_at',
        'revision',
        'body_hash',
        'probability',
      ])
      .where('workspace_id', '=', workspaceId)
      .where('lead_id', '=', leadId)
      .executeTakeFirst();
    if (existing && existing.body_hash === hash)
      return { outcome: toOutcome(existing), change: 'unchanged', retrain: null, promoted: null };

    const now = clock.now();
    const occurredAt = input.occurredAt ? Date.parse(input.occurredAt) : now;
    const converted = input.converted ? 1 : 0;
    // Test-then-train: the prediction is taken before the outcome can reach any model, and the
    // first one is kept when an outcome is corrected (a later model may have learnt from it).
    const prediction =
      existing?.probability !== null && existing?.probability !== undefined
        ? null
        : await predictor.predict(trx, workspaceId, lead.lead, { now });
    const row = {
      converted,
      value: input.value ?? null,
      occurred_at: occurredAt,
      updated_at: now,
      body_hash: hash,
      source,
    };
    const predicted = prediction
      ? {
          probability: prediction.probability,
          model_version: prediction.modelVersion,
          challenger_probability: prediction.challenger?.probability ?? null,
          challenger_version: prediction.challenger?.version ?? null,
        }
      : {};
    // The outcome as this write leaves it: first recorded at `recordedAt`, now at `revision`.
    const storedAs = (recordedAt: number, revision: number): StoredOutcome => ({
      leadId,
      converted: input.converted,
      value: row.value,
      occurredAt,
      recordedAt,
      revision,
    });
    let stored: StoredOutcome;
    let change: OutcomeResult['change'];
    if (!existing) {
      await trx
        .insertInto('lead_outcomes')
        .values({
          workspace_id: workspaceId,
          lead_id: leadId,
          ...row,
          recorded_at: now,
          revision: 1,
          probability: null,
          model_version: null,
          challenger_probability: null,
          challenger_version: null,
          ...predicted,
        })
        .execute();
      stored = storedAs(now, 1);
      change = 'recorded';
      await audit.append(trx, workspaceId, {
        actor,
        action: 'lead.outcome_recorded',
        subject: leadId,
        reason: `${input.converted ? 'converted' : 'did not convert'}${input.value !== undefined ? ` (value ${input.value})` : ''}, reported via ${source}`,
        data: {
          converted: input.converted,
          value: row.value,
          occurredAt,
          predicted: prediction
            ? { version: prediction.modelVersion, probability: prediction.probability }
            : null,
        },
      });
    } else {
      const revision = Number(existing.revision) + 1;
      await trx
        .updateTable('lead_outcomes')
        .set({ ...row, revision, ...predicted })
        .where('workspace_id', '=', workspaceId)
        .where('lead_id', '=', leadId)
        .execute();
      stored = storedAs(Number(existing.recorded_at), revision);
      change = 'replaced';
      const before = toOutcome(existing);
      await audit.append(trx, workspaceId, {
        actor,
        action: 'lead.outcome_changed',
        subject: leadId,
        reason: `outcome changed from ${before.converted ? 'converted' : 'not converted'} (value ${before.value ?? 'none'}) to ${input.converted ? 'converted' : 'not converted'} (value ${row.value ?? 'none'}), reported via ${source}`,
        data: {
          from: { converted: before.converted, value: before.value, occurredAt: before.occurredAt },
          to: { converted: input.converted, value: row.value, occurredAt },
          revision,
        },
      });
    }
    for (const react of options.reactions ?? []) await react(trx, ctx, { ...stored, change });
    const labelChanged = !existing || Number(existing.converted) !== converted;
    const after = labelChanged
      ? await learning.afterOutcome(trx, workspaceId)
      : { retrain: null, promoted: null };
    return { outcome: stored, change, ...after };
  }

  return {
    record: (ctx, leadId, input, actor, source = 'api') => recordCommitted(ctx, leadId, input, actor, source),

    async importTable(ctx, table, file, actor) {
      const column = (name: string) =>
        table.columns.findIndex((c) => c.trim().toLowerCase() === name.toLowerCase());
      const idx = {
        leadId: column('leadId') >= 0 ? column('leadId') : column('lead_id'),
        email: column('email'),
        converted: column('converted'),
        value: column('value'),
        occurredAt: column('occurredAt') >= 0 ? column('occurredAt') : column('occurred_at'),
      };
      const fail = (reason: string): never => {
        throw new LeadloopError('validation_failed', `${file}: ${reason}`, {
          issues: [{ field: 'file', reason }],
        });
      };
      if (idx.converted < 0) fail(`has no "converted" column; columns are: ${table.columns.join(', ')}`);
      if (idx.leadId < 0 && idx.email < 0)
        fail(
          `needs a "leadId" or "email" column to find each lead; columns are: ${table.columns.join(', ')}`,
        );
      const summary: OutcomeImportSummary = {
        file,
        rows: table.rows.length,
        recorded: 0,
        replaced: 0,
        unchanged: 0,
        rejected: 0,
        rejections: [],
        retrainQueued: null,
      };
      const cell = (cells: string[], i: number) => (i >= 0 ? (cells[i] ?? '').trim() : '');
      for (let r = 0; r < table.rows.length; r++) {
        const cells = table.rows[r] ?? [];
        const rowNumber = r + 2; // the header is line 1
        const reject = (reason: string) => {
          summary.rejected++;
          summary.rejections.push({ row: rowNumber, reason });
        };
        const converted = parseBooleanValue(cell(cells, idx.converted));
        if (converted === undefined) {
          reject(`converted is "${cell(cells, idx.converted)}"; expected yes/no, true/false or 1/0`);
          continue;
        }
        const valueText = cell(cells, idx.value);
        const value = valueText === '' ? undefined : Number(valueText);
        if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
          reject(`value is "${valueText}"; expected a number of at least 0`);
          continue;
        }
        const occurredText = cell(cells, idx.occurredAt);
        const occurredMs = occurredText === '' ? undefined : Date.parse(occurredText);
        if (occurredMs !== undefined && !Number.isFinite(occurredMs)) {
          reject(`occurredAt is "${occurredText}"; expected an ISO date or time`);
          continue;
        }
        let leadId = cell(cells, idx.leadId);
        if (leadId === '') {
          const email = cell(cells, idx.email).toLowerCase();
          if (email === '') {
            reject('has neither a leadId nor an email');
            continue;
          }
          const found = await store.db
            .selectFrom('leads')
            .select('id')
            .where('workspace_id', '=', ctx.workspaceId)
            .where('email', '=', email)
            .orderBy('id')
            .executeTakeFirst();
          if (!found) {
            reject(`no lead with email ${email} in this workspace`);
            continue;
          }
          leadId = found.id;
        }
        try {
          const result = await recordCommitted(
            ctx,
            leadId,
            {
              converted: converted === 1,
              ...(value === undefined ? {} : { value }),
              ...(occurredMs === undefined ? {} : { occurredAt: new Date(occurredMs).toISOString() }),
            },
            actor,
            'csv',
          );
          summary[result.change]++;
          summary.retrainQueued ??= result.retrain;
        } catch (error) {
          if (error instanceof LeadloopError && error.code === 'not_found')
            reject(`no lead ${leadId} in this workspace`);
          else throw error;
        }
      }
      return summary;
    },
  };
}
