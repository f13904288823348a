import type { WorkflowActivityRow } from './ports.ts';
import { type Firing, type MonitorState, pct, riseEvidence, stepRise } from './streams.ts';

/**
 * Per workflow, three shares that move when a workflow breaks: its e-mail sends that fail (the
 * SMTP server refused them: bounces), its recipients who unsubscribe after a send, and its sends
 * that get no reply. Each is a Bernoulli CUSUM from the workflow's reference share (the day before
 * the last hour). Bounces use the simulator's tuned setting for a broken workflow variant (a rise of
 * 10 points, h = 11 nats: detected in a median 7 simulated minutes, docs/optimiser.md); the
 * simulator has no unsubscribe or reply model, so the unsubscribe stream takes a rise of 2 points
 * and the reply stream a collapse to half the reference reply rate, both at the same h, untuned.
 *
 * Replies count in the minute they arrive, not the minute their e-mail was sent, so a minute's
 * evidence is its sends against its replies: each send adds the log-likelihood ratio of "no reply"
 * and each reply takes back the difference, which over a window sums to the same statistic as
 * pairing every reply with its send (the CUSUM is linear in the counts). That holds only in a
 * steady state, hence the minimum counts: a workflow is watched once its reference day holds
 * `minReferenceSends` sends and `minReferenceReplies` replies, so a new workflow whose replies are
 * still on their way is not read as a collapse.
 */
const WORKFLOW_DETECTOR_SETTINGS = {
  bounceShift: 0.1,
  bounceH: 11,
  unsubscribeShift: 0.02,
  unsubscribeH: 11,
  /** The reply stream watches for the reply rate falling to this share of its reference. */
  replyCollapseTo: 0.5,
  replyH: 11,
  /** A workflow needs this many sends in the reference window to be watched. */
  minReferenceSends: 50,
  /** And this many replies for its reply rate to be watched (a handful cannot show a collapse). */
  minReferenceReplies: 20,
} as const;

const w = WORKFLOW_DETECTOR_SETTINGS;

interface Tally {
  sent: number;
  failed: number;
  unsubscribed: number;
  replied: number;
}
type Totals = Map<string, Tally>;
const NONE = { sent: 0, failed: 0, unsubscribed: 0, replied: 0 } as const;

function totalsOf(rows: readonly WorkflowActivityRow[]): Totals {
  const totals: Totals = new Map();
  for (const r of rows) {
    const t = totals.get(r.workflowId) ?? { ...NONE };
    t.sent += r.sent;
    t.failed += r.failed;
    t.unsubscribed += r.unsubscribed;
    t.replied += r.replied ?? 0;
    totals.set(r.workflowId, t);
  }
  return totals;
}

type StreamKind = 'bounce' | 'unsubscribe' | 'reply';
const kindOfKey = (key: string) => key.slice(0, key.indexOf(':')) as StreamKind;

/** Each stream's rule, what it counts in a minute, and how its alert reads. */
const STREAMS = {
  bounce: {
    rule: { shift: () => w.bounceShift, h: w.bounceH },
    counts: (t: Tally) => [t.sent + t.failed, t.failed],
    kind: 'workflow_bounce_spike',
    metric: 'bounce_rate',
    share: 'bounce share',
  },
  unsubscribe: {
    rule: { shift: () => w.unsubscribeShift, h: w.unsubscribeH },
    counts: (t: Tally) => [t.sent, t.unsubscribed],
    kind: 'workflow_unsubscribe_spike',
    metric: 'unsubscribe_rate',
    share: 'unsubscribe share',
  },
  // Watched as the share of sends with no reply: a collapse of replies is a rise of it.
  reply: {
    rule: { shift: (p0: number) => (1 - p0) * (1 - w.replyCollapseTo), h: w.replyH },
    counts: (t: Tally) => [t.sent, t.sent - t.replied],
    kind: 'workflow_reply_collapse',
    metric: 'reply_rate',
    share: 'reply rate',
  },
} as const;

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
      ...(t.replied >= w.minReferenceReplies && t.sent > 0
        ? { [`reply:workflow:${workflowId}`]: { p: 1 - Math.min(1, t.replied / t.sent), n: t.sent } }
        : {}),
    };
    for (const [key, { p, n }] of Object.entries(shares)) {
      if (n === 0) continue;
      const old = state.workflows?.[key];
      streams[key] = {
        cusum: old?.cusum ?? { up: 0, down: 0 },
        // Sends with no reply are most of them: that share is not capped (its replies have a minimum).
        reference: key.startsWith('reply:') ? p : Math.min(0.9, Math.max(p, 0.5 / n)),
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
    const spec = STREAMS[kindOfKey(key)];
    if (!spec) continue;
    const segment = key.slice(key.indexOf(':') + 1);
    const [trials = 0, hits = 0] = spec.counts(totals.get(segment.slice('workflow:'.length)) ?? { ...NONE });
    const rule = { shift: spec.rule.shift(stream.reference), h: spec.rule.h };
    const step = stepRise(stream, minute, trials, hits, rule);
    if (!step.fired) continue;
    const reply = spec.kind === 'workflow_reply_collapse';
    // The reply stream's shares are of sends with no reply; its alert reads in reply rates.
    const [from, to, seen] = reply
      ? [1 - step.p0, 1 - step.p1, step.observed.value === null ? null : 1 - step.observed.value]
      : [step.p0, step.p1, step.observed.value];
    const since = new Date(step.window.from).toISOString();
    firings.push({
      stream: key,
      kind: spec.kind,
      summary: reply
        ? `replies to ${segment} collapsed: ${pct(seen)} of ${step.observed.count} sends answered since ${since} against ${pct(from)} the day before`
        : `${spec.kind === 'workflow_bounce_spike' ? 'e-mails bounce' : 'recipients unsubscribe'} more often in ${segment}: ${pct(seen)} of ${step.observed.count} since ${since} against ${pct(from)} the day before`,
      evidence: riseEvidence(state, stream, step, {
        detector: `Bernoulli CUSUM (${spec.share} ${pct(from)} → ${pct(to)}, h ${rule.h})`,
        metric: spec.metric,
        segment,
        h: rule.h,
        complement: reply,
      }),
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
  // Back above the midpoint between the reference reply rate and the collapse the stream watches for.
  if (kind === 'workflow_reply_collapse')
    return t.sent > 0 && t.replied / t.sent >= baseline * (1 + w.replyCollapseTo) * 0.5;
  if (kind === 'workflow_bounce_spike')
    return t.sent + t.failed > 0 && t.failed / (t.sent + t.failed) <= baseline + w.bounceShift / 2;
  return t.sent > 0 && t.unsubscribed / t.sent <= baseline + w.unsubscribeShift / 2;
}
