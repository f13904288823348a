import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';
import { fixtureWorkspace, loadQuestionFixtures, routingScores } from './evaluation.ts';
import { ANSWER_SCHEMAS } from './question-schemas.ts';
import { testCouncil } from './testing/test-support.ts';
import { QUESTION_TYPES } from './vocabulary.ts';

const fixtures = await loadQuestionFixtures(
  join(import.meta.dirname, '../../test/fixtures/council/questions'),
);

describe('labelled question set', () => {
  test('has at least 200 questions of every type over varied industries, regions and deal sizes', () => {
    assert.ok(fixtures.length >= 200, `${fixtures.length} questions`);
    assert.equal(new Set(fixtures.map((f) => f.id)).size, fixtures.length);
    for (const type of QUESTION_TYPES) {
      assert.ok(fixtures.filter((f) => f.question.type === type).length >= 30, type);
    }
    const tags = (key: string) => new Set(fixtures.map((f) => f.tags[key]).filter((v) => v !== 'unknown'));
    assert.ok(tags('industry').size >= 6);
    assert.ok(tags('region').size >= 6);
    assert.ok(tags('dealBand').size >= 3);
  });

  test('names only agents that exist and classes the answer schemas allow', () => {
    const ids = new Set(BUILT_IN_AGENTS.map((a) => a.id));
    for (const fixture of fixtures) {
      for (const id of fixture.expected.relevantAgents) assert.ok(ids.has(id), `${fixture.id}: ${id}`);
      const type = fixture.question.type as (typeof QUESTION_TYPES)[number];
      const schema = ANSWER_SCHEMAS[type].shape;
      const field =
        'action' in schema
          ? schema.action
          : 'fit' in schema
            ? schema.fit
            : 'primaryChannel' in schema
              ? schema.primaryChannel
              : schema.primary;
      assert.ok(field.safeParse(fixture.expected.class).success, `${fixture.id}: ${fixture.expected.class}`);
    }
  });

  test('routing scores compare consulted agents with the relevant ones', () => {
    assert.deepEqual(routingScores(['a', 'b'], ['a', 'c']), { precision: 0.5, recall: 0.5 });
    assert.deepEqual(routingScores([], ['a']), { precision: 0, recall: 0 });
  });

  test('the router reaches the labelled class and consults mostly relevant agents', async () => {
    const { council } = testCouncil(
      Object.fromEntries(fixtures.map((f) => [f.workspaceId, fixtureWorkspace(f)])),
    );
    let correct = 0;
    let precision = 0;
    const wrong: string[] = [];
    for (const fixture of fixtures) {
      const result = await council.ask(fixture.question, { workspaceId: fixture.workspaceId });
      assert.ok(result.ok, fixture.id);
      if (result.value.decisionClass === fixture.expected.class) correct++;
      else wrong.push(`${fixture.id}: ${result.value.decisionClass} ≠ ${fixture.expected.class}`);
      precision += routingScores(
        result.value.agents.map((a) => a.id),
        fixture.expected.relevantAgents,
      ).precision;
    }
    assert.ok(correct / fixtures.length >= 0.95, wrong.join('; '));
    assert.ok(precision / fixtures.length >= 0.9);
  });
});
