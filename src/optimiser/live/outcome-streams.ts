import { type AdwinState, createAdwin } from '../detectors/adwin.ts';
import { createPageHinkley, type PageHinkleyState } from '../detectors/page-hinkley.ts';
import type { AlertEvidence } from './alerts.ts';

/**
 * The live detectors on conversion outcomes: Page-Hinkley (down, no fading) and ADWIN on each
 * revealed outcome, 1 for a conversion and 0 otherwise, with the simulator's tuned settings
 * (docs/optimiser.md: PH threshold 50, δ 0.0075, at least 30 outcomes; ADWIN δ 2e-4; a stream that
 * fired stays quiet an hour, since ADWIN fires twice on one change, river#574). Neither needs a
 * reference rate, which is why they watch outcomes: conversions arrive days after the lead, too few
 * a day to fix a reference. Their whole state is kept in the monitor's stored state, so a restart
 * resumes the same statistics (nothing is rebuilt).
 */
const OUTCOME_DETECTOR_SETTINGS = {
  phDelta: 0.0075,
  phThreshold: 50,
  phMinInstances: 30,
  adwinDelta: 2e-4,
  quietMinutes: 60,
  /** A conversion alert resolves once the last `recoveryMinutes` hold this many outcomes near the baseline. */
  minRecoveryOutcomes: 30,
  /**
   * Streams per kind of segment (`source`, `industry`, `region`, `playbook`), besides `all`. Sources
   * and playbooks are open-ended (a partner per source is common), and every stream costs twice:
   * its state (ADWIN's buckets, a few kB) is rewritten with the workspace's monitor state each
   * minute, and each stream spends its own false alarms, so a dimension with many thin segments
   * would raise the workspace's alarms without finding more. Industry (the council's vocabulary)
   * and region (six) fit; the first segments of a kind to report outcomes are watched.
   */
  maxSegmentsPerKind: 8,
  /** A segment with no outcome for this long gives its place up (its evidence is stale anyway). */
  idleMinutes: 14 * 24 * 60,
  /**
   * Split the false-alarm budget across the streams an outcome feeds (Bonferroni). Each outcome
   * updates one stream of every watched kind (`all`, its source, industry, region, playbook), and
   * a detector's false alarms grow with the observations it sees, so m kinds spend m times the
   * pooled pair's alarms (the simulator measured 3× with three kinds, docs/benchmarks.md). With
   * the split, ADWIN's δ is divided by m, and Page-Hinkley's threshold rises by σ²·ln(m)/(2δ):
   * a random walk drifting down by δ a step with variance σ² reaches h with probability about
   * exp(−2δh/σ²) (Siegmund), so that rise divides its false alarms by m; σ² is p(1 − p) at the
   * stream's running conversion rate.
   */
  budgetSplit: true as boolean,
} as const;

export interface OutcomeStreamState {
  ph: PageHinkleyState;
  adwin: AdwinState;
  /** First minute of the evidence in the Page-Hinkley statistic (reset when it returns to 0). */
  since: number;
  outcomes: number;
  conversions: number;
  /** Minute the Page-Hinkley running mean (the baseline) started from. */
  phFrom: number;
  /** No firing before this minute (the quiet hour after one). */
  quietUntil: number;
  /** Minute of the stream's latest outcome (absent in state stored before segments were watched). */
  last?: number;
}

export interface OutcomeFiring {
  stream: string;
  kind: 'conversion_drop';
  summary: string;
  evidence: AlertEvidence;
}

const MINUTE = 60_000;

function fresh(minute: number): OutcomeStreamState {
  return {
    ph: { n: 0, mean: 0, up: 0, down: 0 },
    adwin: { rows: [], width: 0, total: 0, variance: 0, tick: 0 },
    since: minute,
    outcomes: 0,
    conversions: 0,
    phFrom: minute,
    quietUntil: minute,
  };
}

/**
 * The order of outcomes inside a minute is unknown; spreading the conversions evenly among them
 * (rather than all first or all last) keeps a minute's order from moving the statistic.
 */
function spread(outcomes: number, conversions: number): number[] {
  const values: number[] = [];
  let given = 0;
  for (let i = 1; i <= outcomes; i++) {
    const due = Math.round((i * conversions) / outcomes);
    values.push(due > given ? 1 : 0);
    given = due;
  }
  return values;
}

const kindOf = (segment: string) => segment.split(':', 1)[0] ?? segment;

/**
 * Starts streams for segments with their first outcomes, within `maxSegmentsPerKind` per kind, and
 * drops streams idle for `idleMinutes`. Candidates are taken busiest first, then by name, so the
 * same minutes always admit the same segments whatever order the rows were read in.
 */
function admit(
  streams: Record<string, OutcomeStreamState>,
  minute: number,
  outcomes: Map<string, number>,
  maxSegmentsPerKind: number,
  idleMinutes: number,
) {
  for (const [segment, stream] of Object.entries(streams))
    if (segment !== 'all' && minute - (stream.last ?? stream.since) >= idleMinutes) delete streams[segment];
  const perKind = new Map<string, number>();
  for (const segment of Object.keys(streams))
    if (segment !== 'all') perKind.set(kindOf(segment), (perKind.get(kindOf(segment)) ?? 0) + 1);
  const candidates = [...outcomes]
    .filter(([segment, n]) => n > 0 && !streams[segment])
    .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : a > b ? 1 : 0));
  for (const [segment] of candidates) {
    if (segment !== 'all') {
      const kind = kindOf(segment);
      if ((perKind.get(kind) ?? 0) >= maxSegmentsPerKind) continue;
      perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    }
    streams[segment] = fresh(minute);
  }
}

/**
 * Feeds one complete minute of outcomes per segment (`all`, `source:`, `industry:`, `region:`,
 * `playbook:`) to both detectors of each watched segment; returns the streams that fired. Mutates
 * `streams`.
 */
export function stepOutcomes(
  streams: Record<string, OutcomeStreamState>,
  minute: number,
  counts: { outcomes: Map<string, number>; conversions: Map<string, number> },
  /** The simulator's before/after comparisons only; the monitor runs the settings above. */
  overrides: Partial<typeof OUTCOME_DETECTOR_SETTINGS> = {},
): OutcomeFiring[] {
  const s = { ...OUTCOME_DETECTOR_SETTINGS, ...overrides };
  const firings: OutcomeFiring[] = [];
  admit(streams, minute, counts.outcomes, s.maxSegmentsPerKind, s.idleMinutes);
  const kinds = s.budgetSplit ? new Set(Object.keys(streams).map(kindOf)).size : 1;
  for (const [segment, stream] of Object.entries(streams)) {
    const outcomes = counts.outcomes.get(segment) ?? 0;
    if (outcomes === 0) continue;
    stream.last = minute;
    const conversions = Math.min(outcomes, counts.conversions.get(segment) ?? 0);
    const variance = stream.ph.n > 0 ? stream.ph.mean * (1 - stream.ph.mean) : 0.25;
    const phThreshold = s.phThreshold + (variance * Math.log(kinds)) / (2 * s.phDelta);
    const adwinDelta = s.adwinDelta / kinds;
    const ph = createPageHinkley(
      { mode: 'down', alpha: 1, delta: s.phDelta, threshold: phThreshold, minInstances: s.phMinInstances },
      stream.ph,
    );
    const adwin = createAdwin({ delta: adwinDelta }, stream.adwin);
    let fired: 'ph' | 'adwin' | null = null;
    let evidence = {
      baseline: 0,
      count: 0,
      from: minute,
      observed: 0 as number | null,
      observedCount: 0,
      statistic: 0,
      threshold: 0,
      detector: '',
    };
    for (const x of spread(outcomes, conversions)) {
      // The window of evidence: the outcomes since the statistic last stood at zero.
      if (ph.statistic() === 0) {
        stream.since = minute;
        stream.outcomes = 0;
        stream.conversions = 0;
      }
      stream.outcomes += 1;
      stream.conversions += x;
      const before = ph.state();
      const widthBefore = adwin.width();
      const meanBefore = adwin.mean();
      const phFired = ph.update(x);
      const adwinFired = adwin.update(x);
      const phFrom = stream.phFrom;
      if (phFired) stream.phFrom = minute + 1;
      if (fired || minute < stream.quietUntil) continue;
      if (phFired) {
        fired = 'ph';
        const mean = before.mean + (x - before.mean) / (before.n + 1);
        evidence = {
          baseline: mean,
          count: before.n + 1,
          from: phFrom,
          observed: stream.conversions / stream.outcomes,
          observedCount: stream.outcomes,
          statistic: before.down + (mean - x - s.phDelta),
          threshold: phThreshold,
          detector: `Page-Hinkley (down, δ ${s.phDelta}, threshold ${round(phThreshold)}${kinds > 1 ? ` for ${kinds} kinds of stream` : ''}, ≥ ${s.phMinInstances} outcomes)`,
        };
      } else if (adwinFired && adwin.mean() < meanBefore) {
        // ADWIN drops the older part of its window on a change either way; only a fall is an alarm.
        fired = 'adwin';
        evidence = {
          baseline: meanBefore,
          count: widthBefore,
          from: stream.phFrom,
          observed: adwin.mean(),
          observedCount: adwin.width(),
          statistic: meanBefore - adwin.mean(),
          threshold: 0,
          detector: `ADWIN (δ ${adwinDelta.toPrecision(2)}): the window's mean fell from ${pct(meanBefore)} over ${widthBefore} outcomes to ${pct(adwin.mean())} over the ${adwin.width()} it kept`,
        };
      }
    }
    stream.ph = ph.state();
    stream.adwin = adwin.state();
    if (!fired) continue;
    const observed = evidence.observed;
    firings.push({
      stream: `conversion:${segment}`,
      kind: 'conversion_drop',
      summary: `conversion rate of ${segment} fell: ${pct(observed)} of ${evidence.observedCount} outcomes against ${pct(evidence.baseline)} over ${evidence.count} outcomes (${fired === 'ph' ? 'Page-Hinkley' : 'ADWIN'})`,
      evidence: {
        detector: evidence.detector,
        metric: 'conversion_rate',
        segment,
        window: { from: stream.since * MINUTE, to: (minute + 1) * MINUTE },
        baseline: {
          value: evidence.baseline,
          count: evidence.count,
          from: evidence.from * MINUTE,
          to: (minute + 1) * MINUTE,
        },
        observed: { value: observed, count: evidence.observedCount },
        statistic: evidence.statistic,
        threshold: evidence.threshold,
      },
    });
    stream.quietUntil = minute + s.quietMinutes;
    stream.since = minute + 1;
    stream.outcomes = 0;
    stream.conversions = 0;
  }
  return firings;
}

/** Whether a conversion alert's segment is back near its baseline over the recent outcomes. */
export function conversionsRecovered(baseline: number, recent: { outcomes: number; conversions: number }) {
  return (
    recent.outcomes >= OUTCOME_DETECTOR_SETTINGS.minRecoveryOutcomes &&
    recent.conversions / recent.outcomes >= 0.9 * baseline
  );
}

const round = (x: number) => Math.round(x * 10) / 10;

function pct(value: number | null): string {
  return value === null ? 'n/a' : `${(100 * value).toFixed(1)}%`;
}
