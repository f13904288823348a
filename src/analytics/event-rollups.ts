import type { DomainEvent } from '../core/index.ts';
import { binOf } from './histogram.ts';
import type { RollupIncrement } from './metric-rollups.ts';

/** Marks a histogram row: `speed_to_lead#12` counts the durations in bin 12. */
export const BIN_SEPARATOR = '#';

/** Rows `model_points#<0–100>` under `model:<version>`: a model's score points per lead. */
export const MODEL_POINTS = 'model_points';

/** Score bins: ten points wide, the last open-ended (scores are summed points, at least 0). */
export const SCORE_BINS = 11;
const scoreBin = (score: number): number => Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score / 10)));

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/**
 * Per-minute increments of the stored metrics, each under `all` and its segments. Every figure
 * comes from the event itself (the producers put them there), so rolling up needs no other read:
 *
 * - `lead.created` → arrivals (per source; per industry and region as `segment_arrivals`);
 *   `lead.scored` → scored (total: the score) and its score bin
 *   (`score#<bin>`, see `scoreBin`), and with a model's probability its points
 *   (`model_points#<points>` under `model:<version>`); `lead.qualified` →
 *   qualified (per industry and region also as `segment_qualified`) and, from `acceptedAt`, the
 *   speed-to-lead histogram (seconds), per source.
 * - `chat.taken_over` with `waitedMs` → the hand-off wait histogram, per playbook.
 * - `chat.started` → chat starts, per playbook.
 * - `chat.ended` → chats ended; each answered question is reached, the question pending when the
 *   visitor left is reached and dropped (per playbook question and overall).
 * - `outcome.recorded` (first recording only, so a corrected outcome is not counted twice) →
 *   outcomes, and conversions (total: their value), under `all` and each segment the event names
 *   (`source:`, `industry:`, `region:`, `playbook:`); per source also as `source_outcomes` and
 *   `source_conversions`; with the champion's `predicted` probability,
 *   `predicted` (total: the probabilities) and `predicted_converted`, for calibration.
 * - `email.replied` → replies, and `meeting.booked` → meetings, under `all` and `workflow:<id>`
 *   (a meeting without a workflow under `all` only); `meeting.canceled` takes its meeting back
 *   out (−1, in the minute of the cancellation), so meetings count the bookings that stand.
 * - `council.decided` and `model.used` (one call outside the council) → model decisions (total:
 *   tokens), model calls (total: calls) and model
 *   spend (total: its price in money, from the event's `spend`); per call `model_attempts` and
 *   `model_errors` (`failedCalls`), and the decision's (or call's) `latencyMs` as the `model_latency` histogram.
 */
export function rollupsOf(events: readonly DomainEvent[]): RollupIncrement[] {
  const sums = new Map<string, RollupIncrement>();
  const add = (
    metric: string,
    segments: readonly (string | null)[],
    minute: number,
    value = 1,
    count = 1,
  ) => {
    for (const segment of segments) {
      if (segment === null) continue;
      const key = `${metric}\u0000${segment}\u0000${minute}`;
      const inc = sums.get(key) ?? { metric, segment, minute, count: 0, total: 0 };
      inc.count += count;
      inc.total += value;
      sums.set(key, inc);
    }
  };
  const addDuration = (
    metric: string,
    segments: readonly (string | null)[],
    minute: number,
    seconds: number,
  ) => {
    add(metric, segments, minute, seconds);
    add(`${metric}${BIN_SEPARATOR}${binOf(seconds)}`, segments, minute);
  };
  for (const event of events) {
    const minute = Math.floor(event.at / 60_000);
    const data = event.data;
    const source = str(data.source);
    const bySource = ['all', source && `source:${source}`];
    const playbook = str(data.playbook);
    // Industry and region (closed vocabularies; the producer leaves out what it could not name).
    const industry = str(data.industry);
    const region = str(data.region);
    const byLeadSegment = [industry && `industry:${industry}`, region && `region:${region}`];
    const byPlaybook = ['all', playbook && `playbook:${playbook}`];
    switch (event.type) {
      case 'lead.created':
        add('arrivals', bySource, minute);
        // Under their own names: the detectors watch every segment of `arrivals`, and a stream per
        // industry and region would change their alarm policy; the organisation analytics read these.
        add('segment_arrivals', byLeadSegment, minute);
        break;
      case 'lead.scored': {
        const score = num(data.score);
        add('scored', bySource, minute, score ?? 1);
        // The score distribution, for its drift (PSI) against a reference day.
        if (score !== null) add(`score${BIN_SEPARATOR}${scoreBin(score)}`, bySource, minute);
        // The model's own score points, per model version: its drift from the version's training
        // scores (a version's points mean nothing on another version's scale).
        const version = num(data.modelVersion);
        const probability = num(data.probability);
        if (version !== null && probability !== null)
          add(
            `${MODEL_POINTS}${BIN_SEPARATOR}${Math.min(100, Math.max(0, Math.round(100 * probability)))}`,
            [`model:${version}`],
            minute,
          );
        break;
      }
      case 'lead.qualified': {
        add('qualified', bySource, minute);
        add('segment_qualified', byLeadSegment, minute);
        const accepted = num(data.acceptedAt);
        if (accepted !== null)
          addDuration('speed_to_lead', bySource, minute, Math.max(0, event.at - accepted) / 1000);
        break;
      }
      case 'chat.started':
        add('chat_starts', byPlaybook, minute);
        break;
      case 'chat.taken_over': {
        const waited = num(data.waitedMs);
        if (waited !== null) addDuration('handoff_wait', byPlaybook, minute, waited / 1000);
        break;
      }
      case 'chat.ended': {
        add('chats_ended', byPlaybook, minute);
        const answered = Array.isArray(data.answered)
          ? data.answered.filter((a) => typeof a === 'string')
          : [];
        const dropped = str(data.droppedAt);
        add('chat_reached', ['all'], minute);
        if (dropped !== null) add('chat_dropped', ['all'], minute);
        for (const question of answered)
          add('chat_reached', [`question:${playbook ?? '-'}/${question}`], minute);
        if (dropped !== null) {
          const segment = `question:${playbook ?? '-'}/${dropped}`;
          add('chat_reached', [segment], minute);
          add('chat_dropped', [segment], minute);
        }
        break;
      }
      case 'outcome.recorded': {
        if (data.change !== 'recorded') break;
        // Per segment, so the optimiser's conversion detectors watch each one (and the
        // `conversion_rate` series answers per segment).
        const byOutcomeSegment = [...bySource, ...byLeadSegment, playbook && `playbook:${playbook}`];
        add('outcomes', byOutcomeSegment, minute);
        if (data.converted === true) add('conversions', byOutcomeSegment, minute, num(data.value) ?? 0);
        // Calibration: the probability the champion gave before the outcome was known.
        if (num(data.predicted) !== null) {
          add('predicted', ['all'], minute, num(data.predicted) ?? 0);
          if (data.converted === true) add('predicted_converted', ['all'], minute);
        }
        // Also under their own names per source: the organisation analytics read these, and rows
        // rolled up before outcomes had segments exist only here.
        if (source !== null) {
          add('source_outcomes', [`source:${source}`], minute);
          if (data.converted === true)
            add('source_conversions', [`source:${source}`], minute, num(data.value) ?? 0);
        }
        break;
      }
      case 'email.replied':
      case 'meeting.booked':
      case 'meeting.canceled': {
        const workflow = str(data.workflowId);
        const canceled = event.type === 'meeting.canceled';
        add(
          event.type === 'email.replied' ? 'replies' : 'meetings',
          ['all', workflow && `workflow:${workflow}`],
          minute,
          canceled ? -1 : 1,
          canceled ? -1 : 1,
        );
        break;
      }
      // A council decision's calls, or one call outside the council (chat's extraction, phrasing and
      // answers): the same figures, counted the same way.
      case 'council.decided':
      case 'model.used':
        add('model_tokens', ['all'], minute, num(data.tokens) ?? 0);
        add('model_calls', ['all'], minute, num(data.calls) ?? 0);
        // In money (the producer priced each model's tokens); decisions recorded before prices had none.
        if (num(data.spend) !== null) add('model_spend', ['all'], minute, num(data.spend) ?? 0);
        // Counted per call (the detectors read counts): calls, and those that failed (a provider
        // error, or the offline model answering for it), for the error share.
        add('model_attempts', ['all'], minute, num(data.calls) ?? 0, num(data.calls) ?? 0);
        add('model_errors', ['all'], minute, num(data.failedCalls) ?? 0, num(data.failedCalls) ?? 0);
        // The decision's time waiting on models; absent in decisions recorded before it was measured.
        if (num(data.latencyMs) !== null)
          addDuration('model_latency', ['all'], minute, Math.max(0, num(data.latencyMs) ?? 0) / 1000);
        break;
      default:
        break;
    }
  }
  return [...sums.values()];
}
