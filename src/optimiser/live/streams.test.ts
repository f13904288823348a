import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_MONITOR_STATE, type MonitorState, recovered, setReferences, stepMinute } from './streams.ts';

const QUESTION = 'question:pb/budget';
const START = 29_000_000;

/** A small seeded generator (Park–Miller), so a run repeats exactly. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 48_271) % 2_147_483_647;
    return x / 2_147_483_647;
  };
}

function watched(): MonitorState {
  return setReferences(EMPTY_MONITOR_STATE, {
    arrivals: new Map(),
    qualified: new Map(),
    chats: { reached: new Map([[QUESTION, 2880]]), dropped: new Map([[QUESTION, 144]]) },
    from: START - 1440,
    to: START,
  });
}

/** Feeds minutes of two chats reaching the question, each stopping there with `rate`; returns firings' minutes. */
function run(state: MonitorState, minutes: number, rate: (minute: number) => number, seed: number) {
  const random = seeded(seed);
  const fired: { minute: number; kind: string; observed: number | null }[] = [];
  for (let m = START; m < START + minutes; m++) {
    let dropped = 0;
    for (let i = 0; i < 2; i++) if (random() < rate(m - START)) dropped += 1;
    for (const f of stepMinute(state, m, {
      arrivals: new Map(),
      qualified: new Map(),
      reached: new Map([[QUESTION, 2]]),
      dropped: new Map([[QUESTION, dropped]]),
    }))
      fired.push({ minute: m - START, kind: f.kind, observed: f.evidence.observed.value });
  }
  return fired;
}

describe('live chat drop-off streams', () => {
  it('watches a question with enough reference chats, from its reference drop-off', () => {
    const state = watched();
    assert.equal(state.streams[`dropoff:${QUESTION}`]?.reference, 0.05);
    const thin = setReferences(EMPTY_MONITOR_STATE, {
      arrivals: new Map(),
      qualified: new Map(),
      chats: { reached: new Map([[QUESTION, 20]]), dropped: new Map([[QUESTION, 1]]) },
      from: 0,
      to: 1440,
    });
    assert.equal(thin.streams[`dropoff:${QUESTION}`], undefined, 'twenty chats are too few to judge');
  });

  it('fires within the hour when a question starts losing 30% instead of 5%, with the evidence', (t) => {
    const delays: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const fired = run(watched(), 24 * 60, (m) => (m >= 600 ? 0.3 : 0.05), seed);
      const first = fired.find((f) => f.minute >= 600);
      assert.ok(first, `seed ${seed}: the rise is found`);
      assert.equal(first.kind, 'chat_dropoff_rise');
      assert.ok((first.observed ?? 0) > 0.1, `observed drop-off ${first.observed}`);
      delays.push(first.minute - 600);
    }
    delays.sort((a, b) => a - b);
    assert.ok((delays[5] ?? Infinity) <= 60, `median delay ${delays[5]} min`);
    t.diagnostic(`delays over 10 runs (min): ${delays.join(', ')}`);
  });

  it('stays quiet on a week of unchanged drop-off (at most one alarm over ten seeded weeks)', (t) => {
    let alarms = 0;
    for (let seed = 101; seed <= 110; seed++) alarms += run(watched(), 7 * 1440, () => 0.05, seed).length;
    assert.ok(alarms <= 1, `${alarms} false alarms in ten weeks`);
    t.diagnostic(`${alarms} false alarms in ten simulated weeks`);
  });

  it('calls a drop-off alert recovered when the last hour is back near its reference', () => {
    assert.equal(recovered('chat_dropoff_rise', 0.05, { arrivals: 100, qualified: 94 }), true);
    assert.equal(recovered('chat_dropoff_rise', 0.05, { arrivals: 100, qualified: 80 }), false);
    assert.equal(recovered('chat_dropoff_rise', 0.05, { arrivals: 0, qualified: 0 }), false);
  });
});
