import { assertNever, createSeededRandom } from '../../core/index.ts';
import { bernoulliLlr, createCusum } from '../detectors/cusum.ts';
import { quantileEdges } from '../detectors/psi.ts';
import type { BankMaterial } from './bank-stream.ts';
import { measureBaseline } from './baseline.ts';
import { createBatchPolicy } from './batch-policy.ts';
import { generateMinute } from './lead-stream.ts';
import type { LoopParams, Policy } from './loop-policy.ts';
import { createLoopPolicy } from './loop-policy.ts';
import type { Scenario } from './scenarios.ts';
import {
  BATCH_PERIOD_MINUTES,
  HORIZON_MINUTES,
  NULL_WEEK_MINUTES,
  QUALIFIED_SHARE,
  WARM_UP_MINUTES,
} from './scenarios.ts';
import type { Alarm, AlarmFamily, Change, Observation, World } from './world.ts';
import { changeFixes, HARM_REJECTION, inStream, observe } from './world.ts';

export type PolicyName = 'loop' | 'batch' | 'none';

export interface RunResult {
  scenario: string;
  seed: number;
  policy: PolicyName;
  monitoredMinutes: number;
  /** Minutes from onset to the first alarm whose change repairs the fault. */
  detectionMinutes: number | null;
  /** Leads of the faulty scope that arrived (or should have) between onset and that alarm. */
  detectionEvents: number | null;
  alarms: number;
  /** Alarms whose change repairs nothing (every alarm in the no-change scenario). */
  falseAlarms: number;
  falseAlarmsByFamily: Partial<Record<AlarmFamily, number>>;
  /** False alarms per family and stream (`conversion/conversion:industry:x`, `silence/source:y`, …). */
  falseAlarmsByStream: Record<string, number>;
  /** Minutes from onset to the first conversion alarm on the pooled stream or the faulty segment's. */
  conversionDetection: { minutes: number; stream: string } | null;
  changes: number;
  rolledBack: number;
  /** Conversions lost against the counterfactual with no fault and no change (the oracle loses none). */
  lostConversions: number;
  /** Conversions realised by leads that arrived while monitored, and during the warm-up day. */
  conversions: number;
  warmUpConversions: number;
}

/** A change on a qualification stream is watched this long by a one-sided sequential test. */
const WATCH_MINUTES = 1440;
const WATCH_THRESHOLD = 4;

export function simulateRun(
  material: BankMaterial,
  scenario: Scenario,
  seed: number,
  policyName: PolicyName,
  params: LoopParams,
  /** Alarms change nothing: measures detectors on a fault left in place (the outcome streams' delay). */
  options: { observeOnly?: boolean } = {},
): RunResult {
  const random = createSeededRandom(seed);
  const plan = createSeededRandom(seed * 7919 + 13);
  const sorted = [...material.trainingScores].sort((a, b) => a - b);
  const world: World = {
    fault: scenario.fault,
    onset: scenario.fault ? WARM_UP_MINUTES + Math.floor(plan() * 1440) : Number.POSITIVE_INFINITY,
    mitigatedAt: Number.POSITIVE_INFINITY,
    changes: [],
    threshold: sorted[Math.floor(sorted.length * (1 - QUALIFIED_SHARE))] ?? 0.5,
  };
  const phase = Math.floor(plan() * BATCH_PERIOD_MINUTES);
  const end = scenario.fault ? world.onset + HORIZON_MINUTES : WARM_UP_MINUTES + NULL_WEEK_MINUTES;
  const warmUp: Observation[] = [];
  for (let minute = 0; minute < WARM_UP_MINUTES; minute++) {
    for (const lead of generateMinute(material, random, minute)) warmUp.push(observe(world, lead));
  }
  const baseline = measureBaseline(warmUp, WARM_UP_MINUTES, quantileEdges(material.trainingScores));
  const policy: Policy | null =
    policyName === 'loop'
      ? createLoopPolicy(params, baseline, material.trainingScores)
      : policyName === 'batch'
        ? createBatchPolicy(baseline, phase)
        : null;
  const pending = new Map<number, Observation[]>();
  let watches: {
    change: Change;
    until: number;
    test: ReturnType<typeof createCusum>;
    p0: number;
    p1: number;
  }[] = [];
  const result: RunResult = {
    scenario: scenario.name,
    seed,
    policy: policyName,
    monitoredMinutes: end - WARM_UP_MINUTES,
    detectionMinutes: null,
    detectionEvents: null,
    alarms: 0,
    falseAlarms: 0,
    falseAlarmsByFamily: {},
    falseAlarmsByStream: {},
    conversionDetection: null,
    changes: 0,
    rolledBack: 0,
    lostConversions: 0,
    conversions: 0,
    warmUpConversions: warmUp.filter((o) => o.converted).length,
  };
  let scopeEvents = 0;
  for (let minute = WARM_UP_MINUTES; minute < end; minute++) {
    const observations = generateMinute(material, random, minute).map((lead) => observe(world, lead));
    for (const o of observations) {
      if (o.wouldConvert && !o.converted) result.lostConversions += 1;
      if (o.converted) result.conversions += 1;
      if (minute >= world.onset && minute < world.mitigatedAt && inFaultScope(world, o)) scopeEvents += 1;
      if (o.qualified) {
        const list = pending.get(o.lead.revealMinute) ?? [];
        list.push(o);
        pending.set(o.lead.revealMinute, list);
      }
      for (const w of watches) {
        if (
          w.change.rolledBackAt !== undefined ||
          minute > w.until ||
          !o.completed ||
          !inStream(o.lead, w.change.stream)
        )
          continue;
        if (w.test.update(bernoulliLlr(!o.qualified, w.p0, w.p1))) {
          w.change.rolledBackAt = minute;
          result.rolledBack += 1;
          // Rolling back the repair brings the fault back until another alarm repairs it.
          if (w.change.fixes) world.mitigatedAt = Number.POSITIVE_INFINITY;
        }
      }
    }
    if (minute % 60 === 0)
      watches = watches.filter((w) => w.until >= minute && w.change.rolledBackAt === undefined);
    const revealed = pending.get(minute) ?? [];
    pending.delete(minute);
    const live = world.changes.filter((c) => c.family === 'qualification' && c.rolledBackAt === undefined);
    const ownChange = (o: Observation) => live.some((c) => c.minute < minute && inStream(o.lead, c.stream));
    for (const alarm of policy?.observeMinute(minute, observations, revealed, ownChange) ?? []) {
      result.alarms += 1;
      if (
        alarm.family === 'conversion' &&
        result.conversionDetection === null &&
        minute >= world.onset &&
        covers(world, alarm.stream)
      )
        result.conversionDetection = { minutes: minute - world.onset, stream: alarm.stream };
      const fixes = minute < world.mitigatedAt && changeFixes(world, alarm);
      if (!fixes) {
        result.falseAlarms += 1;
        result.falseAlarmsByFamily[alarm.family] = (result.falseAlarmsByFamily[alarm.family] ?? 0) + 1;
        const key = `${alarm.family}/${alarm.stream}`;
        result.falseAlarmsByStream[key] = (result.falseAlarmsByStream[key] ?? 0) + 1;
      }
      if (options.observeOnly) continue;
      if (fixes) {
        world.mitigatedAt = minute + 1;
        if (result.detectionMinutes === null) {
          result.detectionMinutes = minute - world.onset;
          result.detectionEvents = scopeEvents;
        }
      }
      const change = applyChange(world, alarm, fixes);
      if (change) {
        result.changes += 1;
        if (change.family === 'qualification') {
          const q0 = baseline.qualification.get(change.stream) ?? 0;
          watches.push({
            change,
            until: minute + WATCH_MINUTES,
            test: createCusum({ slack: 0, threshold: WATCH_THRESHOLD, mode: 'up' }),
            p0: 1 - q0,
            p1: 1 - q0 * (1 - HARM_REJECTION),
          });
        }
      }
    }
  }
  return result;
}

/**
 * Whether a conversion alarm's stream holds leads the fault touches: the pooled stream does; a
 * segment does when the fault is in it (one industry), or is everywhere (a broken workflow
 * variant takes conversions from every segment).
 */
function covers(world: World, stream: string): boolean {
  const f = world.fault;
  const segment = stream.replace(/^conversion:/, '');
  if (segment === 'all' || segment === 'all:adwin')
    return f?.kind === 'qualification' || f?.kind === 'workflow';
  if (f?.kind === 'workflow') return true;
  return f?.kind === 'qualification' && (f.scope === '*' || segment === `industry:${f.scope}`);
}

/** At most one live change per stream: a second alarm on the same knob only alerts. */
function applyChange(world: World, alarm: Alarm, fixes: boolean): Change | null {
  if (alarm.family === 'conversion' || alarm.family === 'psi') return null;
  if (world.changes.some((c) => c.stream === alarm.stream && c.rolledBackAt === undefined)) return null;
  const change: Change = {
    minute: alarm.minute,
    family: alarm.family,
    stream: alarm.stream,
    fixes,
    harmful: alarm.family === 'qualification' && !fixes,
  };
  world.changes.push(change);
  return change;
}

function inFaultScope(world: World, o: Observation): boolean {
  const f = world.fault;
  if (!f) return false;
  switch (f.kind) {
    case 'qualification':
      return f.scope === '*' || o.lead.industry === f.scope;
    case 'silence':
      return o.lead.source === f.scope;
    case 'question':
      return o.droppedAt === 0 || o.droppedAt >= Number(f.scope);
    case 'workflow':
      return o.qualified && o.lead.variant === f.scope;
    default: {
      return assertNever(f.kind, 'kind');
    }
  }
}
