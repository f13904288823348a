import { createAdwin } from '../detectors/adwin.ts';
import type { Cusum } from '../detectors/cusum.ts';
import { bernoulliLlr, createCusum } from '../detectors/cusum.ts';
import { createPageHinkley } from '../detectors/page-hinkley.ts';
import { binIndex, psi, psiCriticalValue, quantileEdges } from '../detectors/psi.ts';
import { silenceMinutesNeeded } from '../detectors/rate-tests.ts';
import { type OutcomeStreamState, stepOutcomes } from '../live/outcome-streams.ts';
import type { Baseline } from './baseline.ts';
import type { Alarm, AlarmFamily, Observation } from './world.ts';

/** The real-time loop's detector settings: what the simulator tunes. */
export interface LoopParams {
  /** Relative drop in qualification a stream's CUSUM is tuned for, and its threshold. */
  qualShift: number;
  qualH: number;
  /** Absolute rise in a question's drop-off, and threshold. */
  dropShift: number;
  dropH: number;
  bounceShift: number;
  bounceH: number;
  /** False alarms per week the silence test may spend across all sources. */
  silenceBudget: number;
  conversionDelta: number;
  conversionThreshold: number;
  adwinDelta: number;
  psiQuantile: number;
  psiMinLeads: number;
  psiWindowMinutes: number;
  /** Segments with fewer completed chats per minute are left to the pooled streams (a thin reference is noise). */
  minStreamPerMinute: number;
  /** A stream that fired stays quiet this long (ADWIN fires twice on one change: river#574). */
  cooldownMinutes: number;
  /**
   * False alarms per week the risk-adjusted qualification CUSUMs may spend; their threshold follows
   * from it by Lorden's bound (no tuning). 0 switches them off (the first run's detector set).
   */
  residualBudget: number;
  /**
   * Conversion outcomes watched per segment (all, each industry, source, region and playbook) by the live monitor's
   * own streams (live/outcome-streams.ts, its settings unless `outcomeOverrides` says otherwise)
   * instead of the one pooled Page-Hinkley and ADWIN pair above. Absent: pooled.
   */
  segmentOutcomes?: boolean;
  outcomeOverrides?: Parameters<typeof stepOutcomes>[3];
}

/** Anchor-based starting point (docs/optimiser.md): the "first run" the report keeps. */
export const INITIAL_LOOP_PARAMS: LoopParams = {
  qualShift: 0.33,
  qualH: 5,
  dropShift: 0.1,
  dropH: 5,
  bounceShift: 0.1,
  bounceH: 5,
  silenceBudget: 0.1,
  conversionDelta: 0.0075,
  conversionThreshold: 25,
  adwinDelta: 0.002,
  psiQuantile: 0.9999,
  psiMinLeads: 340,
  psiWindowMinutes: 60,
  minStreamPerMinute: 0.5,
  cooldownMinutes: 60,
  // The first run's detector set had no risk-adjusted streams; the tuned set adds them (tuning.ts).
  residualBudget: 0,
};

/** The risk-adjusted streams' share of the weekly false-alarm budget (by formula, not tuned). */
export const RESIDUAL_BUDGET = 0.1;

export interface Policy {
  observeMinute(
    minute: number,
    observations: readonly Observation[],
    revealed: readonly Observation[],
    /** Leads whose qualification the loop's own live change decides (the risk model does not hold for them). */
    ownChange?: (o: Observation) => boolean,
  ): Alarm[];
}

interface Stream {
  key: string;
  family: AlarmFamily;
  cusum: Cusum;
  /** Log-likelihood ratios of a hit and a miss, computed once: the loop adds millions of them. */
  llrHit: number;
  llrMiss: number;
}

export function createLoopPolicy(
  params: LoopParams,
  baseline: Baseline,
  trainingScores: readonly number[],
): Policy {
  const cooldownUntil = new Map<string, number>();
  const bernoulli = (key: string, family: AlarmFamily, p0: number, p1: number, h: number): Stream => {
    const alternative = Math.min(0.999, Math.max(0.001, p1));
    return {
      key,
      family,
      llrHit: bernoulliLlr(true, p0, alternative),
      llrMiss: bernoulliLlr(false, p0, alternative),
      cusum: createCusum({ slack: 0, threshold: h, mode: 'up' }),
    };
  };
  const qual = new Map<string, Stream>();
  for (const key of baseline.qualificationStreams) {
    if ((baseline.qualificationTrials.get(key) ?? 0) / baseline.minutes < params.minStreamPerMinute) continue;
    // Watched as the rate of NOT qualifying, so a drop in qualification is a rise.
    const q0 = baseline.qualification.get(key) ?? 0;
    qual.set(key, bernoulli(key, 'qualification', 1 - q0, 1 - q0 * (1 - params.qualShift), params.qualH));
  }
  // The pooled stream also gets a CUSUM for a third of the shift: slow drifts cross it first.
  const q0 = baseline.qualification.get('all') ?? 0;
  const small = bernoulli('all', 'qualification', 1 - q0, 1 - q0 * (1 - params.qualShift / 3), params.qualH);
  // Risk-adjusted (Steiner) CUSUMs: each completed lead is judged against the chance a lead of its
  // score had to qualify in the reference, so the evidence comes from leads that should have
  // qualified and did not — far more per lead than the segment's pooled share, and blind to a
  // change in the score mix. Lorden: a CUSUM of log-likelihood ratios runs at least e^h
  // observations between false alarms, so h = ln(observations per week / budget).
  const residualKeys = [...qual.keys()];
  const completedPerWeek = (baseline.qualificationTrials.get('all') ?? 0) * (10_080 / baseline.minutes);
  // Each completed lead updates at most three of them: all, its industry, its source.
  const residualH = Math.log((3 * completedPerWeek) / Math.max(1e-9, params.residualBudget));
  const residualLlr = baseline.qualificationByScore.map((q) => {
    const p0 = 1 - q;
    const p1 = 1 - q * (1 - params.qualShift);
    return { miss: bernoulliLlr(true, p0, p1), hit: bernoulliLlr(false, p0, p1) };
  });
  const residual = new Map<string, Cusum>();
  if (params.residualBudget > 0 && baseline.scoreEdges.length > 0)
    for (const key of residualKeys)
      residual.set(key, createCusum({ slack: 0, threshold: residualH, mode: 'up' }));
  const questions = baseline.dropoff.map((p0, i) =>
    bernoulli(`question:${i + 1}`, 'question', p0, p0 + params.dropShift, params.dropH),
  );
  const variants = new Map<string, Stream>();
  for (const [key, p0] of baseline.bounce)
    variants.set(key, bernoulli(key, 'workflow', p0, p0 + params.bounceShift, params.bounceH));
  const sources = [...baseline.arrivalsPerMinute.entries()];
  const lastArrival = new Map<string, number>();
  const silenceBudget = { testsPerWeek: 10_080 * sources.length, falseAlarmsPerWeek: params.silenceBudget };
  const ph = createPageHinkley({
    mode: 'down',
    alpha: 1,
    delta: params.conversionDelta,
    threshold: params.conversionThreshold,
    minInstances: 30,
  });
  const adwin = createAdwin({ delta: params.adwinDelta });
  const edges = quantileEdges(trainingScores);
  const reference = new Array<number>(edges.length + 1).fill(0);
  for (const s of trainingScores) reference[binIndex(edges, s)] = (reference[binIndex(edges, s)] ?? 0) + 1;
  const window: number[][] = [];
  const outcomeStreams: Record<string, OutcomeStreamState> = {};

  return {
    observeMinute(minute, observations, revealed, ownChange) {
      const alarms: Alarm[] = [];
      for (const [key] of sources) if (!lastArrival.has(key)) lastArrival.set(key, minute - 1);
      const raise = (family: AlarmFamily, stream: string, statistic: number) => {
        if ((cooldownUntil.get(stream) ?? -1) > minute) return;
        cooldownUntil.set(stream, minute + params.cooldownMinutes);
        alarms.push({ minute, family, stream, statistic });
      };
      const feed = (s: Stream | undefined, hit: boolean) => {
        if (s?.cusum.update(hit ? s.llrHit : s.llrMiss)) raise(s.family, s.key, s.cusum.statistic());
      };
      const bins = new Array<number>(edges.length + 1).fill(0);
      for (const o of observations) {
        if (!o.arrived) continue;
        lastArrival.set(`source:${o.lead.source}`, minute);
        bins[binIndex(edges, o.lead.score)] = (bins[binIndex(edges, o.lead.score)] ?? 0) + 1;
        const reached = o.droppedAt === 0 ? 4 : o.droppedAt;
        for (let q = 0; q < reached; q++) feed(questions[q], o.droppedAt === q + 1);
        if (!o.completed) continue;
        feed(qual.get('all'), !o.qualified);
        feed(small, !o.qualified);
        feed(qual.get(`industry:${o.lead.industry}`), !o.qualified);
        feed(qual.get(`source:${o.lead.source}`), !o.qualified);
        if (residual.size > 0 && !ownChange?.(o)) {
          const llr = residualLlr[binIndex(baseline.scoreEdges, o.lead.score)];
          const x = o.qualified ? (llr?.hit ?? 0) : (llr?.miss ?? 0);
          for (const key of ['all', `industry:${o.lead.industry}`, `source:${o.lead.source}`]) {
            const cusum = residual.get(key);
            if (cusum?.update(x)) raise('qualification', key, residualH);
          }
        }
        if (o.qualified) feed(variants.get(`variant:${o.lead.variant}`), o.bounced);
      }
      for (const [key, rate] of sources) {
        const silentFor = minute - (lastArrival.get(key) ?? minute);
        if (silentFor >= silenceMinutesNeeded(rate, silenceBudget)) raise('silence', key, silentFor * rate);
      }
      if (params.segmentOutcomes) {
        const outcomes = new Map<string, number>();
        const conversions = new Map<string, number>();
        for (const o of revealed)
          for (const segment of [
            'all',
            `industry:${o.lead.industry}`,
            `source:${o.lead.source}`,
            `region:${o.lead.region}`,
            `playbook:${o.lead.playbook}`,
          ]) {
            outcomes.set(segment, (outcomes.get(segment) ?? 0) + 1);
            if (o.converted) conversions.set(segment, (conversions.get(segment) ?? 0) + 1);
          }
        const counts = { outcomes, conversions };
        for (const f of stepOutcomes(outcomeStreams, minute, counts, params.outcomeOverrides))
          raise('conversion', f.stream, f.evidence.statistic);
      } else
        for (const o of revealed) {
          const x = o.converted ? 1 : 0;
          if (ph.update(x)) raise('conversion', 'all', 0);
          if (adwin.update(x)) raise('conversion', 'all:adwin', adwin.mean());
        }
      window.push(bins);
      if (window.length > params.psiWindowMinutes) window.shift();
      const current = new Array<number>(bins.length).fill(0);
      for (const w of window) for (let i = 0; i < w.length; i++) current[i] = (current[i] ?? 0) + (w[i] ?? 0);
      const n = current.reduce((a, b) => a + b, 0);
      if (n >= params.psiMinLeads) {
        const value = psi(reference, current);
        if (value > psiCriticalValue(trainingScores.length, n, bins.length, params.psiQuantile))
          raise('psi', 'all:psi', value);
      }
      return alarms;
    },
  };
}
