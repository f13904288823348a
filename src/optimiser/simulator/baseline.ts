import { binIndex } from '../detectors/psi.ts';
import type { Observation } from './world.ts';

/**
 * Reference rates from the warm-up day (the platform's trailing rollup): qualification per
 * stream, drop-off per question, bounce per variant, arrivals per source, conversions. Small
 * streams are shrunk toward the overall rate so a thin day does not fix a wrong reference.
 */
export interface Baseline {
  qualification: Map<string, number>;
  /** Completed chats behind each qualification rate (the batch's two-sample test needs them). */
  qualificationTrials: Map<string, number>;
  dropoff: number[];
  dropoffTrials: number[];
  bounce: Map<string, number>;
  bounceTrials: Map<string, number>;
  arrivalsPerMinute: Map<string, number>;
  conversion: number;
  conversionTrials: number;
  qualificationStreams: string[];
  minutes: number;
  /**
   * Qualification of completed chats per score bin (`scoreEdges`), with Laplace's rule: the risk
   * model of the risk-adjusted CUSUM (how likely a lead of this score was to qualify).
   */
  scoreEdges: number[];
  qualificationByScore: number[];
}

const SHRINK = 5;

export function measureBaseline(
  observations: readonly Observation[],
  minutes: number,
  scoreEdges: readonly number[] = [],
): Baseline {
  const byScore = Array.from({ length: scoreEdges.length + 1 }, () => [0, 0] as [number, number]);
  const qual = new Map<string, [number, number]>();
  const add = (key: string, hit: boolean) => {
    const c = qual.get(key) ?? [0, 0];
    c[0] += 1;
    if (hit) c[1] += 1;
    qual.set(key, c);
  };
  const reach = [0, 0, 0, 0];
  const drop = [0, 0, 0, 0];
  const sends = new Map<string, [number, number]>();
  const arrivals = new Map<string, number>();
  let outcomes = 0;
  let conversions = 0;
  for (const o of observations) {
    if (!o.arrived) continue;
    arrivals.set(o.lead.source, (arrivals.get(o.lead.source) ?? 0) + 1);
    const reached = o.droppedAt === 0 ? 4 : o.droppedAt;
    for (let q = 0; q < reached; q++) reach[q] = (reach[q] ?? 0) + 1;
    if (o.droppedAt > 0) drop[o.droppedAt - 1] = (drop[o.droppedAt - 1] ?? 0) + 1;
    if (!o.completed) continue;
    const bin = byScore[binIndex(scoreEdges, o.lead.score)];
    if (bin) {
      bin[0] += 1;
      if (o.qualified) bin[1] += 1;
    }
    add('all', o.qualified);
    add(`industry:${o.lead.industry}`, o.qualified);
    add(`source:${o.lead.source}`, o.qualified);
    if (o.qualified) {
      const s = sends.get(o.lead.variant) ?? [0, 0];
      s[0] += 1;
      if (o.bounced) s[1] += 1;
      sends.set(o.lead.variant, s);
      outcomes += 1;
      if (o.converted) conversions += 1;
    }
  }
  const [n = 1, x = 0] = qual.get('all') ?? [];
  const overall = x / n;
  const qualification = new Map<string, number>();
  for (const [key, [count, hits]] of qual)
    qualification.set(key, (hits + SHRINK * overall) / (count + SHRINK));
  const bounce = new Map<string, number>();
  const bounceTrials = new Map<string, number>();
  for (const [key, [count, hits]] of sends) {
    bounce.set(`variant:${key}`, (hits + 1) / (count + 2));
    bounceTrials.set(`variant:${key}`, count);
  }
  const arrivalsPerMinute = new Map<string, number>();
  for (const [key, count] of arrivals) arrivalsPerMinute.set(`source:${key}`, count / minutes);
  const qualificationTrials = new Map<string, number>();
  for (const [key, [count]] of qual) qualificationTrials.set(key, count);
  return {
    qualification,
    qualificationTrials,
    dropoff: drop.map((d, i) => (d + 1) / ((reach[i] ?? 0) + 2)),
    dropoffTrials: reach,
    bounce,
    bounceTrials,
    arrivalsPerMinute,
    conversion: outcomes > 0 ? conversions / outcomes : 0,
    conversionTrials: outcomes,
    qualificationStreams: [...qualification.keys()],
    minutes,
    scoreEdges: [...scoreEdges],
    qualificationByScore: byScore.map(([n, hits]) => (hits + 1) / (n + 2)),
  };
}
