import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSeededRandom } from '../../core/index.ts';
import { generateMinute } from './lead-stream.ts';
import { type CellCall, type CellPolicy, simulatePooled } from './pooled-world.ts';
import { REGION_MIX } from './scenarios.ts';
import { simulateSplits } from './split-sim.ts';
import { simulateReplies } from './workflow-replies.ts';

test('the Thompson split loses less to the oracle than a fixed even split when one variant is better', () => {
  const [better, same] = simulateSplits(
    [
      { name: 'better', rates: [0.1, 0.2], leadsPerHour: 20, hours: 120, delayHours: 6 },
      { name: 'same', rates: [0.1, 0.1], leadsPerHour: 20, hours: 48, delayHours: 6 },
    ],
    4,
    { floor: 0.1, maxStep: 0.1 },
  );
  assert.ok(better && same);
  assert.ok(better.regretThompson < better.regretFixed / 2, JSON.stringify(better));
  assert.ok(better.finalBestShare >= 0.85, 'ends near 1 − floor on the better variant');
  assert.equal(same.regretFixed, 0);
});

test('the pooled-world simulator credits a policy that stops the segments below cost and charges one that stops all', () => {
  // Two segments: one converting at 2% (stop it), one at 40% (keep it).
  const material = {
    replay: Array.from({ length: 3000 }, (_, i) => ({
      industry: i % 2 === 0 ? 'low' : 'high',
      score: i % 2 === 0 ? 0.1 : 0.9,
      converts: i % 2 === 0 ? i % 100 === 0 : i % 5 < 2,
    })),
    trainingScores: [],
  };
  const byRate =
    (call: (rate: number) => CellCall): CellPolicy =>
    (cells, unit) =>
      new Map(
        cells.map((c) => {
          const u = c.units[unit] ?? { leads: 0, conversions: 0 };
          return [c.key, call(u.leads > 0 ? u.conversions / u.leads : 0)];
        }),
      );
  const [sensible, stopAll] = simulatePooled(
    material,
    { sensible: byRate((r) => (r < 0.1 ? 'raise' : 'keep')), stopAll: byRate(() => 'raise') },
    { unitSizes: [1], outcomesPerUnit: 2000, logitSpread: 0, cost: 0.1, seeds: 3 },
  );
  assert.equal(sensible?.regret, 0);
  assert.ok((stopAll?.regret ?? 0) > 100, JSON.stringify(stopAll));
  assert.equal(stopAll?.leadsWorked, 0);
});

test('the reply simulation runs the live reply stream: quiet without a change, alarmed by a collapse', () => {
  const base = { sendsPerMinute: 4, replyRate: 0.1, replyDelayMedian: 30, replyDelaySigma: 0.5 };
  const [still, collapse] = simulateReplies(
    [
      { name: 'still', ...base, minutes: 1440 },
      { name: 'collapse', ...base, collapseTo: 0.01, collapseAfterMinutes: 60, minutes: 60 + 1440 },
    ],
    3,
  );
  assert.ok(still && collapse);
  assert.equal(still.falseAlarms, 0, JSON.stringify(still));
  assert.equal(collapse.detected, 3, JSON.stringify(collapse));
  // Replies to sends before the collapse keep arriving for about an hour: not found at once.
  assert.ok((collapse.medianDetectionMinutes ?? 0) > 10, JSON.stringify(collapse));
  assert.equal(collapse.otherStreamAlarms, 0);
});

test('simulated leads carry a region in the configured mix and their bank row’s playbook; the region is not drawn from the lead stream’s randomness', () => {
  const material = {
    replay: [
      { industry: 'x', playbook: 'cellular', score: 0.5, converts: true },
      { industry: 'y', score: 0.2, converts: false },
    ],
    trainingScores: [],
  };
  const regions = new Map<string, number>();
  const random = createSeededRandom(7);
  let leads = 0;
  for (let minute = 0; minute < 2000; minute++)
    for (const lead of generateMinute(material, random, minute)) {
      leads += 1;
      regions.set(lead.region, (regions.get(lead.region) ?? 0) + 1);
      assert.equal(lead.playbook, lead.industry === 'x' ? 'cellular' : 'default');
    }
  for (const [name, share] of REGION_MIX) {
    const seen = (regions.get(name) ?? 0) / leads;
    assert.ok(Math.abs(seen - share) < 0.01, `${name}: ${seen} against ${share}`);
  }
  // The region is a hash of the lead's minute and place: another seed gives the same regions in order.
  const regionsAt = (seed: number) =>
    Array.from({ length: 50 }, (_, m) => generateMinute(material, createSeededRandom(seed), m)[0]?.region);
  assert.deepEqual(regionsAt(7), regionsAt(8));
  assert.ok(new Set(regionsAt(7)).size >= 4, 'minutes differ');
});
