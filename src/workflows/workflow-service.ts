import type { AuditLog } from '../compliance/index.ts';
import { type Actor, type Clock, type IdGenerator, LeadloopError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { workspaceRow, workspaceRows } from '../store/index.ts';
import { parseWorkflow, type Workflow, type WorkflowIssue } from './dsl/index.ts';
import type { WorkflowEngine } from './engine/engine.ts';
import type { HookStore } from './inbound/hook-store.ts';
import type { LeadPort, WorkspaceRef } from './ports.ts';

/** What a verifier answers; the workflows' compliance verifier in production. */
interface VerificationResult {
  ok: boolean;
  findings: { rule: string; path: string[]; step: string; message: string }[];
}

export type Verify = (workflow: Workflow) => VerificationResult;

export interface WorkflowSummary {
  id: string;
  name: string;
  status: 'active' | 'inactive';
  latestVersion: number;
  activeVersion: number | null;
  triggers: string[];
  createdAt: number;
  updatedAt: number;
}

export interface WorkflowDetail extends WorkflowSummary {
  version: number;
  definition: Workflow;
  warnings: WorkflowIssue[];
}

interface RunSummary {
  id: string;
  workflowId: string;
  version: number;
  leadId: string | null;
  trigger: string;
  status: string;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}

interface RunStep {
  stepKey: string;
  stepId: string;
  type: string;
  status: string;
  attempts: number;
  output: unknown;
  error: string | null;
  wakeAt: number | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface WorkflowService {
  create(ws: WorkspaceRef, input: unknown, actor: Actor): Promise<WorkflowDetail>;
  /** A new immutable version; the active version (and every run on it) is untouched until activated. */
  update(ws: WorkspaceRef, id: string, input: unknown, actor: Actor): Promise<WorkflowDetail>;
  get(ws: WorkspaceRef, id: string, version?: number): Promise<WorkflowDetail>;
  list(ws: WorkspaceRef): Promise<WorkflowSummary[]>;
  verify(input: unknown): { ok: boolean; issues: WorkflowIssue[]; verification: VerificationResult | null };
  /** Activates a version (default latest); refused with the verifier's findings when it fails. */
  activate(ws: WorkspaceRef, id: string, actor: Actor, version?: number): Promise<WorkflowDetail>;
  deactivate(ws: WorkspaceRef, id: string, actor: Actor): Promise<WorkflowDetail>;
  remove(ws: WorkspaceRef, id: string, actor: Actor): Promise<void>;
  /** A manual run for a lead (or none) on the active version, or the latest verified one. */
  run(
    ws: WorkspaceRef,
    id: string,
    input: { leadId: string | null; data?: Record<string, unknown> },
    actor: Actor,
  ): Promise<{ runId: string; version: number }>;
  listRuns(
    ws: WorkspaceRef,
    query: { workflowId?: string; status?: string; limit?: number; before?: string },
  ): Promise<RunSummary[]>;
  getRun(ws: WorkspaceRef, runId: string): Promise<RunSummary & { steps: RunStep[] }>;
  cancelRun(ws: WorkspaceRef, runId: string, actor: Actor, reason: string): Promise<RunSummary>;
}

function notFound(what: string, id: string): LeadloopError {
  return new LeadloopError('not_found', `${what} ${id} not found in this workspace`, {
    issues: [{ field: 'path.id', reason: 'no such id in this workspace' }],
  });
}

function invalid(issues: WorkflowIssue[]): LeadloopError {
  return new LeadloopError('validation_failed', 'the workflow is not valid', {
    issues: issues.map((i) => ({
      field: `body.${i.path}`.replace(/\.$/, ''),
      reason: `${i.message} (${i.code})`,
    })),
  });
}

export function createWorkflowService(options: {
  store: Store;
  engine: WorkflowEngine;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
  verify: Verify;
  leads: LeadPort;
  /** Inbound endpoints of `webhook` triggers; absent: such triggers get no endpoint. */
  hooks?: HookStore;
}): WorkflowService {
  const { store, engine, audit, clock, ids, verify, leads, hooks } = options;
  const db = store.db;

  async function row(ws: WorkspaceRef, id: string) {
    const found = await db
      .selectFrom('workflows')
      .selectAll()
      .where('workspace_id', '=', ws.workspaceId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!found) throw notFound('workflow', id);
    return found;
  }

  const summary = (r: Awaited<ReturnType<typeof row>>): WorkflowSummary => ({
    id: r.id,
    name: r.name,
    status: r.status as WorkflowSummary['status'],
    latestVersion: r.latest_version,
    activeVersion: r.active_version,
    triggers: (JSON.parse(r.triggers) as { type: string }[]).map((t) => t.type),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  });

  async function get(ws: WorkspaceRef, id: string, version?: number): Promise<WorkflowDetail> {
    const r = await row(ws, id);
    const v = version ?? r.latest_version;
    const stored = await workspaceRow(
      db,
      'workflow_versions',
      ws.workspaceId,
      { workflow_id: id, version: v },
      ['definition'],
    );
    if (!stored)
      throw new LeadloopError('not_found', `workflow ${id} has no version ${v}`, {
        issues: [{ field: 'query.version', reason: 'no such version' }],
      });
    const definition = JSON.parse(stored.definition) as Workflow;
    const parsed = parseWorkflow(definition);
    return { ...summary(r), version: v, definition, warnings: parsed.ok ? parsed.value.warnings : [] };
  }

  function parse(input: unknown): Workflow {
    const parsed = parseWorkflow(input);
    if (!parsed.ok) throw invalid(parsed.error);
    return parsed.value.workflow;
  }

  const runSummary = (r: {
    id: string;
    workflow_id: string;
    version: number;
    lead_id: string | null;
    trigger: string;
    status: string;
    error: string | null;
    created_at: number;
    finished_at: number | null;
  }): RunSummary => ({
    id: r.id,
    workflowId: r.workflow_id,
    version: r.version,
    leadId: r.lead_id,
    trigger: r.trigger,
    status: r.status,
    error: r.error,
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  });

  async function activeTriggers(workflowId: string, ws: WorkspaceRef, version: number): Promise<string> {
    const v = await engine.definitions.version(db, ws.workspaceId, workflowId, version);
    return JSON.stringify(v?.workflow.triggers ?? []);
  }

  /**
   * Activation, deactivation and deletion: the workflow's row, its schedule rows and inbound
   * endpoints, and the audit entry change in one transaction.
   */
  async function changeState(
    ws: WorkspaceRef,
    id: string,
    actor: Actor,
    change: {
      set: { status: 'active' | 'inactive'; active_version?: number; triggers?: string; deleted_at?: number };
      /** The version that is active afterwards; null when none is. */
      active: { version: number; definition: Workflow } | null;
      deleted?: boolean;
      action: string;
      reason: string;
      data?: Record<string, unknown>;
    },
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('workflows')
        .set({ ...change.set, updated_at: clock.now() })
        .where('workspace_id', '=', ws.workspaceId)
        .where('id', '=', id)
        .execute();
      await engine.syncSchedules(trx, ws.workspaceId, id, change.active?.version ?? null);
      if (change.active) await hooks?.sync(trx, ws, id, change.active.definition);
      else if (change.deleted) await hooks?.sync(trx, ws, id, null);
      await audit.append(trx, ws.workspaceId, {
        actor,
        action: change.action,
        subject: id,
        reason: change.reason,
        ...(change.data ? { data: change.data } : {}),
      });
    });
    engine.invalidate(ws.workspaceId);
  }

  return {
    async create(ws, input, actor) {
      const workflow = parse(input);
      const id = ids.next('wf');
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('workflows')
          .values({
            id,
            workspace_id: ws.workspaceId,
            name: workflow.name,
            status: 'inactive',
            latest_version: 1,
            active_version: null,
            triggers: JSON.stringify(workflow.triggers),
            created_at: now,
            updated_at: now,
            deleted_at: null,
          })
          .execute();
        await trx
          .insertInto('workflow_versions')
          .values({
            workspace_id: ws.workspaceId,
            workflow_id: id,
            version: 1,
            definition: JSON.stringify(workflow),
            created_by: `${actor.type}:${actor.id}`,
            created_at: now,
          })
          .execute();
        await audit.append(trx, ws.workspaceId, {
          actor,
          action: 'workflow.created',
          subject: id,
          reason: `workflow "${workflow.name}" created`,
          data: { version: 1, steps: workflow.steps.length },
        });
      });
      return get(ws, id);
    },
    async update(ws, id, input, actor) {
      const workflow = parse(input);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
        const current = await trx
          .selectFrom('workflows')
          .select(['latest_version'])
          .where('workspace_id', '=', ws.workspaceId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (!current) throw notFound('workflow', id);
        const version = current.latest_version + 1;
        await trx
          .insertInto('workflow_versions')
          .values({
            workspace_id: ws.workspaceId,
            workflow_id: id,
            version,
            definition: JSON.stringify(workflow),
            created_by: `${actor.type}:${actor.id}`,
            created_at: now,
          })
          .execute();
        await trx
          .updateTable('workflows')
          .set({ name: workflow.name, latest_version: version, updated_at: now })
          .where('workspace_id', '=', ws.workspaceId)
          .where('id', '=', id)
          .execute();
        await audit.append(trx, ws.workspaceId, {
          actor,
          action: 'workflow.updated',
          subject: id,
          reason: `version ${version} saved; the active version is unchanged until activated`,
          data: { version },
        });
      });
      return get(ws, id);
    },
    get,
    async list(ws) {
      const rows = await db
        .selectFrom('workflows')
        .selectAll()
        .where('workspace_id', '=', ws.workspaceId)
        .where('deleted_at', 'is', null)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(summary);
    },
    verify(input) {
      const parsed = parseWorkflow(input);
      if (!parsed.ok) return { ok: false, issues: parsed.error, verification: null };
      const verification = verify(parsed.value.workflow);
      return { ok: verification.ok, issues: parsed.value.warnings, verification };
    },
    async activate(ws, id, actor, version) {
      const detail = await get(ws, id, version);
      const verification = verify(detail.definition);
      if (!verification.ok)
        throw new LeadloopError(
          'validation_failed',
          `workflow ${id} v${detail.version} fails verification; fix the findings before activating`,
          {
            issues: verification.findings.map((f) => ({
              field: `steps.${f.step}`,
              reason: `${f.rule}: ${f.message} (path ${f.path.join(' → ')})`,
            })),
          },
        );
      await changeState(ws, id, actor, {
        set: {
          status: 'active',
          active_version: detail.version,
          triggers: await activeTriggers(id, ws, detail.version),
        },
        active: detail,
        action: 'workflow.activated',
        reason: `version ${detail.version} verified and activated; runs already started keep their version`,
        data: { version: detail.version },
      });
      return get(ws, id, detail.version);
    },
    async deactivate(ws, id, actor) {
      await row(ws, id);
      await changeState(ws, id, actor, {
        set: { status: 'inactive' },
        active: null,
        action: 'workflow.deactivated',
        reason: 'no new runs start; runs in progress finish on their version',
      });
      return get(ws, id);
    },
    async remove(ws, id, actor) {
      await row(ws, id);
      await changeState(ws, id, actor, {
        set: { status: 'inactive', deleted_at: clock.now() },
        active: null,
        deleted: true,
        action: 'workflow.deleted',
        reason: 'deleted; its versions and run history are kept for the audit trail',
      });
    },
    async run(ws, id, input, actor) {
      const r = await row(ws, id);
      const version = r.active_version ?? r.latest_version;
      if (r.active_version === null) {
        const detail = await get(ws, id, version);
        const verification = verify(detail.definition);
        if (!verification.ok)
          throw new LeadloopError(
            'validation_failed',
            `workflow ${id} v${version} fails verification; a manual run needs a verified version`,
            {
              issues: verification.findings.map((f) => ({
                field: `steps.${f.step}`,
                reason: `${f.rule}: ${f.message}`,
              })),
            },
          );
      }
      if (input.leadId) {
        const lead = await leads.find(db, ws, input.leadId);
        if (!lead)
          throw new LeadloopError('not_found', `lead ${input.leadId} not found in this workspace`, {
            issues: [{ field: 'body.leadId', reason: 'no such lead in this workspace' }],
          });
      }
      const started = await db.transaction().execute(async (trx) => {
        const result = await engine.startRun(trx, ws.workspaceId, {
          workflowId: id,
          version,
          trigger: 'manual',
          leadId: input.leadId,
          dedupeKey: `manual:${ids.next('req')}`,
          input: input.data ?? {},
        });
        if (!result) throw notFound('workflow', id);
        await audit.append(trx, ws.workspaceId, {
          actor,
          action: 'workflow.run_started',
          subject: result.runId,
          reason: `manual run of workflow ${id} v${version}`,
          data: { workflowId: id, version, leadId: input.leadId },
        });
        return result;
      });
      return { runId: started.runId, version };
    },
    async listRuns(ws, query) {
      let q = db.selectFrom('workflow_runs').selectAll().where('workspace_id', '=', ws.workspaceId);
      if (query.workflowId) q = q.where('workflow_id', '=', query.workflowId);
      if (query.status) q = q.where('status', '=', query.status);
      if (query.before) q = q.where('id', '<', query.before);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(Math.min(query.limit ?? 50, 500))
        .execute();
      return rows.map(runSummary);
    },
    async getRun(ws, runId) {
      const run = await workspaceRow(db, 'workflow_runs', ws.workspaceId, { id: runId });
      if (!run) throw notFound('run', runId);
      const steps = await workspaceRows(db, 'workflow_steps', ws.workspaceId, { run_id: runId }, ['seq']);
      return {
        ...runSummary(run),
        steps: steps.map((s) => ({
          stepKey: s.step_key,
          stepId: s.step_id,
          type: s.type,
          status: s.status,
          attempts: s.attempts,
          output: s.output === null ? null : JSON.parse(s.output),
          error: s.error,
          wakeAt: s.wake_at === null ? null : Number(s.wake_at),
          startedAt: Number(s.started_at),
          finishedAt: s.finished_at === null ? null : Number(s.finished_at),
        })),
      };
    },
    async cancelRun(ws, runId, actor, reason) {
      const run = await workspaceRow(db, 'workflow_runs', ws.workspaceId, { id: runId });
      if (!run) throw notFound('run', runId);
      const cancelled = await engine.cancelRun(ws.workspaceId, runId, actor, reason);
      if (!cancelled)
        throw new LeadloopError('conflict', `run ${runId} already ${run.status}`, {
          issues: [{ field: 'path.runId', reason: `the run is ${run.status}` }],
        });
      const after = await db
        .selectFrom('workflow_runs')
        .selectAll()
        .where('workspace_id', '=', ws.workspaceId)
        .where('id', '=', runId)
        .executeTakeFirstOrThrow();
      return runSummary(after);
    },
  };
}
