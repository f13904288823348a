import type { Actor, WorkspaceContext } from '../core/index.ts';
import type { Lead } from '../leads/index.ts';
import type { Db } from '../store/index.ts';

/** The part of a workspace context the engine has in a job: the workspace's id. */
export type WorkspaceRef = Pick<WorkspaceContext, 'workspaceId'>;

/**
 * What a workflow reads of a lead: the kernel's fields but the workspace (a run has it) and the
 * score breakdown, with the status as plain text and the attributes as plain values. Adapted in
 * `src/main` from the lead kernel, so the engine never depends on how leads are stored.
 */
export type WorkflowLead = Omit<Lead, 'workspaceId' | 'scoreBreakdown' | 'status' | 'attributes'> & {
  status: string;
  attributes: Record<string, string | number | boolean | null>;
};

export interface LeadPatch {
  /** Attribute keys set (null removes). */
  attributes?: Record<string, string | number | boolean | null>;
  tagsAdd?: string[];
  tagsRemove?: string[];
  status?: string;
  owner?: string;
}

export interface LeadPort {
  find(db: Db, ctx: WorkspaceRef, leadId: string): Promise<WorkflowLead | null>;
  /** Applies `patch` in `db` (the step's transaction), with history and audit as the kernel records them. */
  update(
    db: Db,
    ctx: WorkspaceRef,
    leadId: string,
    patch: LeadPatch,
    actor: Actor,
    reason: string,
  ): Promise<void>;
  /** The workspace's leads, oldest first, at most `limit`, in one read (schedule triggers with `forEachLead`). */
  list?(db: Db, ctx: WorkspaceRef, limit: number): Promise<WorkflowLead[]>;
  /** Leads for round-robin / capacity assignment are counted by owner attribute. */
  countOpenByOwner?(db: Db, ctx: WorkspaceRef, owners: string[]): Promise<Record<string, number>>;
}

/**
 * A lead's consent and privacy state as the engine checks it right before an outbound action
 * (consent can be withdrawn while a run waits). The default adapter in `src/main` reads today's
 * consent records; the privacy capability's ledger replaces it when it lands.
 */
export interface ConsentState {
  /** Purposes with a granted, not withdrawn consent. */
  purposes: string[];
  /** Purposes whose consent was captured in writing (signature, checkbox), for TCPA. */
  writtenPurposes: string[];
  /** Opted out of sale/share or sent Global Privacy Control (CCPA/CPRA). */
  saleShareOptOut: boolean;
  /** On the workspace's unsubscribe / suppression list. */
  unsubscribed: boolean;
}

export interface ConsentPort {
  stateOf(db: Db, ctx: WorkspaceRef, leadId: string): Promise<ConsentState>;
  /** Records a one-click unsubscribe (List-Unsubscribe-Post) for the lead. */
  unsubscribe?(db: Db, ctx: WorkspaceRef, leadId: string, at: number): Promise<void>;
}

/** The council, asked a question about a lead; the engine branches on `decision`. */
export interface CouncilPort {
  ask(
    ctx: WorkspaceRef,
    input: { leadId: string; question: string; signal: AbortSignal },
  ): Promise<{ decisionId: string; decision: string; confidence: number; explanation: string }>;
}

/**
 * The current weights of a `split` step's variants, as the optimiser last set them (wired in
 * `src/main`); null while the step's own starting weights apply.
 */
export interface SplitWeights {
  current(
    db: Db,
    ctx: WorkspaceRef,
    workflowId: string,
    stepId: string,
  ): Promise<Record<string, number> | null>;
}
