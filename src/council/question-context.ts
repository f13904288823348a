import { assertNever, err, LeadloopError, ok, type Result } from '../core/index.ts';
import type { QuestionContext } from './applies-when.ts';
import { deriveLeadFacts, metricSignals } from './context.ts';
import type { Question } from './question-schemas.ts';
import type { ToolGateway } from './tool-gateway.ts';
import type { Segment } from './tools-port.ts';
import { TOOL_NAMES } from './vocabulary.ts';

/**
 * What the router reads before consulting anyone (as caller `router`, recorded like every call):
 * the lead, its chat and score for lead questions, the segment's statistics, or the workspace's
 * metrics. A lead that does not exist in the workspace ends the question with `not_found`.
 */
export async function readContext(
  question: Question,
  gateway: ToolGateway,
  workspaceId: string,
  asOf: string,
): Promise<
  Result<
    {
      ctx: QuestionContext;
      leadSegment: Segment | null;
      /** The lead's qualification chat, if it had one (its outcome is what the visitor was told). */
      chat: { sessionId: string; outcome: string | null } | null;
    },
    LeadloopError
  >
> {
  const router = gateway.forCaller({ id: 'router', tools: TOOL_NAMES });
  const base = {
    workspaceId,
    type: question.type,
    industry: null,
    region: null,
    country: null,
    dealSizeUsd: null,
    source: null,
    scoreUncertain: false,
    signals: {},
  } satisfies QuestionContext;
  switch (question.type) {
    case 'lead.next_action':
    case 'lead.research': {
      const lead = await router.call('getLead', { leadId: question.leadId });
      if (!lead.ok)
        return err(new LeadloopError('unavailable', `the lead could not be read: ${lead.error.message}`));
      if (lead.value === null) {
        return err(
          new LeadloopError('not_found', `lead ${question.leadId} does not exist in this workspace`),
        );
      }
      const conversation = await router.call('getConversation', { leadId: question.leadId });
      const score = await router.call('getScore', { leadId: question.leadId });
      const f = deriveLeadFacts(
        {
          lead: lead.value,
          conversation: conversation.ok ? conversation.value : null,
          score: score.ok ? score.value : null,
        },
        asOf,
      );
      const leadSegment: Segment = {
        ...(f.industry === null ? {} : { industry: f.industry }),
        ...(f.region === null ? {} : { region: f.region }),
        ...(f.source === null ? {} : { source: f.source }),
      };
      return ok({
        ctx: {
          ...base,
          industry: f.industry,
          region: f.region,
          country: f.country,
          dealSizeUsd: f.dealSizeUsd,
          source: f.source,
          scoreUncertain: f.scoreUncertain,
        },
        leadSegment,
        chat:
          conversation.ok && conversation.value !== null
            ? { sessionId: conversation.value.sessionId, outcome: conversation.value.outcome }
            : null,
      });
    }
    case 'segment.strategy': {
      const stats = await router.call('getSegmentStats', { segment: question.segment });
      const { segment } = question;
      return ok({
        ctx: {
          ...base,
          industry: segment.industry ?? null,
          region: segment.region ?? null,
          source: segment.source ?? null,
          signals: metricSignals(null, stats.ok ? stats.value : null),
        },
        leadSegment: null,
        chat: null,
      });
    }
    case 'performance.review': {
      const metrics = await router.call('getPerformanceMetrics', { windowDays: question.windowDays });
      return ok({
        ctx: { ...base, signals: metricSignals(metrics.ok ? metrics.value : null, null) },
        leadSegment: null,
        chat: null,
      });
    }
    default: {
      return assertNever(question, 'question');
    }
  }
}
