import { wilsonInterval } from '../detectors/rate-tests.ts';

/** One period × segment of the guarantee report. */
export interface GuaranteeRow {
  period: { from: number; to: number };
  segment: string;
  qualified: number;
  expected: number;
  /** The forecast's interval at the report's level; the guarantee is its lower end. */
  lower: number;
  upper: number;
  guaranteed: number;
  labelled: number;
  conversions: number;
  /** null while outcomes are still missing for some of the period's leads. */
  held: boolean | null;
}

export interface GuaranteeReport {
  periodDays: number;
  periods: number;
  /** The guarantee is the forecast's `quantile` quantile (a lower quantile: 0.1 by default). */
  quantile: number;
  rows: GuaranteeRow[];
  /** How often the guarantee held over complete periods (all segments' rows), with a 95% interval. */
  backtest: {
    periods: number;
    held: number;
    coverage: number | null;
    low: number | null;
    high: number | null;
    nominal: number;
  };
  reason: string;
}

/** The forecaster's answer for one period, per segment (scoring's period forecast, through a port). */
export interface PeriodFigures {
  segment: string;
  qualified: number;
  expected: number;
  lower: number;
  upper: number;
  labelled: number;
  conversions: number;
}

/**
 * Turns per-period forecasts into what a customer could be billed on: per period and segment, the
 * guaranteed conversions (the forecast's lower quantile), and against them what happened; then
 * how often the guarantee held where every outcome is known (coverage measured, not assumed).
 */
export function buildGuarantee(
  input: { periodDays: number; quantile: number; now: number },
  periods: { from: number; to: number; figures: PeriodFigures[] }[],
): GuaranteeReport {
  const rows: GuaranteeRow[] = [];
  for (const p of periods)
    for (const f of p.figures) {
      const guaranteed = Math.floor(f.lower);
      const complete = p.to <= input.now && f.labelled === f.qualified;
      rows.push({
        period: { from: p.from, to: p.to },
        segment: f.segment,
        qualified: f.qualified,
        expected: round(f.expected),
        lower: f.lower,
        upper: f.upper,
        guaranteed,
        labelled: f.labelled,
        conversions: f.conversions,
        held: complete ? f.conversions >= guaranteed : null,
      });
    }
  const judged = rows.filter((r) => r.held !== null && r.qualified > 0);
  const held = judged.filter((r) => r.held).length;
  const interval = judged.length > 0 ? wilsonInterval(held, judged.length) : null;
  return {
    periodDays: input.periodDays,
    periods: periods.length,
    quantile: input.quantile,
    rows,
    backtest: {
      periods: judged.length,
      held,
      coverage: judged.length > 0 ? held / judged.length : null,
      low: interval?.low ?? null,
      high: interval?.high ?? null,
      nominal: 1 - input.quantile,
    },
    reason: `guaranteed conversions are the ${Math.round(input.quantile * 100)}% quantile of the forecast for each period's qualified leads (probabilities given when they were scored; rate uncertainty from outcomes known before the period); a row is judged once every lead of it has an outcome`,
  };
}

const CSV_COLUMNS = [
  'period_from',
  'period_to',
  'segment',
  'qualified',
  'expected',
  'lower',
  'upper',
  'guaranteed',
  'labelled',
  'conversions',
  'held',
] as const;

/** The report's rows as CSV (RFC 4180; segment names are quoted when they need it). */
export function guaranteeCsv(report: GuaranteeReport): string {
  const cell = (value: string | number | boolean | null) => {
    const raw = value === null ? '' : String(value);
    // A segment comes from lead data: never let a spreadsheet read it as a formula.
    const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of report.rows)
    lines.push(
      [
        new Date(r.period.from).toISOString(),
        new Date(r.period.to).toISOString(),
        r.segment,
        r.qualified,
        r.expected,
        r.lower,
        r.upper,
        r.guaranteed,
        r.labelled,
        r.conversions,
        r.held,
      ]
        .map(cell)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
