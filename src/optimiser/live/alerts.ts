import type { AuditLog } from '../../compliance/index.ts';
import type { Actor, Clock, IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { LeadloopError } from '../../core/index.ts';
import type { DomainEventLog } from '../../events/index.ts';
import type { Db, OptimiserAlertsTable } from '../../store/index.ts';
import { fromJson, toJson, workspacePage, workspaceRow } from '../../store/index.ts';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** What a detector saw when it fired: enough to check the alarm by hand. */
export interface AlertEvidence {
  detector: string;
  metric: string;
  segment: string;
  /** The minutes the test statistic accumulated over (epoch ms). */
  window: { from: number; to: number };
  /** The reference the stream is compared with, and what it was computed from. */
  baseline: { value: number; count: number; from: number; to: number };
  observed: { value: number | null; count: number };
  statistic: number;
  threshold: number;
}

/** The council's review of an alert, when it ran. */
export interface AlertReview {
  status: 'reviewed' | 'unavailable';
  decisionId: string | null;
  primary: string | null;
  /** Adjustments the review proposed (ids), applied or not under the policy. */
  adjustments: string[];
  note: string;
}

export interface Alert {
  id: string;
  stream: string;
  kind: string;
  status: AlertStatus;
  metric: string;
  segment: string;
  summary: string;
  evidence: AlertEvidence;
  review: AlertReview | null;
  openedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolution: string | null;
}

export interface NewAlert {
  stream: string;
  kind: string;
  summary: string;
  evidence: AlertEvidence;
}

export interface AlertDeps {
  audit: AuditLog;
  events: DomainEventLog;
  clock: Clock;
  ids: IdGenerator;
}

const DETECTOR: Actor = { type: 'worker', id: 'optimiser.monitor' };

function toAlert(row: OptimiserAlertsTable): Alert {
  return {
    id: row.id,
    stream: row.stream,
    kind: row.kind,
    status: row.status as AlertStatus,
    metric: row.metric,
    segment: row.segment,
    summary: row.summary,
    evidence: fromJson<AlertEvidence>(row.evidence, {} as AlertEvidence),
    review: fromJson<AlertReview | null>(row.review, null),
    openedAt: Number(row.opened_at),
    acknowledgedAt: row.acknowledged_at === null ? null : Number(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at === null ? null : Number(row.resolved_at),
    resolution: row.resolution,
  };
}

/** The alert a stream has open or acknowledged (at most one: a stream that fired again adds nothing). */
export async function liveAlertOf(db: Db, workspaceId: string, stream: string): Promise<Alert | null> {
  const row = await db
    .selectFrom('optimiser_alerts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('stream', '=', stream)
    .where('status', '!=', 'resolved')
    .executeTakeFirst();
  return row ? toAlert(row) : null;
}

export async function liveAlerts(db: Db, workspaceId: string): Promise<Alert[]> {
  const rows = await db
    .selectFrom('optimiser_alerts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '!=', 'resolved')
    .execute();
  return rows.map(toAlert);
}

/** Opens an alert, audited, with an `alert.opened` event; in the caller's transaction. */
export async function openAlert(
  db: Db,
  deps: AlertDeps,
  workspaceId: string,
  input: NewAlert,
): Promise<Alert> {
  const now = deps.clock.now();
  const row: OptimiserAlertsTable = {
    id: deps.ids.next('alr'),
    workspace_id: workspaceId,
    stream: input.stream,
    kind: input.kind,
    status: 'open',
    metric: input.evidence.metric,
    segment: input.evidence.segment,
    summary: input.summary,
    evidence: toJson(input.evidence),
    review: null,
    opened_at: now,
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    resolution: null,
  };
  await db.insertInto('optimiser_alerts').values(row).execute();
  await deps.audit.append(db, workspaceId, {
    actor: DETECTOR,
    action: 'optimiser.alert_opened',
    subject: row.id,
    reason: input.summary,
    data: { stream: input.stream, kind: input.kind, evidence: input.evidence },
  });
  await deps.events.append(db, workspaceId, [
    {
      type: 'alert.opened',
      subject: row.id,
      data: {
        stream: input.stream,
        kind: input.kind,
        metric: row.metric,
        segment: row.segment,
        summary: input.summary,
      },
    },
  ]);
  return toAlert(row);
}

/** Resolves a live alert (the detector saw the stream recover, or a person said so). */
export async function resolveAlert(
  db: Db,
  deps: AlertDeps,
  workspaceId: string,
  alert: Alert,
  resolution: string,
  actor: Actor = DETECTOR,
): Promise<void> {
  const now = deps.clock.now();
  const moved = await db
    .updateTable('optimiser_alerts')
    .set({ status: 'resolved', resolved_at: now, resolution })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', alert.id)
    .where('status', '!=', 'resolved')
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) return;
  await deps.audit.append(db, workspaceId, {
    actor,
    action: 'optimiser.alert_resolved',
    subject: alert.id,
    reason: resolution,
  });
  await deps.events.append(db, workspaceId, [
    { type: 'alert.resolved', subject: alert.id, data: { stream: alert.stream, resolution } },
  ]);
}

export async function setAlertReview(
  db: Db,
  workspaceId: string,
  alertId: string,
  review: AlertReview,
): Promise<void> {
  await db
    .updateTable('optimiser_alerts')
    .set({ review: toJson(review) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', alertId)
    .execute();
}

export async function findAlert(db: Db, ctx: WorkspaceContext, id: string): Promise<Alert> {
  const row = await workspaceRow(db, 'optimiser_alerts', ctx.workspaceId, { id });
  if (!row)
    throw new LeadloopError('not_found', `no alert ${id} in this workspace`, {
      issues: [{ field: 'path.id', reason: 'unknown alert' }],
    });
  return toAlert(row);
}

export async function listAlerts(
  db: Db,
  ctx: WorkspaceContext,
  query: { status?: AlertStatus | undefined; limit: number },
): Promise<Alert[]> {
  const rows = await workspacePage(
    db,
    'optimiser_alerts',
    ctx.workspaceId,
    { status: query.status },
    { newest: 'opened_at', limit: query.limit },
  );
  return rows.map(toAlert);
}

/** A person acknowledges an open alert (idempotent for one already acknowledged); audited. */
export async function acknowledgeAlert(
  db: Db,
  deps: AlertDeps,
  ctx: WorkspaceContext,
  id: string,
  actor: Actor,
  note: string | undefined,
): Promise<Alert> {
  const alert = await findAlert(db, ctx, id);
  if (alert.status === 'resolved')
    throw new LeadloopError('conflict', `alert ${id} is already resolved`, {
      issues: [{ field: 'path.id', reason: 'resolved alerts cannot be acknowledged' }],
    });
  if (alert.status === 'acknowledged') return alert;
  const now = deps.clock.now();
  await db
    .updateTable('optimiser_alerts')
    .set({ status: 'acknowledged', acknowledged_at: now, acknowledged_by: actor.id })
    .where('workspace_id', '=', ctx.workspaceId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .execute();
  await deps.audit.append(db, ctx.workspaceId, {
    actor,
    action: 'optimiser.alert_acknowledged',
    subject: id,
    reason: note ? `acknowledged: ${note}` : 'acknowledged',
  });
  await deps.events.append(db, ctx.workspaceId, [
    { type: 'alert.acknowledged', subject: id, data: { stream: alert.stream, by: actor.type } },
  ]);
  return { ...alert, status: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor.id };
}
