import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { evaluateCorpus, loadConversationFixtures } from './evaluation.ts';

const dir = join(import.meta.dirname, '../../test/fixtures/conversations');

describe('conversation corpus', () => {
  it('holds at least 60 valid scripted conversations with varied phrasing', async () => {
    const fixtures = await loadConversationFixtures(dir);
    assert.ok(fixtures.length >= 60, `${fixtures.length} conversations`);
    assert.equal(new Set(fixtures.map((f) => f.id)).size, fixtures.length, 'ids are unique');
    const tags = new Set(fixtures.flatMap((f) => f.tags));
    for (const tag of [
      'multi-slot',
      'correction',
      'invalid',
      'off-topic',
      'non-native',
      'german',
      'spanish',
      'french',
    ]) {
      assert.ok(tags.has(tag), `a conversation tagged ${tag}`);
    }
  });

  it('reaches slot F1 of at least 0.90 and outcome accuracy of at least 0.90 with the offline extractor', async () => {
    const report = await evaluateCorpus(await loadConversationFixtures(dir));
    const failures = report.results
      .filter((r) => r.errors.length > 0)
      .map((r) => `${r.id}: ${r.errors.join('; ')}`);
    assert.ok(report.overall.f1 >= 0.9, `F1 ${report.overall.f1.toFixed(3)}\n${failures.join('\n')}`);
    assert.ok(
      report.outcomeAccuracy >= 0.9,
      `outcome accuracy ${report.outcomeAccuracy.toFixed(3)}\n${failures.join('\n')}`,
    );
  });

  it('keeps dev set 5 (issue 18 phrasing: title-only roles, fuzzy times, budget periods) at slot F1 0.95 or more', async () => {
    const fixtures = await loadConversationFixtures(
      join(import.meta.dirname, '../../test/fixtures/conversations-dev5'),
    );
    assert.ok(fixtures.length >= 40, `${fixtures.length} conversations`);
    const report = await evaluateCorpus(fixtures);
    const failures = report.results
      .filter((r) => r.errors.length > 0)
      .map((r) => `${r.id}: ${r.errors.join('; ')}`);
    assert.ok(report.overall.f1 >= 0.95, `F1 ${report.overall.f1.toFixed(3)}\n${failures.join('\n')}`);
  });
});
