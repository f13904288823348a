import { parseSessionState, type SessionState } from '../../chat/index.ts';
import {
  type Channel,
  dealBandOf,
  normaliseCountry,
  normaliseIndustry,
  normaliseSource,
  type PerformanceMetrics,
  regionOf,
  type Segment,
  type SegmentCounts,
  type Source,
} from '../../council/index.ts';
import { leadsWithScoreAndOutcome } from '../../leads/index.ts';
import type { Db } from '../../store/index.ts';
import { fromJson } from '../../store/index.ts';

/**
 * Aggregates the council reads from the database: segment conversion counts and the funnel's
 * recent performance. Counts only (no lead data leaves here), always within one workspace and
 * one time window, and bounded so a large workspace cannot make a decision slow.
 */

const DAY_MS = 86_400_000;
/** The newest leads (and chat sessions) a window reads at most. */
const MAX_ROWS = 20_000;
const MAX_SESSIONS = 5_000;

/** The marketing channel a lead source belongs to; chat, organic and unknown sources have none. */
const CHANNEL_OF_SOURCE: Partial<Record<Source, Channel>> = {
  outbound_email: 'email',
  paid_search: 'paid_search',
  paid_social: 'paid_social',
  event: 'events',
  referral: 'partners',
};

interface LeadFactsRow {
  industry: string | null;
  region: string | null;
  dealBand: string | null;
  source: Source | null;
  status: string;
  score: number;
  converted: boolean;
}

/** The window's leads, normalised the way the council's rules read them (whole-value matches only). */
async function leadsInWindow(db: Db, workspaceId: string, since: number): Promise<LeadFactsRow[]> {
  const rows = await leadsWithScoreAndOutcome(db, workspaceId)
    .select([
      'leads.source',
      'leads.country',
      'leads.attributes',
      'leads.status',
      'leads.score',
      'lead_outcomes.converted',
    ])
    .where('leads.created_at', '>=', since)
    .orderBy('leads.created_at', 'desc')
    .limit(MAX_ROWS)
    .execute();
  return rows.map((row) => {
    const attributes = fromJson<Record<string, unknown>>(row.attributes, {});
    const declared = attributes.dealSizeUsd;
    const usd = typeof declared === 'number' && Number.isFinite(declared) && declared >= 0 ? declared : null;
    return {
      industry: normaliseIndustry(typeof attributes.industry === 'string' ? attributes.industry : null),
      region: regionOf(normaliseCountry(row.country)),
      dealBand: dealBandOf(usd),
      source: normaliseSource(row.source),
      status: row.status,
      score: Number(row.score),
      converted: Number(row.converted ?? 0) === 1,
    };
  });
}

function matches(row: LeadFactsRow, segment: Segment): boolean {
  if (segment.industry !== undefined) {
    const wanted = normaliseIndustry(segment.industry) ?? segment.industry.trim().toLowerCase();
    if (row.industry !== wanted) return false;
  }
  if (segment.region !== undefined && row.region !== segment.region.trim().toLowerCase()) return false;
  if (segment.dealBand !== undefined && row.dealBand !== segment.dealBand) return false;
  if (segment.source !== undefined && row.source !== normaliseSource(segment.source)) return false;
  return true;
}

/** Leads and conversions (reported outcomes) of a segment, in total and per channel. */
export async function segmentCounts(
  db: Db,
  workspaceId: string,
  args: { segment: Segment; windowDays: number },
  now: number,
): Promise<SegmentCounts> {
  const rows = (await leadsInWindow(db, workspaceId, now - args.windowDays * DAY_MS)).filter((row) =>
    matches(row, args.segment),
  );
  const channels = new Map<Channel, { leads: number; conversions: number }>();
  let conversions = 0;
  for (const row of rows) {
    if (row.converted) conversions++;
    const channel = row.source === null ? undefined : CHANNEL_OF_SOURCE[row.source];
    if (!channel) continue;
    const counts = channels.get(channel) ?? { leads: 0, conversions: 0 };
    counts.leads++;
    if (row.converted) counts.conversions++;
    channels.set(channel, counts);
  }
  return {
    windowDays: args.windowDays,
    total: { leads: rows.length, conversions },
    byChannel: [...channels].map(([channel, counts]) => ({ channel, ...counts })),
  };
}

const ABANDONED = new Set<SessionState['endReason']>(['visitor_left', 'stalled', 'turn_limit']);

/**
 * Chat funnel per question: a question counts as reached when the visitor answered or declined it,
 * or when the conversation stopped at it; dropped when the visitor left there.
 */
function chatFunnel(states: SessionState[]): NonNullable<PerformanceMetrics['chat']> {
  const questions = new Map<string, { reached: number; dropped: number }>();
  let completed = 0;
  for (const state of states) {
    if (state.endReason === 'completed') completed++;
    const answered = new Set([...Object.keys(state.slots), ...state.declined]);
    const stillAsking =
      state.phase === 'questions' || (state.phase === 'ended' && ABANDONED.has(state.endReason));
    for (const question of state.playbook.questions) {
      const done = answered.has(question.slot);
      if (!done && !stillAsking) continue;
      const counts = questions.get(question.slot) ?? { reached: 0, dropped: 0 };
      counts.reached++;
      if (!done) {
        if (state.phase === 'ended') counts.dropped++;
        questions.set(question.slot, counts);
        break;
      }
      questions.set(question.slot, counts);
    }
  }
  return {
    sessions: states.length,
    completed,
    questions: [...questions].map(([slot, counts]) => ({ slot: slot.slice(0, 100), ...counts })).slice(0, 50),
  };
}

/**
 * The funnel over the window. "Routed" are qualified leads (the pipeline hands those to sales);
 * "near threshold" are unqualified leads scoring within 10 points below the threshold; paid
 * channels come from normalised lead sources; `email` counts the workflows' e-mail steps (null when
 * none ran in the window).
 */
export async function performanceMetrics(
  db: Db,
  workspaceId: string,
  args: { windowDays: number; threshold: number },
  now: number,
): Promise<PerformanceMetrics> {
  const since = now - args.windowDays * DAY_MS;
  const rows = await leadsInWindow(db, workspaceId, since);
  const routed = { leads: 0, conversions: 0 };
  const nearThreshold = { leads: 0, conversions: 0 };
  const organic = { leads: 0, qualified: 0 };
  const paid = new Map<string, { leads: number; qualified: number }>();
  for (const row of rows) {
    const qualified = row.status === 'qualified';
    if (qualified) {
      routed.leads++;
      if (row.converted) routed.conversions++;
    } else if (row.score >= args.threshold - 10 && row.score < args.threshold) {
      nearThreshold.leads++;
      if (row.converted) nearThreshold.conversions++;
    }
    if (row.source === 'organic') {
      organic.leads++;
      if (qualified) organic.qualified++;
    }
    if (row.source === 'paid_search' || row.source === 'paid_social') {
      const counts = paid.get(row.source) ?? { leads: 0, qualified: 0 };
      counts.leads++;
      if (qualified) counts.qualified++;
      paid.set(row.source, counts);
    }
  }
  const sessions = await db
    .selectFrom('chat_sessions')
    .select('state')
    .where('workspace_id', '=', workspaceId)
    .where('created_at', '>=', since)
    .orderBy('created_at', 'desc')
    .limit(MAX_SESSIONS)
    .execute();
  const states = sessions.flatMap((row) => {
    const parsed = parseSessionState(fromJson(row.state, null));
    return parsed.ok ? [parsed.value] : [];
  });
  return {
    windowDays: args.windowDays,
    threshold: Math.min(100, Math.max(0, args.threshold)),
    routed,
    nearThreshold,
    organic,
    chat: states.length > 0 ? chatFunnel(states) : null,
    email: await emailSteps(db, workspaceId, since),
    paid: paid.size > 0 ? { channels: [...paid].map(([channel, c]) => ({ channel, ...c })) } : null,
  };
}

/**
 * Per workflow e-mail step over the window: `sent` are completed sends, `bounced` sends the SMTP
 * server refused (the step failed), `unsubscribed` recipients who are unsubscribed now. Replies are
 * not observed (no inbound mailbox), so `replied` stays 0.
 */
export async function emailSteps(
  db: Db,
  workspaceId: string,
  since: number,
): Promise<PerformanceMetrics['email']> {
  const rows = await db
    .selectFrom('workflow_steps as s')
    .innerJoin('workflow_runs as r', (j) => j.onRef('r.id', '=', 's.run_id'))
    .leftJoin('leads as l', (j) => j.onRef('l.id', '=', 'r.lead_id').on('l.workspace_id', '=', workspaceId))
    .select(['r.workflow_id', 's.step_id', 's.status', 'l.attributes'])
    .where('s.workspace_id', '=', workspaceId)
    .where('r.workspace_id', '=', workspaceId)
    .where('s.type', '=', 'send_email')
    .where('s.started_at', '>=', since)
    .limit(MAX_ROWS)
    .execute();
  if (rows.length === 0) return null;
  const steps = new Map<
    string,
    {
      workflowId: string;
      stepId: string;
      sent: number;
      bounced: number;
      unsubscribed: number;
      replied: number;
    }
  >();
  for (const row of rows) {
    const key = `${row.workflow_id}|${row.step_id}`;
    const step = steps.get(key) ?? {
      workflowId: row.workflow_id,
      stepId: row.step_id,
      sent: 0,
      bounced: 0,
      unsubscribed: 0,
      replied: 0,
    };
    if (row.status === 'completed') {
      step.sent++;
      const unsubscribed = fromJson<Record<string, unknown>>(row.attributes, {}).unsubscribed;
      if (unsubscribed === true || unsubscribed === 'true') step.unsubscribed++;
    } else if (row.status === 'failed') step.bounced++;
    steps.set(key, step);
  }
  return { steps: [...steps.values()].slice(0, 200) };
}
