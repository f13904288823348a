import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../../core/index.ts';
import type { PipelineStage } from '../../leads/index.ts';
import type { JobContext, Queue } from '../../queue/index.ts';
import type { Db, Store, WorkflowRunsTable, WorkflowStepsTable } from '../../store/index.ts';
import { withSavepoint } from '../../store/index.ts';
import type { SettingsStore, WorkspaceWorkflowSettings } from '../credentials/settings-store.ts';
import { EFFECT_CLASS, type Step, type Workflow } from '../dsl/index.ts';
import type { ConsentPort, LeadPort, WorkflowLead } from '../ports.ts';
import { createDefinitionCache, type DefinitionCache, type LoadedVersion } from './definitions.ts';
import type { StartRunInput } from './engine-types.ts';
import { evaluate, leadView, type RunScope, readsConsent } from './evaluate.ts';
import { type ExecutorDeps, executeStep, StepFailure, type StepOutcome } from './executors.ts';
import { createRateLimiter } from './limits.ts';
import {
  FINAL_RUN,
  FINAL_STEP,
  findRun,
  finishRun,
  nextVisit,
  parseOutput,
  runSteps,
  stepIdOf,
  stepKeyOf,
  truncateOutput,
  writeStep,
} from './run-store.ts';
import { createSchedules } from './schedules.ts';
import { createLeadTriggers, type LeadEvent } from './triggers.ts';

/** Recorded on every run: how the engine interpreted the definition, should that ever change. */
const ENGINE_SEMANTICS_VERSION = 1;

export interface WorkflowEngine {
  /** The `workflow.step` job handler. */
  stepJob(job: JobContext<'workflow.step'>): Promise<void>;
  /** A lead-pipeline reaction: starts the runs of active workflows whose triggers this event fires, in the event's transaction. */
  readonly triggerStage: PipelineStage;
  /** Starts the runs a lead event recorded outside the pipeline triggers (and wakes runs waiting for it), in `db`: the event's transaction. */
  fire(db: Db, workspaceId: string, event: LeadEvent): Promise<void>;
  /** The `workflow.schedule` job handler. */
  scheduleJob(job: JobContext<'workflow.schedule'>): Promise<void>;
  /** Makes the workflow's schedule rows match its active version (null: none), in `db`: the activation's transaction. */
  syncSchedules(db: Db, workspaceId: string, workflowId: string, activeVersion: number | null): Promise<void>;
  /** Starts a run in `db` (the caller's transaction); null when the workflow is not runnable, `created: false` for a duplicate. */
  startRun(
    db: Db,
    workspaceId: string,
    input: StartRunInput,
  ): Promise<{ runId: string; created: boolean } | null>;
  /** Delivers an event to runs waiting for it (`wait` with `kind: event`) about `leadId`. */
  deliverEvent(
    db: Db,
    workspaceId: string,
    leadId: string,
    event: string,
    data: Record<string, unknown>,
  ): Promise<number>;
  cancelRun(workspaceId: string, runId: string, actor: Actor, reason: string): Promise<boolean>;
  /** Forgets cached active workflows of a workspace (after activation changes). */
  invalidate(workspaceId: string): void;
  readonly definitions: DefinitionCache;
}

export interface WorkflowEngineOptions extends Omit<ExecutorDeps, 'startChild' | 'runOrdinal'> {
  store: Store;
  queue: Pick<Queue, 'enqueue' | 'notify'>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  leads: LeadPort;
  consent: ConsentPort;
  settings: SettingsStore;
  random?: () => number;
  /** Default retry policy of effect steps (other steps fail at once unless they declare one). */
  defaultRetry?: { maxAttempts: number; backoffMs: number; factor: number };
}

const WORKER: Actor = { type: 'worker', id: 'workflow.step' };

export function createWorkflowEngine(options: WorkflowEngineOptions): WorkflowEngine {
  const { store, queue, clock, ids, audit, leads, consent, settings } = options;
  const random = options.random ?? Math.random;
  const defaultRetry = options.defaultRetry ?? { maxAttempts: 5, backoffMs: 1000, factor: 2 };
  const definitions = createDefinitionCache({ clock });
  const limiter = createRateLimiter(clock);

  const deps: ExecutorDeps = {
    ...options,
    startChild: async (db, workspaceId, input) => {
      const started = await startRun(db, workspaceId, {
        workflowId: input.workflowId,
        ...(input.version === 'latest' ? {} : { version: input.version }),
        trigger: 'workflow',
        leadId: input.leadId,
        dedupeKey: input.dedupeKey,
        input: { parentRunId: input.parentRunId },
      });
      return started?.runId ?? null;
    },
    runOrdinal: async (db, run) => {
      const row = await db
        .selectFrom('workflow_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', run.workspace_id)
        .where('workflow_id', '=', run.workflow_id)
        .where('created_at', '<', run.created_at)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };

  async function startRun(db: Db, workspaceId: string, input: StartRunInput) {
    const wf = await definitions.runnable(db, workspaceId, input.workflowId, input.version);
    if (!wf) return null;
    const trigger = wf.workflow.triggers.find((t) => t.type === input.trigger);
    const start = trigger?.start ?? wf.workflow.start;
    const now = clock.now();
    const runId = ids.next('wfr');
    const inserted = await db
      .insertInto('workflow_runs')
      .values({
        id: runId,
        workspace_id: workspaceId,
        workflow_id: input.workflowId,
        version: wf.version,
        engine_version: ENGINE_SEMANTICS_VERSION,
        lead_id: input.leadId,
        trigger: input.trigger,
        dedupe_key: input.dedupeKey,
        status: 'queued',
        input: JSON.stringify(input.input ?? {}),
        error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'workflow_id', 'dedupe_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await db
        .selectFrom('workflow_runs')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('workflow_id', '=', input.workflowId)
        .where('dedupe_key', '=', input.dedupeKey)
        .executeTakeFirst();
      return existing ? { runId: existing.id, created: false } : null;
    }
    await queue.enqueue(db, [
      { name: 'workflow.step', workspaceId, payload: { runId, stepKey: stepKeyOf(start, 1) } },
    ]);
    return { runId, created: true };
  }

  /** Everything a step may read, rebuilt from the stored rows: a resumed run sees what it saw. */
  async function scopeOf(db: Db, run: WorkflowRunsTable, rows: WorkflowStepsTable[]): Promise<RunScope> {
    const ctx = { workspaceId: run.workspace_id };
    const lead: WorkflowLead | null = run.lead_id ? await leads.find(db, ctx, run.lead_id) : null;
    const scope: RunScope = {
      lead: lead ? leadView(lead) : null,
      trigger: JSON.parse(run.input) as Record<string, unknown>,
      vars: {},
      steps: {},
      loop: {},
      consent: lead ? await consent.stateOf(db, ctx, lead.id) : null,
    };
    for (const row of rows) {
      if (row.status !== 'completed') continue;
      const output = parseOutput(row);
      scope.steps[row.step_id] = output;
      if (row.type === 'set_vars' && output.vars && typeof output.vars === 'object')
        Object.assign(scope.vars, output.vars);
      if (typeof output.saveAs === 'string') scope.vars[output.saveAs] = output.response;
      if (row.type === 'loop' && output.entered)
        scope.loop[row.step_id] = { index: Number(output.index), item: output.item ?? null };
    }
    return scope;
  }

  /** Loop entries are counted from the loop's previous visits since it last exited. */
  function loopOutcome(
    step: Extract<Step, { type: 'loop' }>,
    rows: WorkflowStepsTable[],
    scope: RunScope,
  ): StepOutcome {
    const previous = rows.filter((r) => r.step_id === step.id && r.status === 'completed').at(-1);
    const last = previous ? parseOutput(previous) : null;
    const index = last?.entered ? Number(last.index) + 1 : 0;
    let items: unknown[] | null = null;
    if (step.over) {
      const value = step.over
        .split('.')
        .reduce<unknown>(
          (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
          scope,
        );
      items = Array.isArray(value) ? value : [];
    }
    const more = index < step.maxIterations && (items === null || index < items.length);
    if (!more) return { kind: 'continue', next: step.next, output: { entered: false, iterations: index } };
    return {
      kind: 'continue',
      next: step.body,
      output: { entered: true, index, item: items ? items[index] : null },
    };
  }

  /**
   * Consent can be withdrawn while a run waits: before an outbound action to the lead, every
   * consent or privacy condition the run passed is evaluated again against today's state, and
   * marketing to an unsubscribed person or third-party sharing after an opt-out never happens.
   */
  function suppression(step: Step, wf: Workflow, rows: WorkflowStepsTable[], scope: RunScope): string | null {
    const effect = EFFECT_CLASS[step.type];
    if (!effect || effect === 'ai' || effect === 'unknown' || !scope.lead) return null;
    if (step.type === 'send_email' && step.to !== 'lead') return null;
    const byId = new Map(wf.steps.map((s) => [s.id, s]));
    for (const row of rows) {
      if (row.status !== 'completed' || row.type !== 'condition') continue;
      const condition = byId.get(row.step_id);
      if (condition?.type !== 'condition' || !readsConsent(condition.when)) continue;
      const took = parseOutput(row).branch === 'onTrue';
      if (evaluate(condition.when, scope) !== took)
        return `consent changed since condition ${condition.id}: it would now take the other branch`;
    }
    const state = scope.consent;
    if (
      state?.unsubscribed &&
      ((step.type === 'send_email' && step.purpose === 'marketing') || step.type === 'add_to_sequence')
    )
      return 'the person unsubscribed';
    const sharing = 'sharing' in step ? step.sharing : undefined;
    if (state?.saleShareOptOut && sharing === 'third_party')
      return 'the person opted out of sale/share (or sent GPC)';
    return null;
  }

  function backoff(step: Step, attempt: number): number {
    const policy = { ...defaultRetry, ...step.retry };
    const base =
      (policy.backoffMs ?? defaultRetry.backoffMs) *
      (policy.factor ?? defaultRetry.factor) ** Math.max(0, attempt - 1);
    return Math.round(Math.min(base, 3_600_000) * (0.5 + random() / 2));
  }

  async function admit(
    run: WorkflowRunsTable,
    wf: Workflow,
    ws: WorkspaceWorkflowSettings,
  ): Promise<boolean> {
    const limit = wf.settings?.maxConcurrentRuns ?? ws.concurrencyPerWorkflow;
    // Unsynced: a power cut that forgets the admission only lets the run be admitted again.
    return store.unsynced(async (trx) => {
      const running = await trx
        .selectFrom('workflow_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workflow_id', '=', run.workflow_id)
        .where('status', '=', 'running')
        .executeTakeFirstOrThrow();
      if (Number(running.n) >= limit) return false;
      await trx
        .updateTable('workflow_runs')
        .set({ status: 'running', updated_at: clock.now() })
        .where('workspace_id', '=', run.workspace_id)
        .where('id', '=', run.id)
        .where('status', '=', 'queued')
        .execute();
      return true;
    });
  }

  async function requeue(db: Db, job: JobContext<'workflow.step'>, runAt: number): Promise<void> {
    await queue.enqueue(db, [
      { name: 'workflow.step', workspaceId: job.workspaceId, payload: job.payload, runAt },
    ]);
  }

  /**
   * Steps whose only effects are database writes (conditions, variables, lead updates, assignment,
   * loops, starting another workflow) run inside the transaction that records the step before them:
   * their effect and their memo commit together, so they cannot half-happen, and a run pays one
   * commit and one job for each external effect instead of one per step.
   */
  const INLINE: ReadonlySet<Step['type']> = new Set<Step['type']>([
    'condition',
    'switch',
    'set_vars',
    'noop',
    'loop',
    'update_lead',
    'assign_owner',
    'add_to_sequence',
    'start_workflow',
  ]);

  function absorb(scope: RunScope, step: Step, output: Record<string, unknown>): void {
    scope.steps[step.id] = output;
    if (step.type === 'set_vars' && output.vars && typeof output.vars === 'object')
      Object.assign(scope.vars, output.vars);
    if (typeof output.saveAs === 'string') scope.vars[output.saveAs] = output.response;
    if (step.type === 'loop' && output.entered)
      scope.loop[step.id] = { index: Number(output.index), item: output.item ?? null };
  }

  /** Records the step's outcome, its audit entry, the inline steps after it and the next job (or the run's end) in one transaction. */
  async function settle(
    job: JobContext<'workflow.step'>,
    run: WorkflowRunsTable,
    wf: LoadedVersion,
    step: Step,
    attempts: number,
    outcome: StepOutcome,
    ws: WorkspaceWorkflowSettings,
    stepError: string | null,
    chain: { scope: RunScope; rows: WorkflowStepsTable[] } | null,
  ): Promise<void> {
    const now = clock.now();
    const { stepKey } = job.payload;
    const effect = EFFECT_CLASS[step.type];
    const hasLoop = wf.workflow.steps.some((s) => s.type === 'loop');
    await store.transaction(async (trx) => {
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
        if (!opened) return;
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
        return;
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
      if (!settled) return;
      if (effect && effect !== 'ai') {
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
              ? String(outcome.output.suppressed)
              : `${step.type} step ${step.id} of workflow ${run.workflow_id} v${run.version}`,
          data: {
            runId: run.id,
            stepKey,
            effect,
            idempotencyKey: `${run.id}:${stepKey}`,
            attempts,
            ...(stepError ? { error: stepError.slice(0, 300) } : {}),
          },
        });
      }
      let next = outcome.next;
      if (chain && status !== 'failed') absorb(chain.scope, step, outcome.output);
      for (let inlined = 0; next && chain && inlined < 200; inlined++) {
        const nextStep = wf.steps.get(next);
        if (!nextStep || !INLINE.has(nextStep.type)) break;
        const key = stepKeyOf(next, hasLoop ? await nextVisit(trx, run.workspace_id, run.id, next) : 1);
        const rt = {
          db: trx,
          workspaceId: run.workspace_id,
          run,
          workflow: wf.workflow,
          stepKey: key,
          scope: chain.scope,
          settings: ws,
          idempotencyKey: `${run.id}:${key}`,
          now,
          signal: job.signal,
        };
        let inline: StepOutcome;
        try {
          inline = await withSavepoint(trx, () =>
            nextStep.type === 'loop'
              ? Promise.resolve(loopOutcome(nextStep, chain.rows, chain.scope))
              : executeStep(nextStep, rt, deps),
          );
        } catch {
          break; // it runs as its own job, with its retries and error edge
        }
        if (inline.kind !== 'continue') break;
        const output = truncateOutput(inline.output, ws.maxStepOutputBytes);
        await writeStep(trx, {
          workspaceId: run.workspace_id,
          runId: run.id,
          stepKey: key,
          stepId: nextStep.id,
          type: nextStep.type,
          status: 'completed',
          attempts: 1,
          output,
          error: null,
          wakeAt: null,
          now,
          final: true,
        });
        chain.rows.push({
          workspace_id: run.workspace_id,
          run_id: run.id,
          step_key: key,
          step_id: nextStep.id,
          type: nextStep.type,
          seq: 0,
          status: 'completed',
          attempts: 1,
          output,
          error: null,
          wake_at: null,
          started_at: now,
          finished_at: now,
        });
        absorb(chain.scope, nextStep, inline.output);
        if (
          (nextStep.type === 'update_lead' ||
            nextStep.type === 'assign_owner' ||
            nextStep.type === 'add_to_sequence') &&
          run.lead_id
        ) {
          const lead = await leads.find(trx, { workspaceId: run.workspace_id }, run.lead_id);
          chain.scope.lead = lead ? leadView(lead) : null;
        }
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
    });
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
    let lock = trx
      .selectFrom('workflow_runs')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', parentRunId);
    if (store.dialect === 'postgres') lock = lock.forUpdate();
    const parent = await lock.executeTakeFirst();
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

  async function fail(
    job: JobContext<'workflow.step'>,
    run: WorkflowRunsTable,
    wf: LoadedVersion,
    step: Step,
    attempts: number,
    error: string,
    ws: WorkspaceWorkflowSettings,
  ): Promise<void> {
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
  }

  /** Settings change rarely and every step reads them: cached per workspace for a second. */
  const settingsCache = new Map<string, { at: number; value: WorkspaceWorkflowSettings }>();
  async function settingsOf(db: Db, workspaceId: string): Promise<WorkspaceWorkflowSettings> {
    const hit = settingsCache.get(workspaceId);
    if (hit && clock.now() - hit.at < 1000) return hit.value;
    const value = await settings.get(db, { workspaceId });
    if (settingsCache.size > 10_000) settingsCache.clear();
    settingsCache.set(workspaceId, { at: clock.now(), value });
    return value;
  }

  async function stepJob(job: JobContext<'workflow.step'>): Promise<void> {
    const { runId, stepKey } = job.payload;
    const workspaceId = job.workspaceId;
    const db = store.db;
    let run = await findRun(db, workspaceId, runId);
    if (!run || FINAL_RUN.has(run.status)) return;
    const wf = await definitions.version(db, workspaceId, run.workflow_id, run.version);
    const ws = await settingsOf(db, workspaceId);
    const step = wf?.steps.get(stepIdOf(stepKey));
    if (!wf || !step) {
      await finishRun(
        db,
        workspaceId,
        runId,
        'failed',
        `step ${stepKey} is not in version ${run.version}`,
        clock.now(),
      );
      return;
    }
    if (run.status === 'queued') {
      if (!(await admit(run, wf.workflow, ws))) {
        await requeue(db, job, clock.now() + 100 + Math.round(random() * 400));
        return;
      }
      run = { ...run, status: 'running' };
    }
    const rows = await runSteps(db, workspaceId, runId);
    const row = rows.find((r) => r.step_key === stepKey);
    // Memoised: a finished step is never run again; its successor was queued when it finished.
    if (row && FINAL_STEP.has(row.status)) return;
    if (row?.status === 'waiting') {
      const wakeAt = Number(row.wake_at ?? 0);
      if (wakeAt > clock.now()) return; // an earlier timer job; the due one is queued
      if (step.type === 'start_workflow') {
        await fail(job, run, wf, step, row.attempts, 'the child run did not finish before its deadline', ws);
        return;
      }
      const timedOut = step.type === 'wait' && step.wait.kind === 'event';
      const next = step.type === 'wait' ? (timedOut ? step.onTimeout : step.next) : undefined;
      const scope = await scopeOf(db, run, rows);
      await settle(
        job,
        run,
        wf,
        step,
        row.attempts,
        {
          kind: 'continue',
          next,
          output: {
            ...parseOutput(row),
            ...(timedOut ? { timedOut: true } : {}),
            lateMs: clock.now() - wakeAt,
          },
        },
        ws,
        null,
        { scope, rows },
      );
      return;
    }
    const effect = EFFECT_CLASS[step.type];
    if (effect && effect !== 'ai') {
      const wait = limiter.take(`${workspaceId}:${effect}`, ws.ratePerConnector);
      if (wait > 0) {
        await requeue(db, job, clock.now() + wait);
        return;
      }
    }
    const attempts = (row?.attempts ?? 0) + 1;
    const now = clock.now();
    // The attempt is recorded before the effect, so a crash in the middle shows as an attempt
    // (unsynced: a power cut that forgets it undercounts attempts, nothing else).
    if (effect)
      await store.unsynced((u) =>
        writeStep(u, {
          workspaceId,
          runId,
          stepKey,
          stepId: step.id,
          type: step.type,
          status: 'running',
          attempts,
          output: null,
          error: row?.error ?? null,
          wakeAt: null,
          now,
          final: false,
        }),
      );
    const scope = await scopeOf(db, run, rows);
    const suppressed = suppression(step, wf.workflow, rows, scope);
    if (suppressed) {
      const next = 'next' in step ? step.next : undefined;
      await settle(
        job,
        run,
        wf,
        step,
        attempts,
        { kind: 'continue', next, status: 'skipped', output: { suppressed } },
        ws,
        null,
        { scope, rows },
      );
      return;
    }
    let outcome: StepOutcome;
    try {
      outcome =
        step.type === 'loop'
          ? loopOutcome(step, rows, scope)
          : await executeStep(
              step,
              {
                db,
                workspaceId,
                run,
                workflow: wf.workflow,
                stepKey,
                scope,
                settings: ws,
                idempotencyKey: `${runId}:${stepKey}`,
                now,
                signal: job.signal,
              },
              deps,
            );
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      const retryable =
        error instanceof StepFailure
          ? error.retryable
          : !(error instanceof TypeError || error instanceof RangeError);
      const maxAttempts = step.retry?.maxAttempts ?? (effect ? defaultRetry.maxAttempts : 1);
      if (retryable && attempts < maxAttempts && !job.signal.aborted) {
        const runAt = clock.now() + backoff(step, attempts);
        await store.transaction(async (trx) => {
          await writeStep(trx, {
            workspaceId,
            runId,
            stepKey,
            stepId: step.id,
            type: step.type,
            status: 'retrying',
            attempts,
            output: null,
            error: message,
            wakeAt: runAt,
            now: clock.now(),
            final: false,
          });
          await requeue(trx, job, runAt);
        });
        return;
      }
      if (job.signal.aborted) throw error;
      await fail(job, run, wf, step, attempts, message, ws);
      return;
    }
    await settle(job, run, wf, step, attempts, outcome, ws, null, { scope, rows });
  }

  async function deliverEvent(
    db: Db,
    workspaceId: string,
    leadId: string,
    event: string,
    data: Record<string, unknown>,
  ): Promise<number> {
    const waiting = await db
      .selectFrom('workflow_steps as s')
      .innerJoin('workflow_runs as r', (j) => j.onRef('r.id', '=', 's.run_id'))
      .selectAll('s')
      .select(['r.workflow_id', 'r.version'])
      .where('s.workspace_id', '=', workspaceId)
      .where('r.workspace_id', '=', workspaceId)
      .where('r.lead_id', '=', leadId)
      .where('r.status', '=', 'running')
      .where('s.status', '=', 'waiting')
      .where('s.type', '=', 'wait')
      .execute();
    let delivered = 0;
    for (const row of waiting) {
      const output = parseOutput(row);
      if (output.waitingFor !== event) continue;
      const match = (output.match ?? {}) as Record<string, unknown>;
      if (!Object.entries(match).every(([k, v]) => data[k] === v)) continue;
      const wf = await definitions.version(db, workspaceId, row.workflow_id, row.version);
      const step = wf?.steps.get(row.step_id);
      if (step?.type !== 'wait') continue;
      const now = clock.now();
      await writeStep(db, {
        workspaceId,
        runId: row.run_id,
        stepKey: row.step_key,
        stepId: row.step_id,
        type: 'wait',
        status: 'completed',
        attempts: row.attempts,
        output: JSON.stringify({ ...output, event }),
        error: null,
        wakeAt: null,
        now,
        final: true,
      });
      if (step.next) {
        const visit = await nextVisit(db, workspaceId, row.run_id, step.next);
        await queue.enqueue(db, [
          {
            name: 'workflow.step',
            workspaceId,
            payload: { runId: row.run_id, stepKey: stepKeyOf(step.next, visit) },
          },
        ]);
      } else {
        await finishRun(db, workspaceId, row.run_id, 'completed', null, now);
        const ended = await findRun(db, workspaceId, row.run_id);
        if (ended) await resumeParent(db, ended, now);
      }
      delivered++;
    }
    return delivered;
  }

  const triggers = createLeadTriggers({ definitions, leads, startRun, deliverEvent });
  const schedules = createSchedules({
    store,
    queue,
    clock,
    ids,
    leads,
    version: definitions.version,
    startRun,
  });

  return {
    stepJob,
    triggerStage: triggers.triggerStage,
    fire: triggers.fire,
    scheduleJob: schedules.fireJob,
    async syncSchedules(db, workspaceId, workflowId, activeVersion) {
      const loaded =
        activeVersion === null ? null : await definitions.version(db, workspaceId, workflowId, activeVersion);
      await schedules.sync(db, workspaceId, workflowId, loaded);
    },
    startRun,
    deliverEvent,
    definitions,
    invalidate: (workspaceId) => definitions.invalidate(workspaceId),
    async cancelRun(workspaceId, runId, actor, reason) {
      const now = clock.now();
      return store.db.transaction().execute(async (trx) => {
        const run = await findRun(trx, workspaceId, runId);
        if (!run || FINAL_RUN.has(run.status)) return false;
        await finishRun(trx, workspaceId, runId, 'cancelled', reason, now);
        await resumeParent(trx, { ...run, status: 'cancelled', error: reason }, now);
        await trx
          .updateTable('workflow_steps')
          .set({ status: 'cancelled', finished_at: now })
          .where('workspace_id', '=', workspaceId)
          .where('run_id', '=', runId)
          .where('status', 'in', ['waiting', 'retrying', 'running'])
          .execute();
        await audit.append(trx, workspaceId, {
          actor,
          action: 'workflow.run_cancelled',
          subject: runId,
          reason,
          data: { workflowId: run.workflow_id },
        });
        return true;
      });
    },
  };
}
