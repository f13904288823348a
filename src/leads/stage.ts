import type { AuditRecord } from '../compliance/index.ts';
import type { WorkspaceContext } from '../core/index.ts';
import type { NewDomainEvent } from '../events/index.ts';
import type { SubmissionsTable, UnitOfWork } from '../store/index.ts';
import type { Lead, NormalisedLead } from './lead.ts';
import type { ScoreResult, ScoringDraft } from './score.ts';

/** What each stage sees and may change while one event is processed, inside one transaction. */
export interface StageContext {
  /** The transaction the event is processed in: pass it to ports and repositories. */
  readonly db: UnitOfWork;
  readonly tenant: WorkspaceContext;
  /** The stored submission being processed. */
  readonly event: SubmissionsTable;
  readonly now: number;
  /** Set by the normalise stage. */
  input: NormalisedLead | null;
  /** The lead before this event (null when new), then the merged draft. */
  existing: Lead | null;
  /**
   * An unverified source (the chat widget) named an existing lead's e-mail or phone: this event
   * makes a lead of its own, linked to that one as a claim for an operator to confirm.
   */
  claim: { leadId: string; matchedOn: 'email' | 'phone' } | null;
  lead: Lead | null;
  changes: Record<string, { from: unknown; to: unknown }>;
  /** Score lines contributed so far; the `score` stage sums them. */
  scoring: ScoringDraft | null;
  score: ScoreResult | null;
  emit(event: NewDomainEvent): void;
  audit(record: Omit<AuditRecord, 'actor'>): void;
}

/**
 * A pipeline stage: the contract every capability implements to take part in processing a lead
 * (scoring's rules and model, chat's answers, the council's next-action reaction, workflows next).
 * Capabilities add stages in `src/main/` instead of reshaping the pipeline. A stage that throws rolls
 * the whole event back.
 *
 * Set-based processing: a runner that processes a batch of events may call `runBatch` with every
 * context of the batch (same transaction, any workspaces), so a stage can read and write for the whole
 * set in a constant number of statements. A stage without `runBatch` is run once per context, in order,
 * which is always correct; `runBatch` must leave each context exactly as `run` would have. The
 * contexts of one batch never share an email or phone (the pipeline runs events that do in later
 * batches, in order), so a stage may read for all of them before writing for any.
 */
export interface PipelineStage {
  readonly name: string;
  run(ctx: StageContext): Promise<void>;
  runBatch?(batch: readonly StageContext[]): Promise<void>;
  /**
   * Runs once the batch's leads, history, consents, audit entries and domain events are written, in
   * the same transaction: for a reaction that reads the stored lead (a workflow's first steps).
   */
  afterWrite?(batch: readonly StageContext[]): Promise<void>;
}

/** Runs one stage over a batch: its `runBatch` when it has one, else `run` per context in order. */
export async function runStageOverBatch(stage: PipelineStage, batch: readonly StageContext[]): Promise<void> {
  if (stage.runBatch) {
    await stage.runBatch(batch);
    return;
  }
  for (const ctx of batch) await stage.run(ctx);
}

/** A batch's contexts by workspace, each group in batch order (a batch may hold several workspaces). */
export function contextsByWorkspace(batch: readonly StageContext[]): StageContext[][] {
  const groups = new Map<string, StageContext[]>();
  for (const ctx of batch) {
    const group = groups.get(ctx.tenant.workspaceId);
    if (group) group.push(ctx);
    else groups.set(ctx.tenant.workspaceId, [ctx]);
  }
  return [...groups.values()];
}
