import { bernoulliLlr, type CusumState, createCusum } from '../detectors/cusum.ts';
import { silenceMinutesNeeded } from '../detectors/rate-tests.ts';
import type { AlertEvidence } from './alerts.ts';
import type { OutcomeStreamState } from './outcome-streams.ts';
import type { PsiState } from './psi-stream.ts';

/**
 * The live detectors, as a pure step over minutes of rolled-up counts (so the scheduler's job, a
 * test and a replay all run the same code). Settings are the simulator's tuned ones
 * (docs/optimiser.md): a Bernoulli CUSUM per segment on the share of arrivals that do not qualify,
 * tuned for a third less qualification at h = 12 nats, and the Poisson silence test per source
 * within 0.1 false alarms a week.
 */
export const LIVE_DETECTOR_SETTINGS = {
  qualShift: 0.33,
  qualH: 12,
  silenceFalseAlarmsPerWeek: 0.1,
  /** Reference window: the day before the last hour. */
  referenceMinutes: 1440,
  referenceLagMinutes: 60,
  /** A segment needs this many arrivals in its reference to be watched (a thin reference is noise). */
  minReferenceArrivals: 200,
  /** A qualification alert resolves after this long when the last hour is back near the reference. */
  recoveryMinutes: 60,
  /**
   * Chat drop-off per question: a Bernoulli CUSUM on the share of chats that reached a question and
   * stopped there, tuned for a rise of 10 points at h = 11 nats (the simulator's tuned `dropH`).
   */
  dropShift: 0.1,
  dropH: 11,
  /** A question needs this many ended chats that reached it in the reference to be watched. */
  minReferenceChats: 50,
} as const;

interface StreamState {
  cusum: CusumState;
  /** Reference rate: qualification share, or arrivals per minute for silence streams. */
  reference: number;
  referenceCount: number;
  /** First minute of the evidence now in the CUSUM (reset when it returns to 0). */
  since: number;
  /** Arrivals and qualified since `since`. */
  trials: number;
  hits: number;
  lastArrival?: number;
}

export interface MonitorState {
  /** Minutes before this one are evaluated (minutes since the epoch). */
  nextMinute: number | null;
  /** Minute the references were last recomputed at. */
  referenceMinute: number | null;
  referenceFrom: number | null;
  champion: number | null;
  streams: Record<string, StreamState>;
  /** Page-Hinkley and ADWIN per segment on conversion outcomes (absent in states stored before them). */
  outcomes?: Record<string, OutcomeStreamState>;
  /** Bounce and unsubscribe shares per workflow (absent in states stored before them). */
  workflows?: Record<string, StreamState>;
  /** Model failures and slow decisions, and the latency bound (absent in states stored before them). */
  model?: { streams: Record<string, StreamState>; latencyBound: number | null };
  /** The score distribution's drift against the reference day (absent in states stored before it). */
  psi?: PsiState;
}

export const EMPTY_MONITOR_STATE: MonitorState = {
  nextMinute: null,
  referenceMinute: null,
  referenceFrom: null,
  champion: null,
  streams: {},
};

/** Counts per segment (`all`, `source:web`, …) for one minute or a range. */
export type SegmentCounts = Map<string, number>;

export interface Firing {
  stream: string;
  kind:
    | 'qualification_drop'
    | 'source_silent'
    | 'chat_dropoff_rise'
    | 'conversion_drop'
    | 'workflow_bounce_spike'
    | 'workflow_unsubscribe_spike'
    | 'workflow_reply_collapse'
    | 'model_error_spike'
    | 'model_latency_rise'
    | 'score_psi_shift';
  summary: string;
  evidence: AlertEvidence;
}

const MINUTE = 60_000;

/** Sets every stream's reference from counts over the reference window; keeps CUSUMs running. */
export function setReferences(
  state: MonitorState,
  reference: {
    arrivals: SegmentCounts;
    qualified: SegmentCounts;
    /** Ended chats that reached each question (`question:<playbook>/<question>`), and stopped there. */
    chats?: { reached: SegmentCounts; dropped: SegmentCounts };
    from: number;
    to: number;
  },
): MonitorState {
  const streams: Record<string, StreamState> = {};
  const minutes = reference.to - reference.from;
  for (const [segment, reached] of reference.chats?.reached ?? []) {
    if (!segment.startsWith('question:') || reached < LIVE_DETECTOR_SETTINGS.minReferenceChats) continue;
    const p = (reference.chats?.dropped.get(segment) ?? 0) / reached;
    // A question nobody leaves at cannot be judged as a share of 0; watch it from a small floor.
    const key = `dropoff:${segment}`;
    const old = state.streams[key];
    streams[key] = {
      cusum: old?.cusum ?? { up: 0, down: 0 },
      reference: Math.min(0.9, Math.max(p, 0.5 / reached)),
      referenceCount: reached,
      since: old?.since ?? reference.to,
      trials: old?.trials ?? 0,
      hits: old?.hits ?? 0,
    };
  }
  for (const [segment, arrivals] of reference.arrivals) {
    if (arrivals < LIVE_DETECTOR_SETTINGS.minReferenceArrivals) continue;
    const q = (reference.qualified.get(segment) ?? 0) / arrivals;
    // Watching a share of 0 or 1 finds nothing: every lead qualifies, or none does.
    if (q > 0 && q < 1) {
      const key = `qualification:${segment}`;
      const old = state.streams[key];
      streams[key] = {
        cusum: old?.cusum ?? { up: 0, down: 0 },
        reference: q,
        referenceCount: arrivals,
        since: old?.since ?? reference.to,
        trials: old?.trials ?? 0,
        hits: old?.hits ?? 0,
      };
    }
    if (segment.startsWith('source:')) {
      const key = `silence:${segment}`;
      const old = state.streams[key];
      streams[key] = {
        cusum: { up: 0, down: 0 },
        reference: arrivals / minutes,
        referenceCount: arrivals,
        since: old?.since ?? reference.to,
        trials: 0,
        hits: 0,
        lastArrival: old?.lastArrival ?? reference.to,
      };
    }
  }
  return { ...state, streams, referenceMinute: reference.to, referenceFrom: reference.from };
}

/**
 * Feeds one complete minute to every stream; returns the streams that fired. A CUSUM that fires
 * starts again from zero; the caller opens at most one live alert per stream.
 */
export function stepMinute(
  state: MonitorState,
  minute: number,
  counts: {
    arrivals: SegmentCounts;
    qualified: SegmentCounts;
    reached?: SegmentCounts;
    dropped?: SegmentCounts;
  },
): Firing[] {
  const firings: Firing[] = [];
  const s = LIVE_DETECTOR_SETTINGS;
  const sources = Object.keys(state.streams).filter((k) => k.startsWith('silence:')).length;
  const budget = {
    testsPerWeek: 10_080 * Math.max(1, sources),
    falseAlarmsPerWeek: s.silenceFalseAlarmsPerWeek,
  };
  for (const [key, stream] of Object.entries(state.streams)) {
    const segment = key.slice(key.indexOf(':') + 1);
    const arrivals = counts.arrivals.get(segment) ?? 0;
    if (key.startsWith('qualification:')) {
      const qualified = Math.min(arrivals, counts.qualified.get(segment) ?? 0);
      const p0 = 1 - stream.reference;
      const p1 = Math.min(0.999, 1 - stream.reference * (1 - s.qualShift));
      // The minute's leads one by one would give the same sum: the order inside a minute is unknown.
      const llr =
        (arrivals - qualified) * bernoulliLlr(true, p0, p1) + qualified * bernoulliLlr(false, p0, p1);
      // The window counts qualified leads: its observed value is the qualification rate.
      const step = cusumMinute(stream, minute, { trials: arrivals, hits: qualified }, llr, s.qualH);
      if (step.fired)
        firings.push({
          stream: key,
          kind: 'qualification_drop',
          summary: `qualification rate of ${segment} fell: ${pct(step.observed.value)} of ${step.observed.count} arrivals since ${new Date(step.window.from).toISOString()} against ${pct(stream.reference)} the day before`,
          evidence: {
            detector: `Bernoulli CUSUM (share not qualifying ${pct(p0)} → ${pct(p1)}, h ${s.qualH})`,
            metric: 'qualification_rate',
            segment,
            window: step.window,
            baseline: {
              value: stream.reference,
              count: stream.referenceCount,
              from: (state.referenceFrom ?? 0) * MINUTE,
              to: (state.referenceMinute ?? 0) * MINUTE,
            },
            observed: step.observed,
            statistic: step.statistic,
            threshold: s.qualH,
          },
        });
    } else if (key.startsWith('dropoff:')) {
      const reached = counts.reached?.get(segment) ?? 0;
      const step = stepRise(stream, minute, reached, counts.dropped?.get(segment) ?? 0, {
        shift: s.dropShift,
        h: s.dropH,
      });
      if (step.fired)
        firings.push({
          stream: key,
          kind: 'chat_dropoff_rise',
          summary: `chats stop more often at ${segment.slice('question:'.length)}: ${pct(step.observed.value)} of ${step.observed.count} chats that reached it since ${new Date(step.window.from).toISOString()} against ${pct(step.p0)} the day before`,
          evidence: riseEvidence(state, stream, step, {
            detector: `Bernoulli CUSUM (drop-off ${pct(step.p0)} → ${pct(step.p1)}, h ${s.dropH})`,
            metric: 'chat_dropoff',
            segment,
            h: s.dropH,
          }),
        });
    } else if (key.startsWith('silence:')) {
      if (arrivals > 0) stream.lastArrival = minute + 1;
      const last = stream.lastArrival ?? minute;
      const silentFor = minute + 1 - last;
      const needed = silenceMinutesNeeded(stream.reference, budget);
      if (arrivals === 0 && silentFor >= needed && silentFor < needed + 1)
        firings.push({
          stream: key,
          kind: 'source_silent',
          summary: `source ${segment.slice('source:'.length)} went silent: no arrival for ${silentFor} minutes where ${stream.reference.toFixed(2)} a minute arrived the day before`,
          evidence: {
            detector: `Poisson silence test (${s.silenceFalseAlarmsPerWeek} false alarms a week over ${sources} sources)`,
            metric: 'arrivals',
            segment,
            window: { from: last * MINUTE, to: (minute + 1) * MINUTE },
            baseline: {
              value: stream.reference,
              count: stream.referenceCount,
              from: (state.referenceFrom ?? 0) * MINUTE,
              to: (state.referenceMinute ?? 0) * MINUTE,
            },
            observed: { value: 0, count: 0 },
            statistic: stream.reference * silentFor,
            threshold: needed * stream.reference,
          },
        });
    }
  }
  return firings;
}

/**
 * One minute of a stream watching a share rise (drop-off at a question, bounces or unsubscribes of
 * a workflow): a Bernoulli CUSUM from the stream's reference share p0 to p0 + `shift`, fed the
 * minute's trials and hits; restarts its window when the statistic stands at zero, and after firing.
 */
export function stepRise(
  stream: StreamState,
  minute: number,
  trials: number,
  hitsIn: number,
  rule: { shift: number; h: number },
) {
  const hits = Math.min(trials, hitsIn);
  const p0 = stream.reference;
  const p1 = Math.min(0.999, p0 + rule.shift);
  const llr = hits * bernoulliLlr(true, p0, p1) + (trials - hits) * bernoulliLlr(false, p0, p1);
  return { p0, p1, ...cusumMinute(stream, minute, { trials, hits }, llr, rule.h) };
}

/**
 * Feeds one minute's log-likelihood ratio to a stream's CUSUM and counts the minute's trials and
 * hits in its window: the window restarts when the statistic stands at zero, and after firing (the
 * result still describes the window that fired).
 */
function cusumMinute(
  stream: StreamState,
  minute: number,
  counted: { trials: number; hits: number },
  llr: number,
  h: number,
) {
  const cusum = createCusum({ slack: 0, threshold: h, mode: 'up' }, stream.cusum);
  const before = cusum.statistic();
  if (before === 0) {
    stream.since = minute;
    stream.trials = 0;
    stream.hits = 0;
  }
  stream.trials += counted.trials;
  stream.hits += counted.hits;
  const fired = cusum.update(llr);
  stream.cusum = cusum.state();
  const result = {
    fired,
    statistic: before + llr,
    window: { from: stream.since * MINUTE, to: (minute + 1) * MINUTE },
    observed: { value: stream.trials > 0 ? stream.hits / stream.trials : null, count: stream.trials },
  };
  if (fired) {
    stream.trials = 0;
    stream.hits = 0;
    stream.since = minute + 1;
  }
  return result;
}

/**
 * The evidence of a fired `stepRise`: the window the CUSUM accumulated over, the reference share
 * with the reference day it came from, what was observed since, and the statistic against h. One
 * builder, so every rise alert (drop-off, bounces, unsubscribes, model, replies) reads alike.
 */
export function riseEvidence(
  state: MonitorState,
  stream: StreamState,
  step: ReturnType<typeof stepRise>,
  what: {
    detector: string;
    metric: string;
    segment: string;
    h: number;
    /** The stream watches the complement of the metric (sends with no reply for the reply rate). */
    complement?: boolean;
  },
): AlertEvidence {
  const value = (v: number) => (what.complement ? 1 - v : v);
  return {
    detector: what.detector,
    metric: what.metric,
    segment: what.segment,
    window: step.window,
    baseline: {
      value: value(step.p0),
      count: stream.referenceCount,
      from: (state.referenceFrom ?? 0) * MINUTE,
      to: (state.referenceMinute ?? 0) * MINUTE,
    },
    observed: {
      value: step.observed.value === null ? null : value(step.observed.value),
      count: step.observed.count,
    },
    statistic: step.statistic,
    threshold: what.h,
  };
}

/** Whether a live alert's stream has recovered, from the last `recoveryMinutes` of counts. */
export function recovered(
  kind: string,
  reference: number,
  recent: { arrivals: number; qualified: number },
): boolean {
  if (kind === 'source_silent') return recent.arrivals > 0;
  // For drop-off, `arrivals` are the chats that reached the question and `qualified` those that went on.
  if (kind === 'chat_dropoff_rise')
    return (
      recent.arrivals > 0 &&
      1 - recent.qualified / recent.arrivals <= reference + LIVE_DETECTOR_SETTINGS.dropShift / 2
    );
  if (recent.arrivals === 0) return false;
  return recent.qualified / recent.arrivals >= reference * (1 - LIVE_DETECTOR_SETTINGS.qualShift / 2);
}

export function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(100 * value).toFixed(1)}%`;
}
