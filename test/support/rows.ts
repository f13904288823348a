import type { Insertable } from 'kysely';
import type { Database } from '../../src/store/index.ts';

/**
 * Whole rows for seeding tables directly, for tests and benchmarks that need many leads or outcomes
 * without running the pipeline. Every column has a neutral default, so a caller names only what its
 * scenario is about, and a column added to a table is filled in one place.
 */
type LeadRow = Insertable<Database['leads']>;
type OutcomeRow = Insertable<Database['lead_outcomes']>;
type WorkflowRunRow = Insertable<Database['workflow_runs']>;
type WorkflowStepRow = Insertable<Database['workflow_steps']>;

/** A lead row: no contact fields, no source, status `new`, score 0, created and updated at `at`. */
export function leadRow(id: string, workspaceId: string, at: number, fields: Partial<LeadRow> = {}): LeadRow {
  return {
    id,
    workspace_id: workspaceId,
    email: null,
    phone: null,
    name: null,
    company: null,
    company_domain: null,
    title: null,
    country: null,
    source: null,
    utm: '{}',
    attributes: '{}',
    status: 'new',
    score: 0,
    score_breakdown: '[]',
    created_at: at,
    updated_at: at,
    ...fields,
  };
}

/** An outcome row as the API records it (revision 1), occurred and recorded at `at`, without predictions. */
export function outcomeRow(
  workspaceId: string,
  leadId: string,
  at: number,
  fields: Partial<OutcomeRow> = {},
): OutcomeRow {
  return {
    workspace_id: workspaceId,
    lead_id: leadId,
    converted: 0,
    value: null,
    occurred_at: at,
    recorded_at: at,
    updated_at: at,
    revision: 1,
    body_hash: `h-${leadId}`,
    source: 'api',
    probability: null,
    model_version: null,
    challenger_probability: null,
    challenger_version: null,
    ...fields,
  };
}

/** A finished manual run of version 1 of a workflow, for `leadId`, started and finished at `at`. */
export function workflowRunRow(
  id: string,
  workspaceId: string,
  workflowId: string,
  leadId: string | null,
  at: number,
  fields: Partial<WorkflowRunRow> = {},
): WorkflowRunRow {
  return {
    id,
    workspace_id: workspaceId,
    workflow_id: workflowId,
    version: 1,
    engine_version: 1,
    lead_id: leadId,
    trigger: 'manual',
    dedupe_key: id,
    status: 'completed',
    input: '{}',
    error: null,
    created_at: at,
    updated_at: at,
    finished_at: at,
    ...fields,
  };
}

/** A run's first step, completed at its first attempt at `at` with `output` (null: none). */
export function workflowStepRow(
  workspaceId: string,
  runId: string,
  step: { id: string; type: string; output: unknown },
  at: number,
): WorkflowStepRow {
  return {
    workspace_id: workspaceId,
    run_id: runId,
    step_key: step.id,
    step_id: step.id,
    type: step.type,
    seq: 1,
    status: 'completed',
    attempts: 1,
    output: step.output === null ? null : JSON.stringify(step.output),
    error: null,
    wake_at: null,
    started_at: at,
    finished_at: at,
  };
}
