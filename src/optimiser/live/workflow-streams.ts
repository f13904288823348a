import type { WorkflowActivityRow } from './ports.ts';
import { type Firing, type MonitorState, pct, stepRise } from './streams.ts';

/**
 * Per workflow, two shares that collapse when a workflow breaks: its e-mail sends that fail (the
 * SMTP server refused them: bounces) and its recipients who unsubscribe after a send. Each is a
 * Bernoulli CUSUM from the workflow's reference share (the day before the last hour). Bounces use
 * the simulator's tuned setting for a broken workflow variant (a rise of 10 points, h = 11 nats:
 * detected in a median 7 simulated minutes, docs/optimiser.md); the simulator has no unsubscribe
 * model, so the unsubscribe stream takes a rise of 2 points at the same h, an untuned choice.
 */
const WORKFLOW_DETECTOR_SETTINGS = {
  bounceShift: 0.1,
  bounceH: 11,
  unsubscribeShift: 0.02,
  unsubscribeH: 11,
  /** A workflow needs this many sends in the reference window to be watched. */
  minReferenceSends: 50,
} as const;

const w = WORKFLOW_DETECTOR_SETTINGS;
const MINUTE = 60_000;

type Totals = Map<string, { sent: number; failed: number; unsubscribed: number }>;

function totalsOf(rows: readonly WorkflowActivityRow[]): Totals {
  const totals: Totals = new Map();
  for (const r of rows) {
    const t = totals.get(r.workflowId) ?? { sent: 0, failed: 0, unsubscribed: 0 };
    t.sent += r.sent;
    t.failed += r.failed;
    t.unsubscribed += r.unsubscribed;
    totals.set(r.workflowId, t);
  }
  return totals;
}

/** Sets the workflow streams' references from the reference window's activity; keeps running CUSUMs. */
export function setWorkflowReferences(state: MonitorState, reference: readonly WorkflowActivityRow[]): void {
  const streams: NonNullable<MonitorState['workflows']> = {};
  const to = state.referenceMinute ?? 0;
  for (const [workflowId, t] of totalsOf(reference)) {
    const attempts = t.sent + t.failed;
    if (attempts < w.minReferenceSends) continue;
    // A share of 0 cannot be watched as such: a small floor, as for chat questions.
    const shares = {
      [`bounce:workflow:${workflowId}`]: { p: t.failed / attempts, n: attempts },
      [`unsubscribe:workflow:${workflowId}`]: { p: t.unsubscribed / Math.max(1, t.sent), n: t.sent },
    };
    for (const [key, { p, n }] of Object.entries(shares)) {
      if (n === 0) continue;
      const old = state.workflows?.[key];
      streams[key] = {
        cusum: old?.cusum ?? { up: 0, down: 0 },
        reference: Math.min(0.9, Math.max(p, 0.5 / n)),
        referenceCount: n,
        since: old?.since ?? to,
        trials: old?.trials ?? 0,
        hits: old?.hits ?? 0,
      };
    }
  }
  state.workflows = streams;
}

/** Feeds one minute of workflow activity to every workflow stream; returns those that fired. */
export function stepWorkflows(
  state: MonitorState,
  minute: number,
  rows: readonly WorkflowActivityRow[],
): Firing[] {
  const firings: Firing[] = [];
  const totals = totalsOf(rows);
  for (const [key, stream] of Object.entries(state.workflows ?? {})) {
    const bounce = key.startsWith('bounce:');
    const segment = key.slice(key.indexOf(':') + 1);
    const t = totals.get(segment.slice('workflow:'.length)) ?? { sent: 0, failed: 0, unsubscribed: 0 };
    const [trials, hits] = bounce ? [t.sent + t.failed, t.failed] : [t.sent, t.unsubscribed];
    const rule = bounce
      ? { shift: w.bounceShift, h: w.bounceH }
      : { shift: w.unsubscribeShift, h: w.unsubscribeH };
    const step = stepRise(stream, minute, trials, hits, rule);
    if (!step.fired) continue;
    const what = bounce ? 'e-mails bounce' : 'recipients unsubscribe';
    firings.push({
      stream: key,
      kind: bounce ? 'workflow_bounce_spike' : 'workflow_unsubscribe_spike',
      summary: `${what} more often in ${segment}: ${pct(step.observed.value)} of ${step.observed.count} since ${new Date(step.window.from).toISOString()} against ${pct(step.p0)} the day before`,
      evidence: {
        detector: `Bernoulli CUSUM (${bounce ? 'bounce' : 'unsubscribe'} share ${pct(step.p0)} → ${pct(step.p1)}, h ${rule.h})`,
        metric: bounce ? 'bounce_rate' : 'unsubscribe_rate',
        segment,
        window: step.window,
        baseline: {
          value: step.p0,
          count: stream.referenceCount,
          from: (state.referenceFrom ?? 0) * MINUTE,
          to: (state.referenceMinute ?? 0) * MINUTE,
        },
        observed: step.observed,
        statistic: step.statistic,
        threshold: rule.h,
      },
    });
  }
  return firings;
}

/** Whether a workflow alert's share is back near its reference over the recent activity. */
export function workflowRecovered(
  kind: string,
  baseline: number,
  workflowId: string,
  recent: readonly WorkflowActivityRow[],
): boolean {
  const t = totalsOf(recent).get(workflowId);
  if (!t) return false;
  if (kind === 'workflow_bounce_spike')
    return t.sent + t.failed > 0 && t.failed / (t.sent + t.failed) <= baseline + w.bounceShift / 2;
  return t.sent > 0 && t.unsubscribed / t.sent <= baseline + w.unsubscribeShift / 2;
}
