import type { AnalyticsService } from '../analytics/index.ts';
import type { ChatStore } from '../chat/index.ts';
import type { AuditLog } from '../compliance/index.ts';
import { type Clock, type IdGenerator, LeadloopError } from '../core/index.ts';
import type { CouncilService } from '../council/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import {
  createLiveOptimiser,
  createSplitOptimiser,
  type LiveOptimiser,
  type PerformanceReviewer,
  type SplitOptimiser,
  type ThresholdControl,
} from '../optimiser/index.ts';
import type { Queue } from '../queue/index.ts';
import type { PredictiveScoring } from '../scoring/index.ts';
import type { Store } from '../store/index.ts';
import type { WorkflowService } from '../workflows/index.ts';
import { createSourceHolds } from './source-holds.ts';
import { createSplitExperiments } from './split-experiments.ts';
import { workflowActivityPort, workflowControl } from './workflow-activity.ts';

/**
 * Joins the live optimiser's ports: analytics' per-minute rollups, scoring's thresholds, champion
 * and period forecasts, the council's `performance.review`, and the workflows service (pause and
 * resume) with the workflow engine's e-mail activity.
 */
export function wireOptimiser(options: {
  store: Store;
  queue: Queue;
  audit: AuditLog;
  events: DomainEventLog;
  clock: Clock;
  ids: IdGenerator;
  analytics: AnalyticsService;
  predictive: PredictiveScoring;
  council: CouncilService;
  workflows: WorkflowService;
  /** Chat's playbooks: the question slots a question-order change reorders. */
  chats: Pick<ChatStore, 'playbook'>;
  /** Draws of the split optimiser's Thompson sampling; seeded in tests. */
  random?: () => number;
}): LiveOptimiser & { splits: SplitOptimiser } {
  const { analytics, predictive, council } = options;
  const reviewer: PerformanceReviewer = {
    async review(ctx, alert, signal) {
      try {
        const decision = await council.ask(
          { workspaceId: ctx.workspaceId },
          { type: 'performance.review', windowDays: 1 },
          { actor: { type: 'worker', id: `optimiser.review:${alert.id}` }, signal },
        );
        const output = decision.inForce.output as {
          primary?: string;
          recommendations?: {
            kind: string;
            target: string;
            change: string;
            evidence: string;
            source?: 'learned' | 'rule';
          }[];
        };
        return {
          ok: true,
          decisionId: decision.id,
          primary: output.primary ?? 'no_change',
          // Learned recommendations concern one segment's threshold: not the workspace-wide nudge the
          // policy automates, so they reach a person under their own kind.
          recommendations: (output.recommendations ?? []).map((r) =>
            r.source === 'learned' ? { ...r, kind: `${r.kind}_for_segment` } : r,
          ),
          basis: `${decision.model.provider}/${decision.model.model}${decision.model.fallback ? `, fell back from ${decision.model.fallback.from}` : ''}`,
        };
      } catch (error) {
        // The council's budget spent or its model down: the alert stands, and says why it was not reviewed.
        if (error instanceof LeadloopError && ['rate_limited', 'unavailable'].includes(error.code))
          return { ok: false, reason: `the council could not review it: ${error.message}` };
        throw error;
      }
    },
  };
  const thresholds: ThresholdControl = {
    async championVersion(workspaceId) {
      const { champion } = await predictive.registry.active(options.store.db, workspaceId);
      return champion?.version ?? null;
    },
    async recompute(workspaceId, actor) {
      await predictive.insights.thresholds(workspaceId, actor);
    },
    current: (unit, workspaceId) => predictive.insights.storedThresholds(unit, workspaceId),
    replace: (unit, workspaceId, change, actor) =>
      predictive.insights.replaceThresholds(unit, workspaceId, change, actor),
  };
  const sources = createSourceHolds(options.clock);
  const live = createLiveOptimiser({
    store: options.store,
    queue: options.queue,
    audit: options.audit,
    events: options.events,
    clock: options.clock,
    ids: options.ids,
    metrics: {
      catchUp: async (workspaceId) => {
        await analytics.catchUp(workspaceId);
      },
      perMinute: (ctx, metric, from, to) => analytics.perMinute(ctx, metric, from, to),
      scoreHistogram: (ctx, segment, from, to) => analytics.scoreHistogram(ctx, segment, from, to),
      modelScoreHistogram: (ctx, version, from, to) => analytics.modelScoreHistogram(ctx, version, from, to),
      modelLatency: (ctx, query) => analytics.modelLatency(ctx, query),
    },
    champion: {
      async trainingScores(workspaceId, version) {
        const view = await predictive.registry.get(options.store.db, workspaceId, version);
        const scores = view?.metrics.trainingScores;
        return view && scores ? { ...scores, trainedAt: view.trainedAt } : null;
      },
    },
    thresholds,
    sources,
    workflows: workflowControl(options.workflows),
    activity: workflowActivityPort(options.store.db),
    playbooks: {
      slots: async (ctx, playbookId) =>
        (await options.chats.playbook(ctx, playbookId))?.questions.map((q) => q.slot) ?? null,
    },
    reviewer,
    periods: (workspaceId, query) => predictive.insights.periodForecasts(workspaceId, query),
  });
  const splits = createSplitOptimiser({
    store: options.store,
    deps: {
      audit: options.audit,
      events: options.events,
      clock: options.clock,
      ids: options.ids,
      thresholds,
      sources,
    },
    experiments: createSplitExperiments(),
    random: options.random ?? Math.random,
  });
  return Object.assign(live, { splits });
}
