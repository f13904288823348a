import { createSeededRandom } from '../../core/index.ts';
import { poissonDraw } from '../detectors/poisson-draw.ts';
import type { WorkflowActivityRow } from '../live/ports.ts';
import { EMPTY_MONITOR_STATE, LIVE_DETECTOR_SETTINGS, type MonitorState } from '../live/streams.ts';
import { setWorkflowReferences, stepWorkflows } from '../live/workflow-streams.ts';
import { delaySummary, lognormal } from './model-health.ts';

/**
 * One workflow's e-mail sends and their replies, replayed through the live monitor's workflow
 * streams (the same reference day, hourly refresh and CUSUM steps as `monitor.ts`), to measure the
 * reply-collapse stream's false alarms and detection delay. Sends arrive as a Poisson stream; each
 * is answered with the reply rate in force when it was sent, after a lognormal delay, and the reply
 * counts in the minute it arrives (as the live activity read counts it).
 */
export interface ReplyScenario {
  name: string;
  sendsPerMinute: number;
  replyRate: number;
  /** Median reply delay in minutes and the lognormal's σ. */
  replyDelayMedian: number;
  replyDelaySigma: number;
  /** Sends from `collapseAfterMinutes` after the warm-up are answered with this rate. */
  collapseTo?: number;
  collapseAfterMinutes?: number;
  /** Minutes watched after the warm-up. */
  minutes: number;
}

interface RunOutcome {
  /** Minutes from the collapse to the first reply alarm (null: missed or no collapse). */
  delay: number | null;
  /** Reply alarms before the collapse (or in the whole run without one). */
  falseAlarms: number;
  /** Alarms of the workflow's other streams (bounce, unsubscribe): the scenario moves neither. */
  otherAlarms: number;
  watchedMinutes: number;
}

/** Half a day of sends before the reference day, so the replies it reads are in their steady state. */
const WARM_UP = 720 + 1440 + 60;
/** An open alert stays open at least this long (recovery reads the last hour): repeats inside it are one alarm. */
const ALERT_HOLD_MINUTES = 60;
const WORKFLOW = 'wf-sim';

function runOnce(scenario: ReplyScenario, seed: number): RunOutcome {
  const random = createSeededRandom(seed);
  const total = WARM_UP + scenario.minutes;
  const collapseAt =
    scenario.collapseTo === undefined
      ? Number.POSITIVE_INFINITY
      : WARM_UP + (scenario.collapseAfterMinutes ?? 0);
  const sent = new Array<number>(total).fill(0);
  const replied = new Array<number>(total).fill(0);
  for (let minute = 0; minute < total; minute++) {
    const rate = minute >= collapseAt ? (scenario.collapseTo ?? scenario.replyRate) : scenario.replyRate;
    const n = poissonDraw(random, scenario.sendsPerMinute);
    sent[minute] = n;
    for (let i = 0; i < n; i++) {
      if (random() >= rate) continue;
      const at = minute + Math.floor(lognormal(random, scenario.replyDelayMedian, scenario.replyDelaySigma));
      if (at < total) replied[at] = (replied[at] ?? 0) + 1;
    }
  }
  const rows = (from: number, to: number): WorkflowActivityRow[] => {
    const out: WorkflowActivityRow[] = [];
    for (let m = Math.max(0, from); m < Math.min(to, total); m++)
      out.push({
        minute: m,
        workflowId: WORKFLOW,
        sent: sent[m] ?? 0,
        failed: 0,
        unsubscribed: 0,
        replied: replied[m] ?? 0,
      });
    return out;
  };

  const s = LIVE_DETECTOR_SETTINGS;
  const state: MonitorState = { ...EMPTY_MONITOR_STATE, streams: {} };
  const outcome: RunOutcome = { delay: null, falseAlarms: 0, otherAlarms: 0, watchedMinutes: 0 };
  const lastAlarm: Record<string, number> = {};
  for (let minute = WARM_UP; minute < total; minute++) {
    // The monitor at `minute + 1` evaluates `minute`, refreshing its reference day every hour.
    const evalTo = minute + 1;
    if (state.referenceMinute === null || evalTo - state.referenceMinute >= s.referenceLagMinutes) {
      const to = evalTo - s.referenceLagMinutes;
      state.referenceMinute = evalTo;
      state.referenceFrom = to - s.referenceMinutes;
      setWorkflowReferences(state, rows(to - s.referenceMinutes, to));
    }
    for (const firing of stepWorkflows(state, minute, rows(minute, minute + 1))) {
      const held =
        lastAlarm[firing.kind] !== undefined && minute - (lastAlarm[firing.kind] ?? 0) < ALERT_HOLD_MINUTES;
      lastAlarm[firing.kind] = minute;
      if (held) continue;
      if (firing.kind !== 'workflow_reply_collapse') outcome.otherAlarms += 1;
      else if (minute >= collapseAt) outcome.delay ??= minute - collapseAt + 1;
      else outcome.falseAlarms += 1;
    }
    if (minute < collapseAt) outcome.watchedMinutes += 1;
    if (outcome.delay !== null) break;
  }
  return outcome;
}

/** Per scenario: detection delays (median, p90, misses) and false alarms per simulated week. */
export function simulateReplies(scenarios: readonly ReplyScenario[], runs: number) {
  return scenarios.map((scenario) => {
    const results: RunOutcome[] = [];
    for (let seed = 1; seed <= runs; seed++) results.push(runOnce(scenario, seed));
    const weeks = results.reduce((a, r) => a + r.watchedMinutes, 0) / (7 * 1440);
    const falseAlarms = results.reduce((a, r) => a + r.falseAlarms, 0);
    return {
      scenario: scenario.name,
      runs,
      ...(scenario.collapseTo === undefined ? {} : delaySummary(results.map((r) => r.delay))),
      watchedWeeks: Math.round(weeks * 100) / 100,
      falseAlarms,
      falseAlarmsPerWeek: weeks > 0 ? Math.round((falseAlarms / weeks) * 1000) / 1000 : null,
      otherStreamAlarms: results.reduce((a, r) => a + r.otherAlarms, 0),
    };
  });
}
