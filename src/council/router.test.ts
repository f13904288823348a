import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeAgents } from './agent-catalog.ts';
import { applicability, type QuestionContext } from './applies-when.ts';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';
import { cascadeChoice, initialChoice, rankCandidates } from './router.ts';
import {
  comboKey,
  emptyRouterStats,
  parseRouterStats,
  posterior,
  type RouterStats,
  recordReward,
} from './router-stats.ts';

function context(overrides: Partial<QuestionContext> = {}): QuestionContext {
  return {
    workspaceId: 'ws_a',
    type: 'lead.next_action',
    industry: 'healthcare',
    region: 'dach',
    country: 'DE',
    dealSizeUsd: 40_000,
    source: 'chat',
    scoreUncertain: false,
    signals: {},
    ...overrides,
  };
}

const agent = (id: string) => {
  const found = BUILT_IN_AGENTS.find((a) => a.id === id);
  if (!found) throw new Error(id);
  return found;
};

describe('appliesWhen', () => {
  test('a specialist applies only when the context names its specialty', () => {
    assert.equal(applicability(agent('researcher-healthcare'), context()).applies, true);
    assert.equal(applicability(agent('researcher-healthcare'), context({ industry: null })).applies, false);
    assert.equal(applicability(agent('strategist-uk'), context()).applies, false);
    assert.equal(applicability(agent('strategist-general'), context({ region: null })).applies, true);
  });

  test('optimizers apply to a lead only when its score is uncertain', () => {
    assert.equal(applicability(agent('optimizer-chat-conversion'), context()).applies, false);
    const fit = applicability(agent('optimizer-chat-conversion'), context({ scoreUncertain: true }));
    assert.deepEqual(fit, {
      applies: true,
      specificity: 1,
      reasons: ['source chat', 'the score is uncertain'],
    });
  });

  test('signals and deal-size ranges are evaluated, and disabled agents never apply', () => {
    const merged = mergeAgents([
      {
        id: 'strategist-enterprise',
        name: 'Enterprise strategist',
        role: 'strategist',
        specialty: { kind: 'general', value: 'general' },
        description: 'Big deals.',
        instructions: 'Think in buying committees.',
        tools: ['getLead'],
        inputs: ['getLead'],
        appliesWhen: [{ questionTypes: ['lead.next_action'], dealSizeUsd: { min: 100_000 } }],
      },
      { id: 'strategist-dach', enabled: false },
    ]);
    assert.ok(merged.ok);
    const enterprise = merged.value.find((a) => a.id === 'strategist-enterprise');
    const dach = merged.value.find((a) => a.id === 'strategist-dach');
    assert.ok(enterprise && dach);
    assert.equal(applicability(enterprise, context()).applies, false);
    assert.equal(applicability(enterprise, context({ dealSizeUsd: 250_000 })).applies, true);
    assert.equal(applicability(dach, context()).applies, false);
    const review = context({ type: 'performance.review', signals: { 'chat.sessions': 0 } });
    assert.equal(applicability(agent('optimizer-chat-conversion'), review).applies, false);
    review.signals['chat.sessions'] = 12;
    assert.equal(applicability(agent('optimizer-chat-conversion'), review).applies, true);
  });
});

describe('router', () => {
  test('ranks specialists first and starts with the strategist of the lead region, saying why', () => {
    const stats = emptyRouterStats();
    const candidates = rankCandidates(BUILT_IN_AGENTS, context(), stats);
    assert.deepEqual(
      candidates.map((c) => c.agent.id),
      ['strategist-dach', 'researcher-healthcare', 'strategist-general', 'researcher-general'],
    );
    const [first, ...rest] = initialChoice(candidates, context(), stats);
    assert.equal(rest.length, 0);
    assert.equal(first?.agent.id, 'strategist-dach');
    assert.match(first?.why ?? '', /strategist leads lead\.next_action.*region dach/);
  });

  test('for research it starts with the industry researcher', () => {
    const ctx = context({ type: 'lead.research' });
    const [first] = initialChoice(
      rankCandidates(BUILT_IN_AGENTS, ctx, emptyRouterStats()),
      ctx,
      emptyRouterStats(),
    );
    assert.equal(first?.agent.id, 'researcher-healthcare');
  });

  test('the cascade adds the agent covering an open factor and reports factors nobody covers', () => {
    const candidates = rankCandidates(BUILT_IN_AGENTS, context({ scoreUncertain: true }), emptyRouterStats());
    const { choices, unanswered } = cascadeChoice(candidates, new Set(['strategist-dach']), [
      { factor: 'industry', askedBy: agent('strategist-dach') },
      { factor: 'metrics', askedBy: agent('strategist-dach') },
      { factor: 'paid', askedBy: agent('strategist-dach') },
    ]);
    assert.deepEqual(
      choices.map((c) => c.agent.id),
      ['researcher-healthcare', 'optimizer-chat-conversion'],
    );
    assert.match(choices[0]?.why ?? '', /could not assess the industry/);
    assert.deepEqual(unanswered, ['paid']);
  });

  test('learns to bring a second agent when the first alone is often rejected', () => {
    let stats: RouterStats = emptyRouterStats();
    for (let i = 0; i < 8; i++)
      stats = recordReward(stats, 'lead.next_action', ['strategist-dach'], i < 2 ? 1 : 0);
    for (let i = 0; i < 4; i++) {
      stats = recordReward(stats, 'lead.next_action', ['strategist-dach', 'researcher-healthcare'], 1);
    }
    const ctx = context();
    const choices = initialChoice(rankCandidates(BUILT_IN_AGENTS, ctx, stats), ctx, stats);
    assert.deepEqual(
      choices.map((c) => [c.agent.id, c.stage]),
      [
        ['strategist-dach', 'initial'],
        ['researcher-healthcare', 'learned'],
      ],
    );
    assert.match(choices[1]?.why ?? '', /accepted 30% of the time over 8 decisions/);
  });

  test('does not act on too little evidence', () => {
    let stats = emptyRouterStats();
    for (let i = 0; i < 3; i++) stats = recordReward(stats, 'lead.next_action', ['strategist-dach'], 0);
    const ctx = context();
    assert.equal(initialChoice(rankCandidates(BUILT_IN_AGENTS, ctx, stats), ctx, stats).length, 1);
  });
});

describe('router stats', () => {
  test('record rewards without changing the input, per combination and per agent', () => {
    const before = emptyRouterStats();
    const after = recordReward(before, 'lead.research', ['b', 'a', 'a'], 0.5);
    assert.deepEqual(before, emptyRouterStats());
    assert.deepEqual(after.combos[comboKey('lead.research', ['a', 'b'])], { alpha: 0.5, beta: 0.5 });
    assert.deepEqual(after.agents['lead.research|a'], { alpha: 0.5, beta: 0.5 });
    assert.deepEqual(posterior(after.agents['lead.research|a']), { mean: 0.5, n: 1 });
  });

  test('survive a JSON round trip; unreadable stored stats start over', () => {
    const stats = recordReward(emptyRouterStats(), 'lead.next_action', ['strategist-uk'], 1);
    assert.deepEqual(parseRouterStats(JSON.parse(JSON.stringify(stats))), stats);
    assert.deepEqual(parseRouterStats({ version: 2 }), emptyRouterStats());
  });
});
