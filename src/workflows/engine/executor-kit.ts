import type { Actor } from '../../core/index.ts';
import type { Db, WorkflowRunsTable } from '../../store/index.ts';
import type { WebhookSigner } from '../actions/connectors.ts';
import type { EmailSender } from '../actions/email.ts';
import { OutboundError, type SafeHttp } from '../actions/safe-http.ts';
import type { CredentialStore } from '../credentials/credential-store.ts';
import type { WorkspaceWorkflowSettings } from '../credentials/settings-store.ts';
import type { Workflow } from '../dsl/index.ts';
import type { CouncilPort, LeadPatch, LeadPort, SplitWeights } from '../ports.ts';
import type { TemplateStore } from '../templates/template-store.ts';
import type { RunScope } from './evaluate.ts';

/** What every step executor shares: its outcome type, its failure, its runtime and dependencies, and helpers. */

/** What one step does next: continue along an edge (or end), or wait until a due time. */
export type StepOutcome =
  | {
      kind: 'continue';
      next: string | undefined;
      output: Record<string, unknown>;
      status?: 'completed' | 'skipped';
    }
  | { kind: 'wait'; wakeAt: number; output: Record<string, unknown> };

/** A step failed; `retryable` decides between the step's retry policy and its error edge. */
export class StepFailure extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'StepFailure';
    this.retryable = retryable;
  }
}

export interface StepRuntime {
  db: Db;
  workspaceId: string;
  run: WorkflowRunsTable;
  workflow: Workflow;
  stepKey: string;
  scope: RunScope;
  settings: WorkspaceWorkflowSettings;
  /** run id + step key: the same on every attempt of this step, different for every other step. */
  idempotencyKey: string;
  now: number;
  signal: AbortSignal;
}

export interface ExecutorDeps {
  leads: LeadPort;
  council: CouncilPort | null;
  credentials: CredentialStore;
  templates: TemplateStore;
  http: SafeHttp;
  email: EmailSender | null;
  sign: WebhookSigner;
  unsubscribeUrl: (workspaceId: string, leadId: string) => string | null;
  /** Starts another workflow's run for the same lead (the `workflow` trigger); returns its id. */
  startChild(
    db: Db,
    workspaceId: string,
    input: {
      workflowId: string;
      version: number | 'latest';
      leadId: string | null;
      dedupeKey: string;
      parentRunId: string;
    },
  ): Promise<string | null>;
  /** The run's ordinal among its workflow's runs (round-robin assignment). */
  runOrdinal(db: Db, run: WorkflowRunsTable): Promise<number>;
  /** Weights of `split` steps set by the optimiser (absent: the steps' own weights). */
  splits?: SplitWeights;
  /** Uniform draws in [0, 1) (variant picks); seeded in tests. */
  random?: () => number;
}

/** A step that goes on along `next` (or ends) with `output`. */
export const go = (next: string | undefined, output: Record<string, unknown> = {}): StepOutcome => ({
  kind: 'continue',
  next,
  output,
});

const WORKFLOW_ACTOR = (run: WorkflowRunsTable): Actor => ({
  type: 'worker',
  id: `workflow:${run.workflow_id}`,
});

export function leadOf(rt: StepRuntime): Record<string, unknown> {
  if (!rt.scope.lead) throw new StepFailure('this step needs a lead and the run has none', false);
  return rt.scope.lead;
}

export async function credential<K extends Parameters<CredentialStore['reveal']>[3]>(
  deps: ExecutorDeps,
  rt: StepRuntime,
  name: string,
  kind: K,
) {
  const value = await deps.credentials.reveal(rt.db, { workspaceId: rt.workspaceId }, name, kind);
  if (!value)
    throw new StepFailure(`the credential "${name}" of kind ${kind} does not exist in this workspace`, false);
  return value;
}

export const policy = (rt: StepRuntime) => ({ allow: rt.settings.egressAllow });

/** A stored template's pinned version: the one asked for, else the one current when the run started. */
export async function storedTemplate(
  deps: ExecutorDeps,
  rt: StepRuntime,
  id: string,
  version: number | undefined,
  channel: 'email' | 'sms',
): Promise<{ version: number; subject?: string; text?: string; html?: string }> {
  const found = await deps.templates.resolve(rt.db, { workspaceId: rt.workspaceId }, id, {
    ...(version !== undefined ? { version } : {}),
    asOf: Number(rt.run.created_at),
  });
  if (!found)
    throw new StepFailure(
      `template ${id}${version ? ` v${version}` : ''} does not exist in this workspace`,
      false,
    );
  if (found.channel !== channel)
    throw new StepFailure(`template ${id} is an ${found.channel} template, not ${channel}`, false);
  return { version: found.version, ...found.content };
}

/** Turns connector errors into step failures that keep their retryability. */
export async function outbound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    if (error instanceof OutboundError) throw new StepFailure(error.message, error.retryable);
    throw new StepFailure((error as Error).message, true);
  }
}

export async function updateLead(
  deps: ExecutorDeps,
  rt: StepRuntime,
  patch: LeadPatch,
  reason: string,
): Promise<void> {
  const lead = leadOf(rt);
  await deps.leads.update(
    rt.db,
    { workspaceId: rt.workspaceId },
    String(lead.id),
    patch,
    WORKFLOW_ACTOR(rt.run),
    reason,
  );
}
