import type { AuditLog } from '../../compliance/index.ts';
import type { IdGenerator, WorkspaceContext } from '../../core/index.ts';
import { inWorkspace } from '../../core/index.ts';
import type { DomainEventLog } from '../../events/index.ts';
import type { JobContext } from '../../queue/index.ts';
import type { Store } from '../../store/index.ts';
import type { AdjustmentDeps, GuardBaseline } from './adjustments.ts';
import { findAlert, setAlertReview } from './alerts.ts';
import { readPolicy } from './policy.ts';
import type { PerformanceReviewer } from './ports.ts';
import { proposeChange } from './threshold-changes.ts';
import { recordWorkflowPause } from './workflow-pause.ts';

/**
 * The `optimiser.review` job: the council's `performance.review` of an alert, asked unprompted.
 * Threshold recommendations become nudges under the policy; a `change_workflow` naming a workflow
 * becomes a workflow pause held for a person's approval; other kinds are noted on the alert.
 */
export function createReviewJob(deps: {
  store: Store;
  audit: AuditLog;
  events: DomainEventLog;
  ids: IdGenerator;
  reviewer: PerformanceReviewer;
  adjustmentDeps: AdjustmentDeps;
  baselineBefore(ctx: WorkspaceContext, minutes: number): Promise<GuardBaseline>;
}): (job: JobContext<'optimiser.review'>) => Promise<void> {
  const { store, audit, events, ids, reviewer, adjustmentDeps, baselineBefore } = deps;
  return (job) =>
    inWorkspace(job.workspaceId, async () => {
      const ctx: WorkspaceContext = { workspaceId: job.workspaceId, organisationId: '' };
      const alert = await findAlert(store.db, ctx, job.payload.alertId);
      if (alert.review || alert.status === 'resolved') return;
      const policy = await readPolicy(store.db, job.workspaceId);
      if (policy.council === 'off') return;
      const answer = await reviewer.review(ctx, { id: alert.id, summary: alert.summary }, job.signal);
      if (!answer.ok) {
        await setAlertReview(store.db, job.workspaceId, alert.id, {
          status: 'unavailable',
          decisionId: null,
          primary: null,
          adjustments: [],
          note: answer.reason,
        });
        return;
      }
      const proposals: string[] = [];
      const notes: string[] = [];
      const baseline = await baselineBefore(ctx, policy.thresholdNudge.guard.windowMinutes);
      await store.transaction(async (trx) => {
        for (const rec of answer.recommendations) {
          const direction = rec.kind === 'raise_threshold' ? 1 : rec.kind === 'lower_threshold' ? -1 : 0;
          const workflow =
            rec.kind === 'change_workflow' ? /^workflow (\S+)/.exec(rec.target)?.[1] : undefined;
          if (workflow) {
            // Pausing a workflow on the council's word needs a person: held for approval.
            const adjustment = await recordWorkflowPause(
              trx,
              adjustmentDeps,
              ctx,
              policy,
              {
                id: ids.next('adj'),
                origin: 'council',
                alertId: alert.id,
                workflowId: workflow,
                reason: `council decision ${answer.decisionId} (${answer.basis}): ${rec.change} — ${rec.evidence}`,
                outcome: {
                  paused: false,
                  blocked: 'the council’s workflow recommendations wait for a person’s approval',
                },
              },
              baseline,
            );
            proposals.push(adjustment.id);
            continue;
          }
          if (direction === 0) {
            if (rec.kind !== 'no_change')
              notes.push(`${rec.kind} (${rec.target}) waits for a person: not a change the policy automates`);
            continue;
          }
          const adjustment = await proposeChange(
            trx,
            adjustmentDeps,
            ctx,
            policy,
            {
              kind: 'threshold_nudge',
              origin: 'council',
              alertId: alert.id,
              delta: direction * policy.thresholdNudge.maxStep,
              reason: `council decision ${answer.decisionId} (${answer.basis}): ${rec.change} — ${rec.evidence}`,
              apply: policy.council === 'apply',
            },
            baseline,
          );
          proposals.push(adjustment.id);
        }
        await setAlertReview(trx, job.workspaceId, alert.id, {
          status: 'reviewed',
          decisionId: answer.decisionId,
          primary: answer.primary,
          adjustments: proposals,
          note: notes.join('; ') || `${answer.recommendations.length} recommendation(s)`,
        });
        await audit.append(trx, job.workspaceId, {
          actor: { type: 'worker', id: 'optimiser.review' },
          action: 'optimiser.alert_reviewed',
          subject: alert.id,
          reason: `the council reviewed the alert unasked (decision ${answer.decisionId}, primary ${answer.primary}); ${proposals.length} proposal(s)`,
          data: { decisionId: answer.decisionId, adjustments: proposals },
        });
      });
      events.notify(job.workspaceId);
    });
}
