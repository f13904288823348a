/**
 * The simulator's scenarios and seeds, FROZEN before any detector parameter was tuned
 * (commit history shows this file landing first). Tuning uses TUNING_SEEDS only; the report uses
 * REPORT_SEEDS, which tuning never sees.
 */
type FaultKind = 'qualification' | 'silence' | 'question' | 'workflow';

export interface Fault {
  kind: FaultKind;
  /** Industry, source, question number or workflow variant; `*` is every lead. */
  scope: string;
  /** Rejection probability (qualification), drop-off (question) or bounce rate (workflow) at full strength. */
  strength: number;
  /** Minutes from onset to full strength (0 = sudden). */
  rampMinutes: number;
}

export interface Scenario {
  name: string;
  description: string;
  fault?: Fault;
  runs: number;
}

/** The lead stream: 10 Poisson arrivals per simulated minute. */
export const LEADS_PER_MINUTE = 10;
/** Sources are not in the bank file: each lead draws one from this fixed mix. */
export const SOURCE_MIX: readonly (readonly [string, number])[] = [
  ['web', 0.4],
  ['ads', 0.25],
  ['partner', 0.2],
  ['referral', 0.1],
  ['events', 0.05],
];
/** Baseline drop-off at each of the playbook's four questions. */
export const QUESTION_DROPOFF: readonly number[] = [0.06, 0.04, 0.05, 0.03];
/** Workflow variants a qualified lead is split between, and their baseline bounce rate. */
/** Lead regions (the council's six) and their shares: only the per-segment conversion streams read them. */
export const REGION_MIX: readonly (readonly [string, number])[] = [
  ['north_america', 0.35],
  ['dach', 0.2],
  ['uk', 0.15],
  ['apac', 0.12],
  ['latam', 0.1],
  ['other', 0.08],
];
export const WORKFLOW_VARIANTS: readonly string[] = ['a', 'b'];
export const BASELINE_BOUNCE = 0.03;
/** Share of scores at or above the qualification threshold in the champion's training data. */
export const QUALIFIED_SHARE = 0.3;
/** A conversion (or its absence) is known between 1 and 12 hours after arrival. */
export const LABEL_LAG_MINUTES: readonly [number, number] = [60, 720];
/** Onset: uniform within the day after a day of warm-up; each run lasts until onset + horizon. */
export const WARM_UP_MINUTES = 1440;
export const HORIZON_MINUTES = 1440;
/** The batch comparator runs every six hours, at a phase drawn per run. */
export const BATCH_PERIOD_MINUTES = 360;
/** No-change runs last a simulated week each (after warm-up). */
export const NULL_WEEK_MINUTES = 10_080;

export const SCENARIOS: readonly Scenario[] = [
  { name: 'no-change', description: 'nothing changes; every alarm is false', runs: 30 },
  {
    name: 'sudden-drop',
    description:
      'industry admin. (25% of leads): half the leads that would qualify are rejected, so its conversions halve',
    fault: { kind: 'qualification', scope: 'admin.', strength: 0.5, rampMinutes: 0 },
    runs: 30,
  },
  {
    name: 'gradual-drift',
    description: 'every lead: the rejection of would-be qualified leads ramps from 0 to 50% over 24 hours',
    fault: { kind: 'qualification', scope: '*', strength: 0.5, rampMinutes: 1440 },
    runs: 30,
  },
  {
    name: 'silent-source',
    description: 'source partner (20% of arrivals, 2 leads/min) stops sending leads',
    fault: { kind: 'silence', scope: 'partner', strength: 1, rampMinutes: 0 },
    runs: 30,
  },
  {
    name: 'chat-question',
    description: 'question 3 of the playbook starts losing 30% of the people who reach it (baseline 5%)',
    fault: { kind: 'question', scope: '3', strength: 0.3, rampMinutes: 0 },
    runs: 30,
  },
  {
    name: 'broken-workflow',
    description:
      'workflow variant a (half of qualified leads) starts bouncing 90% of sends; a bounced lead never converts',
    fault: { kind: 'workflow', scope: 'a', strength: 0.9, rampMinutes: 0 },
    runs: 30,
  },
];

export const REPORT_SEEDS_FROM = 1;
export const TUNING_SEEDS_FROM = 100_001;
