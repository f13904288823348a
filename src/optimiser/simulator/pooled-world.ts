import { createSeededRandom, type Random } from '../../core/index.ts';
import type { BankMaterial } from './bank-stream.ts';

/**
 * An organisation of business units replayed from the bank-marketing material, to measure whether
 * optimizers that pool outcomes across units call segments better than the written rules, which
 * see one unit's outcomes only. Segments are job × champion-score tercile; a segment's true rate
 * is the file's; each unit's rate is that rate moved by a seeded logit-normal step (units differ a
 * little). One large unit and several small ones each see a learning window of outcomes, then the
 * policy calls every (unit, segment): `raise` stops routing the segment's leads to reps.
 *
 * Value is counted in conversions: working a lead costs `cost` conversions of rep time, so routing
 * a segment earns (p − cost) a lead and the oracle stops exactly the segments with p < cost.
 */
interface PooledCell {
  key: string;
  units: { leads: number; conversions: number }[];
}

export type CellCall = 'raise' | 'keep' | 'lower';
/** A policy: the calls for `unit` given every unit's counts per segment. */
export type CellPolicy = (cells: readonly PooledCell[], unit: number) => Map<string, CellCall>;

export interface PooledOptions {
  unitSizes: readonly number[];
  /** Outcomes a unit of size 1 sees in the learning window (and leads in the next period). */
  outcomesPerUnit: number;
  logitSpread: number;
  cost: number;
  seeds: number;
}

export interface PooledSummary {
  policy: string;
  /** Mean over seeds, per unit size: conversions lost against the oracle (value regret). */
  regretByUnit: number[];
  regret: number;
  /** Segments stopped that the oracle would keep, and kept that it would stop (mean per seed). */
  wrongStops: number;
  missedStops: number;
  /** Conversions in the next period (routed segments only) and leads worked by reps. */
  conversions: number;
  leadsWorked: number;
}

const logit = (p: number) => Math.log(p / (1 - p));
const expit = (x: number) => 1 / (1 + Math.exp(-x));

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), Number.MIN_VALUE))) * Math.cos(2 * Math.PI * random());
}

/** Segments of the material: key → true rate and share of leads. */
function bankSegments(material: BankMaterial): { key: string; rate: number; share: number }[] {
  const scores = material.replay.map((r) => r.score).sort((a, b) => a - b);
  const cut1 = scores[Math.floor(scores.length / 3)] ?? 0;
  const cut2 = scores[Math.floor((2 * scores.length) / 3)] ?? 0;
  const counts = new Map<string, { n: number; y: number }>();
  for (const r of material.replay) {
    const band = r.score < cut1 ? 'low' : r.score < cut2 ? 'mid' : 'high';
    const key = `${r.industry}|${band}`;
    const c = counts.get(key) ?? { n: 0, y: 0 };
    c.n += 1;
    if (r.converts) c.y += 1;
    counts.set(key, c);
  }
  return [...counts.entries()]
    .filter(([, c]) => c.n >= 50)
    .map(([key, c]) => ({
      key,
      rate: Math.min(0.99, Math.max(0.005, c.y / c.n)),
      share: c.n / material.replay.length,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** Runs each policy on the same seeded worlds. */
export function simulatePooled(
  material: BankMaterial,
  policies: Record<string, CellPolicy>,
  options: PooledOptions,
): PooledSummary[] {
  const segments = bankSegments(material);
  const totalShare = segments.reduce((a, s) => a + s.share, 0);
  const names = Object.keys(policies);
  const acc = new Map(
    names.map((n) => [
      n,
      {
        regretByUnit: options.unitSizes.map(() => 0),
        wrongStops: 0,
        missedStops: 0,
        conversions: 0,
        leadsWorked: 0,
      },
    ]),
  );
  for (let seed = 1; seed <= options.seeds; seed++) {
    const random = createSeededRandom(seed * 104_729);
    // True rates per unit and segment, and the learning window's outcomes.
    const truth = options.unitSizes.map(() =>
      segments.map((s) => expit(logit(s.rate) + options.logitSpread * normal(random))),
    );
    const cells: PooledCell[] = segments.map((s) => ({ key: s.key, units: [] }));
    options.unitSizes.forEach((size, u) => {
      const leads = Math.round(size * options.outcomesPerUnit);
      const counts = segments.map(() => ({ leads: 0, conversions: 0 }));
      for (let i = 0; i < leads; i++) {
        let pick = random() * totalShare;
        let k = 0;
        while (k < segments.length - 1 && pick >= (segments[k]?.share ?? 0)) {
          pick -= segments[k]?.share ?? 0;
          k += 1;
        }
        const c = counts[k] as { leads: number; conversions: number };
        c.leads += 1;
        if (random() < (truth[u]?.[k] ?? 0)) c.conversions += 1;
      }
      counts.forEach((c, k) => {
        cells[k]?.units.push(c);
      });
    });
    for (const name of names) {
      const a = acc.get(name) as NonNullable<ReturnType<typeof acc.get>>;
      options.unitSizes.forEach((size, u) => {
        const calls = (policies[name] as CellPolicy)(cells, u);
        segments.forEach((s, k) => {
          const p = truth[u]?.[k] ?? 0;
          const volume = (size * options.outcomesPerUnit * s.share) / totalShare;
          const stop = calls.get(s.key) === 'raise';
          const oracleStop = p < options.cost;
          const value = stop ? 0 : volume * (p - options.cost);
          const oracleValue = oracleStop ? 0 : volume * (p - options.cost);
          a.regretByUnit[u] = (a.regretByUnit[u] ?? 0) + (oracleValue - value);
          if (stop && !oracleStop) a.wrongStops += 1;
          if (!stop && oracleStop) a.missedStops += 1;
          if (!stop) {
            a.conversions += volume * p;
            a.leadsWorked += volume;
          }
        });
      });
    }
  }
  const r = (v: number) => Math.round((v / options.seeds) * 10) / 10;
  return names.map((name) => {
    const a = acc.get(name) as NonNullable<ReturnType<typeof acc.get>>;
    return {
      policy: name,
      regretByUnit: a.regretByUnit.map(r),
      regret: r(a.regretByUnit.reduce((x, y) => x + y, 0)),
      wrongStops: r(a.wrongStops),
      missedStops: r(a.missedStops),
      conversions: r(a.conversions),
      leadsWorked: r(a.leadsWorked),
    };
  });
}
