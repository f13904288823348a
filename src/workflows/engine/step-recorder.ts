import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock } from '../../core/index.ts';
import type { JobContext, Queue } from '../../queue/index.ts';
import type { Db, Store, WorkflowRunsTable, WorkflowStepsTable } from '../../store/index.ts';
import { withSavepoint } from '../../store/index.ts';
import type { WorkspaceWorkflowSettings } from '../credentials/settings-store.ts';
import { EFFECT_CLASS, type Step } from '../dsl/index.ts';
import type { ConsentPort, LeadPort } from '../ports.ts';
import type { DefinitionCache, LoadedVersion } from './definitions.ts';
import { leadView, type RunScope } from './evaluate.ts';
import { type ExecutorDeps, executeStep, type StepOutcome } from './executors.ts';
import type { GroupCommit } from './group-commit.ts';
import { absorb, CHANGES_LEAD, DATABASE_ONLY, loopOutcome, suppression } from './run-scope.ts';
import {
  FINAL_RUN,
  findRun,
  finishRun,
  nextVisit,
  parseOutput,
  stepKeyOf,
  truncateOutput,
  writeStep,
} from './run-store.ts';

const WORKER: Actor = { type: 'worker', id: 'workflow.step' };

type AdvanceArgs = [
  trx: Db,
  run: WorkflowRunsTable,
  wf: LoadedVersion,
  from: string | undefined,
  chain: { scope: RunScope; rows: WorkflowStepsTable[] } | null,
  ws: WorkspaceWorkflowSettings,
  signal: AbortSignal,
  leadChanged: boolean,
];

type SettleArgs = [
  job: JobContext<'workflow.step'>,
  run: WorkflowRunsTable,
  wf: LoadedVersion,
  step: Step,
  attempts: number,
  outcome: StepOutcome,
  ws: WorkspaceWorkflowSettings,
  stepError: string | null,
  chain: { scope: RunScope; rows: WorkflowStepsTable[] } | null,
];

/** A settled step as the rows the run's later steps read (`seq` is not read). */
function memoRow(
  run: WorkflowRunsTable,
  stepKey: string,
  step: Pick<Step, 'id' | 'type'>,
  status: string,
  attempts: number,
  output: string,
  now: number,
): WorkflowStepsTable {
  return {
    workspace_id: run.workspace_id,
    run_id: run.id,
    step_key: stepKey,
    step_id: step.id,
    type: step.type,
    seq: 0,
    status,
    attempts,
    output,
    error: null,
    wake_at: null,
    started_at: now,
    finished_at: now,
  };
}

export interface StepRecorder {
  /** The database-only steps from `from` on, then the next job or the run's end, in `trx` (see below). */
  advance(...args: AdvanceArgs): Promise<void>;
  settleIn(trx: Db, ...args: SettleArgs): Promise<boolean>;
  settle(...args: SettleArgs): Promise<void>;
  fail(
    job: JobContext<'workflow.step'>,
    run: WorkflowRunsTable,
    wf: LoadedVersion,
    step: Step,
    attempts: number,
    error: string,
    ws: WorkspaceWorkflowSettings,
  ): Promise<void>;
  resumeParent(
    trx: Db,
    child: Pick<WorkflowRunsTable, 'workspace_id' | 'id' | 'input' | 'status' | 'error'>,
    now: number,
  ): Promise<void>;
}

/**
 * How a step's end is recorded: its memo, its audit entry, the database-only steps that follow it
 * and the next job (or the run's end, waking a parent run), all in one transaction.
 */
export function createStepRecorder(options: {
  store: Store;
  queue: Pick<Queue, 'enqueue' | 'notify'>;
  clock: Clock;
  audit: AuditLog;
  leads: LeadPort;
  consent: ConsentPort;
  definitions: DefinitionCache;
  deps: ExecutorDeps;
  commit: GroupCommit;
}): StepRecorder {
  const { store, queue, clock, audit, leads, consent, definitions, deps, commit } = options;

  /** The audit entry of an outbound action: done, suppressed at send time, or failed. */
  async function auditAction(
    trx: Db,
    run: WorkflowRunsTable,
    step: Step,
    stepKey: string,
    status: string,
    output: Record<string, unknown>,
    attempts: number,
    stepError: string | null,
  ): Promise<void> {
    await audit.append(trx, run.workspace_id, {
      actor: { type: 'worker', id: `workflow:${run.workflow_id}` },
      action:
        status === 'skipped'
          ? 'workflow.action_suppressed'
          : status === 'failed'
            ? 'workflow.action_failed'
            : 'workflow.action',
      subject: run.lead_id ?? run.id,
      reason:
        status === 'skipped'
          ? String(output.suppressed)
          : `${step.type} step ${step.id} of workflow ${run.workflow_id} v${run.version}`,
      data: {
        runId: run.id,
        stepKey,
        effect: EFFECT_CLASS[step.type],
        idempotencyKey: `${run.id}:${stepKey}`,
        attempts,
        ...(stepError ? { error: stepError.slice(0, 300) } : {}),
      },
    });
  }

  /**
   * Runs the database-only steps from `next` on in `trx`, each in a savepoint and memoised, until a
   * step with an external effect, a wait, a step that throws (it runs as its own job, with its
   * retries and error edge), the end or 200 steps; then queues the job of the step reached, or ends
   * the run (waking a parent run). A database-only step that acts for the lead (`add_to_sequence`)
   * checks consent first, read in `trx`: it may have been withdrawn since the run last looked.
   */
  async function advance(
    ...[trx, run, wf, from, chain, ws, signal, leadChanged]: AdvanceArgs
  ): Promise<void> {
    const now = clock.now();
    const hasLoop = wf.workflow.steps.some((s) => s.type === 'loop');
    let next = from;
    for (let inlined = 0; next && chain && inlined < 200; inlined++) {
      const nextStep = wf.steps.get(next);
      if (!nextStep || !DATABASE_ONLY.has(nextStep.type)) break;
      if (leadChanged && run.lead_id) {
        const lead = await leads.find(trx, { workspaceId: run.workspace_id }, run.lead_id);
        chain.scope.lead = lead ? leadView(lead) : null;
        leadChanged = false;
      }
      const key = stepKeyOf(next, hasLoop ? await nextVisit(trx, run.workspace_id, run.id, next) : 1);
      const acts = EFFECT_CLASS[nextStep.type] !== null;
      if (acts && chain.scope.lead)
        chain.scope.consent = await consent.stateOf(
          trx,
          { workspaceId: run.workspace_id },
          String(chain.scope.lead.id),
        );
      const suppressed = acts ? suppression(nextStep, wf.workflow, chain.rows, chain.scope) : null;
      let inline: StepOutcome;
      try {
        inline = suppressed
          ? {
              kind: 'continue',
              next: 'next' in nextStep ? nextStep.next : undefined,
              output: { suppressed },
              status: 'skipped',
            }
          : await withSavepoint(trx, () =>
              nextStep.type === 'loop'
                ? Promise.resolve(loopOutcome(nextStep, chain.rows, chain.scope))
                : executeStep(
                    nextStep,
                    {
                      db: trx,
                      workspaceId: run.workspace_id,
                      run,
                      workflow: wf.workflow,
                      stepKey: key,
                      scope: chain.scope,
                      settings: ws,
                      idempotencyKey: `${run.id}:${key}`,
                      now,
                      signal,
                    },
                    deps,
                  ),
            );
      } catch {
        break; // it runs as its own job, with its retries and error edge
      }
      if (inline.kind !== 'continue') break;
      const status = inline.status ?? 'completed';
      const output = truncateOutput(inline.output, ws.maxStepOutputBytes);
      await writeStep(trx, {
        workspaceId: run.workspace_id,
        runId: run.id,
        stepKey: key,
        stepId: nextStep.id,
        type: nextStep.type,
        status,
        attempts: 1,
        output,
        error: null,
        wakeAt: null,
        now,
        final: true,
      });
      if (acts) await auditAction(trx, run, nextStep, key, status, inline.output, 1, null);
      chain.rows.push(memoRow(run, key, nextStep, status, 1, output, now));
      if (status === 'completed') absorb(chain.scope, nextStep, inline.output);
      if (CHANGES_LEAD.has(nextStep.type) && status === 'completed') leadChanged = true;
      next = inline.next;
    }
    if (next) {
      const visit = hasLoop ? await nextVisit(trx, run.workspace_id, run.id, next) : 1;
      await queue.enqueue(trx, [
        {
          name: 'workflow.step',
          workspaceId: run.workspace_id,
          payload: { runId: run.id, stepKey: stepKeyOf(next, visit) },
        },
      ]);
    } else {
      await finishRun(trx, run.workspace_id, run.id, 'completed', null, now);
      await resumeParent(trx, { ...run, status: 'completed', error: null }, now);
    }
  }

  /**
   * Records the step's outcome, its audit entry, the database-only steps after it and the next job
   * (or the run's end) in `trx`; false when another execution of the job settled the step first
   * (its successor is already queued).
   */
  async function settleIn(
    trx: Db,
    ...[job, run, wf, step, attempts, outcome, ws, stepError, chain]: SettleArgs
  ): Promise<boolean> {
    const now = clock.now();
    const { stepKey } = job.payload;
    const effect = EFFECT_CLASS[step.type];
    const base = {
      workspaceId: run.workspace_id,
      runId: run.id,
      stepKey,
      stepId: step.id,
      type: step.type,
      attempts,
      now,
      error: stepError,
    };
    if (outcome.kind === 'wait') {
      // Waiting for a child run: the same lock `resumeParent` takes, so the child's end is not missed.
      if (typeof outcome.output.waitingForRun === 'string' && store.dialect === 'postgres')
        await trx
          .selectFrom('workflow_runs')
          .select('id')
          .where('workspace_id', '=', run.workspace_id)
          .where('id', '=', run.id)
          .forUpdate()
          .execute();
      const opened = await writeStep(trx, {
        ...base,
        status: 'waiting',
        output: truncateOutput(outcome.output, ws.maxStepOutputBytes),
        wakeAt: outcome.wakeAt,
        final: false,
      });
      if (!opened) return false;
      await queue.enqueue(trx, [
        {
          name: 'workflow.step',
          workspaceId: run.workspace_id,
          payload: job.payload,
          runAt: outcome.wakeAt,
        },
      ]);
      // The child may have ended before this step started waiting: then it resumes now.
      const childId = outcome.output.waitingForRun;
      if (typeof childId === 'string') {
        const child = await findRun(trx, run.workspace_id, childId);
        if (child && FINAL_RUN.has(child.status)) await resumeParent(trx, child, now);
      }
      return true;
    }
    const status = stepError ? 'failed' : (outcome.status ?? 'completed');
    const settled = await writeStep(trx, {
      ...base,
      status,
      output: truncateOutput(outcome.output, ws.maxStepOutputBytes),
      wakeAt: null,
      final: true,
    });
    // Another execution of this job settled the step first: its successor is already queued.
    if (!settled) return false;
    chain?.rows.push(
      memoRow(
        run,
        stepKey,
        step,
        status,
        attempts,
        truncateOutput(outcome.output, ws.maxStepOutputBytes),
        now,
      ),
    );
    if (effect && effect !== 'ai')
      await auditAction(trx, run, step, stepKey, status, outcome.output, attempts, stepError);
    if (chain && status !== 'failed') absorb(chain.scope, step, outcome.output);
    // The lead is read again only when a step changed it and another step follows in this transaction.
    const leadChanged = CHANGES_LEAD.has(step.type) && status === 'completed';
    await advance(trx, run, wf, outcome.next, chain, ws, job.signal, leadChanged);
    return true;
  }

  /** `settleIn` in a transaction shared with the other steps settling now (group commit). */
  async function settle(...args: SettleArgs): Promise<void> {
    await commit((trx) => settleIn(trx, ...args));
    queue.notify();
  }

  /**
   * A run that ends wakes the parent step waiting for it (`start_workflow` with `wait: true`), in
   * the transaction that ends it. The parent run's row is locked first (PostgreSQL), and the parent
   * takes the same lock before it starts waiting, so one of the two always sees the other.
   */
  async function resumeParent(
    trx: Db,
    child: Pick<WorkflowRunsTable, 'workspace_id' | 'id' | 'input' | 'status' | 'error'>,
    now: number,
  ): Promise<void> {
    const parentRunId = (JSON.parse(child.input) as { parentRunId?: unknown }).parentRunId;
    if (typeof parentRunId !== 'string') return;
    const workspaceId = child.workspace_id;
    const parent = await trx
      .selectFrom('workflow_runs')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', parentRunId)
      .$if(store.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    if (!parent || FINAL_RUN.has(parent.status)) return;
    const waiting = await trx
      .selectFrom('workflow_steps')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('run_id', '=', parentRunId)
      .where('status', '=', 'waiting')
      .where('type', '=', 'start_workflow')
      .execute();
    const row = waiting.find((r) => parseOutput(r).waitingForRun === child.id);
    if (!row) return;
    const wf = await definitions.version(trx, workspaceId, parent.workflow_id, parent.version);
    const step = wf?.steps.get(row.step_id);
    if (step?.type !== 'start_workflow') return;
    const ok = child.status === 'completed';
    const next = ok ? step.next : step.onError;
    const error = ok ? null : `child run ${child.id} ${child.status}${child.error ? `: ${child.error}` : ''}`;
    await writeStep(trx, {
      workspaceId,
      runId: parentRunId,
      stepKey: row.step_key,
      stepId: row.step_id,
      type: row.type,
      status: ok || step.onError ? 'completed' : 'failed',
      attempts: row.attempts,
      output: JSON.stringify({ ...parseOutput(row), childStatus: child.status, waited: true }),
      error,
      wakeAt: null,
      now,
      final: true,
    });
    if (!ok && !step.onError) {
      await finishRun(trx, workspaceId, parentRunId, 'failed', `step ${step.id}: ${error}`, now);
      await resumeParent(trx, { ...parent, status: 'failed', error }, now);
    } else if (next) {
      const visit = await nextVisit(trx, workspaceId, parentRunId, next);
      await queue.enqueue(trx, [
        {
          name: 'workflow.step',
          workspaceId,
          payload: { runId: parentRunId, stepKey: stepKeyOf(next, visit) },
        },
      ]);
    } else {
      await finishRun(trx, workspaceId, parentRunId, 'completed', null, now);
      await resumeParent(trx, { ...parent, status: 'completed', error: null }, now);
    }
  }

  const fail: StepRecorder['fail'] = async (job, run, wf, step, attempts, error, ws) => {
    if (step.onError) {
      await settle(
        job,
        run,
        wf,
        step,
        attempts,
        { kind: 'continue', next: step.onError, output: { error: error.slice(0, 300) } },
        ws,
        error,
        null,
      );
      return;
    }
    const now = clock.now();
    await store.transaction(async (trx) => {
      const settled = await writeStep(trx, {
        workspaceId: run.workspace_id,
        runId: run.id,
        stepKey: job.payload.stepKey,
        stepId: step.id,
        type: step.type,
        status: 'failed',
        attempts,
        output: null,
        error,
        wakeAt: null,
        now,
        final: true,
      });
      if (!settled) return;
      await finishRun(trx, run.workspace_id, run.id, 'failed', `step ${step.id}: ${error}`, now);
      await resumeParent(trx, { ...run, status: 'failed', error }, now);
      await audit.append(trx, run.workspace_id, {
        actor: WORKER,
        action: 'workflow.run_failed',
        subject: run.lead_id ?? run.id,
        reason: `step ${step.id} failed: ${error.slice(0, 300)}`,
        data: {
          runId: run.id,
          workflowId: run.workflow_id,
          version: run.version,
          stepKey: job.payload.stepKey,
          attempts,
        },
      });
    });
  };

  return { advance, settleIn, settle, fail, resumeParent };
}
