import { sql } from 'kysely';
import type { Db, WorkflowRunsTable, WorkflowStepsTable } from '../../store/index.ts';
import { fromJson } from '../../store/index.ts';

/** The statuses of a run; `queued` waits for a concurrency slot of its workflow. */
export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
/** The statuses of a step row; only `running`, `retrying` and `waiting` can still change. */
type StepStatus = 'running' | 'retrying' | 'waiting' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export const FINAL_RUN: ReadonlySet<string> = new Set<RunStatus>(['completed', 'failed', 'cancelled']);
export const FINAL_STEP: ReadonlySet<string> = new Set<StepStatus>([
  'completed',
  'failed',
  'skipped',
  'cancelled',
]);

/** A step key is the step id and its visit number in the run (`send#1`, `body#3` in a loop). */
export function stepKeyOf(stepId: string, visit: number): string {
  return `${stepId}#${visit}`;
}

export function stepIdOf(stepKey: string): string {
  const hash = stepKey.lastIndexOf('#');
  return hash < 0 ? stepKey : stepKey.slice(0, hash);
}

/** Cuts a step's output to `maxBytes` of JSON, so run history stays bounded (n8n stores 40–50 MB runs). */
export function truncateOutput(output: unknown, maxBytes: number): string {
  const json = JSON.stringify(output ?? null);
  if (Buffer.byteLength(json) <= maxBytes) return json;
  return JSON.stringify({
    truncated: true,
    bytes: Buffer.byteLength(json),
    preview: json.slice(0, Math.max(0, maxBytes - 100)),
  });
}

export async function findRun(
  db: Db,
  workspaceId: string,
  runId: string,
): Promise<WorkflowRunsTable | undefined> {
  return db
    .selectFrom('workflow_runs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', runId)
    .executeTakeFirst();
}

export async function runSteps(db: Db, workspaceId: string, runId: string): Promise<WorkflowStepsTable[]> {
  return db
    .selectFrom('workflow_steps')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('run_id', '=', runId)
    .orderBy('seq')
    .execute();
}

/** The next visit number of `stepId` in the run (1 on the first visit). */
export async function nextVisit(db: Db, workspaceId: string, runId: string, stepId: string): Promise<number> {
  const row = await db
    .selectFrom('workflow_steps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('run_id', '=', runId)
    .where('step_id', '=', stepId)
    .executeTakeFirstOrThrow();
  return Number(row.n) + 1;
}

export interface StepWrite {
  workspaceId: string;
  runId: string;
  stepKey: string;
  stepId: string;
  type: string;
  status: StepStatus;
  attempts: number;
  output: string | null;
  error: string | null;
  wakeAt: number | null;
  now: number;
  final: boolean;
}

const OPEN_STEP = ['running', 'retrying', 'waiting'] as const;

/**
 * Inserts or updates a step row in one statement; a new row's sequence number is its position in
 * the run (the run's steps are written one at a time, so the count is stable).
 */
export async function writeStep(db: Db, w: StepWrite): Promise<boolean> {
  const values = {
    status: w.status,
    attempts: w.attempts,
    output: w.output,
    error: w.error?.slice(0, 1000) ?? null,
    wake_at: w.wakeAt,
    finished_at: w.final ? w.now : null,
  };
  const result = await db
    .insertInto('workflow_steps')
    .values({
      workspace_id: w.workspaceId,
      run_id: w.runId,
      step_key: w.stepKey,
      step_id: w.stepId,
      type: w.type,
      seq: sql<number>`(select count(*) + 1 from workflow_steps where run_id = ${w.runId})`,
      started_at: w.now,
      ...values,
    })
    // A finished step is never rewritten: a second execution of the same job (a lease that
    // expired under load, a crash before the job's deletion) cannot reopen or re-settle it.
    .onConflict((oc) =>
      oc
        .columns(['run_id', 'step_key'])
        .doUpdateSet(values)
        .where('workflow_steps.status', 'in', [...OPEN_STEP]),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function finishRun(
  db: Db,
  workspaceId: string,
  runId: string,
  status: Extract<RunStatus, 'completed' | 'failed' | 'cancelled'>,
  error: string | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('workflow_runs')
    .set({ status, error: error?.slice(0, 1000) ?? null, finished_at: now, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', runId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

export function parseOutput(row: Pick<WorkflowStepsTable, 'output'>): Record<string, unknown> {
  return fromJson<Record<string, unknown>>(row.output, {});
}
