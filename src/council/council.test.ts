import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createModelClient, createSkillRegistry } from '../models/index.ts';
import { createStaticAgentDirectory } from './agent-catalog.ts';
import { createInMemoryCouncilBudget } from './budget.ts';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';
import { createInMemoryDecisionCache } from './cache.ts';
import { councilDecisionSchema } from './decision-record.ts';
import type { NextActionAnswer } from './question-schemas.ts';
import { decisionAuditRecord } from './review.ts';
import { comboKey } from './router-stats.ts';
import { registerCouncilSkills } from './skills.ts';
import { leadWorkspace, testCouncil } from './testing/test-support.ts';

/** A DACH SaaS lead with a small deal: consent only for sales contact (the trial nurture needs marketing consent). */
const dachSaas = leadWorkspace({
  lead: { consentPurposes: ['sales_contact'] },
  conversation: {
    slots: {
      need: 'Faster routing',
      authority: 'vp',
      timeline: { byDate: '2026-12-20' },
      budget: { min: 5000, max: 5000, currency: 'EUR' },
    },
  },
});
const question = { type: 'lead.next_action', leadId: 'lead_1' };

describe('council on the offline model', () => {
  test('cascades from the regional strategist to the industry researcher and critiques their disagreement', async () => {
    const { council, tools } = testCouncil({ ws_a: dachSaas });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    const decision = result.value;
    assert.equal(decision.decisionClass, 'ask_for_info');
    assert.deepEqual(
      decision.agents.map((a) => [a.id, a.stage]),
      [
        ['strategist-dach', 'initial'],
        ['researcher-saas', 'cascade'],
      ],
    );
    assert.match(decision.agents[1]?.why ?? '', /could not assess the industry/);
    assert.deepEqual(
      decision.votes.map((v) => [v.agentId, v.round, v.decisionClass]),
      [
        ['strategist-dach', 'proposal', 'route_to_rep'],
        ['researcher-saas', 'proposal', 'start_nurture'],
        ['strategist-dach', 'critique', 'ask_for_info'],
      ],
    );
    assert.equal(decision.routing.critique, true);
    assert.deepEqual(decision.cost.calls, 3);
    assert.ok(decision.cost.tokens > 0);
    assert.equal(decision.dissent[0]?.agentId, 'researcher-saas');
    const output = decision.output as NextActionAnswer;
    assert.equal(output.message.tone, 'formal');
    assert.ok(output.missingInfo.includes('consent'));
    assert.match(decision.explanation, /ask the lead for missing information/);
    assert.match(decision.explanation, /after a critique round/);
    assert.equal(decision.createdAt, '2026-11-28T12:00:00.000Z');
    assert.deepEqual(decision.model, {
      provider: 'offline',
      model: 'leadloop-offline-1',
      fallback: null,
      fallbackCalls: 0,
    });
    assert.ok(councilDecisionSchema.safeParse(JSON.parse(JSON.stringify(decision))).success);
    // Prompt hashes: one sha256 per model call, and the same for an identical call.
    assert.equal(decision.promptHashes.length, 3);
    for (const hash of decision.promptHashes) assert.match(hash, /^[0-9a-f]{64}$/);
    const again = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(again.ok);
    assert.deepEqual(again.value.promptHashes, decision.promptHashes);
    // Tool calls: recorded per caller, only within the workspace.
    assert.deepEqual(
      [...new Set(decision.toolCalls.map((c) => c.caller))],
      ['router', 'strategist-dach', 'researcher-saas'],
    );
    assert.ok(tools.received().every((call) => call.workspaceId === 'ws_a'));
    assert.ok(decision.toolCalls.every((call) => call.status === 'ok'));
  });

  test('stops after one agent when its answer holds whatever the others would say', async () => {
    const { council } = testCouncil({
      ws_a: leadWorkspace({
        conversation: { slots: { need: 'x', budget: { min: 300, max: 300, currency: 'USD' } } },
      }),
    });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    assert.equal(result.value.decisionClass, 'disqualify');
    assert.equal(result.value.cost.calls, 1);
    assert.equal(result.value.routing.critique, false);
  });

  test('the full council consults every applicable agent, then critiques, and reaches the same class', async () => {
    const { council } = testCouncil({ ws_a: dachSaas });
    const result = await council.ask(question, { workspaceId: 'ws_a', strategy: { kind: 'full' } });
    assert.ok(result.ok);
    assert.deepEqual(result.value.agents.map((a) => a.id).sort(), [
      'researcher-general',
      'researcher-saas',
      'strategist-dach',
      'strategist-general',
    ]);
    assert.equal(result.value.cost.calls, 8);
    assert.equal(result.value.decisionClass, 'ask_for_info');
  });

  test('the generalist baseline misses the regional rule; self-consistency samples it k times', async () => {
    const { council } = testCouncil({ ws_a: dachSaas });
    const single = await council.ask(question, { workspaceId: 'ws_a', strategy: { kind: 'generalist' } });
    const voted = await council.ask(question, {
      workspaceId: 'ws_a',
      strategy: { kind: 'self_consistency', samples: 3 },
    });
    assert.ok(single.ok && voted.ok);
    assert.equal(single.value.agents[0]?.id, 'strategist-general');
    assert.equal(single.value.decisionClass, 'route_to_rep');
    assert.equal(voted.value.cost.calls, 3);
    assert.equal(new Set(voted.value.promptHashes).size, 3);
    assert.equal(voted.value.decisionClass, 'route_to_rep');
  });

  test('reuses a decision for an identical context in the same workspace only', async () => {
    const sameLeadInB = structuredClone(dachSaas);
    const copy = sameLeadInB.leads?.lead_1;
    if (copy) copy.lead.workspaceId = 'ws_b';
    const { clock } = testCouncil({});
    const cached = testCouncil(
      { ws_a: dachSaas, ws_b: sameLeadInB },
      { cache: createInMemoryDecisionCache({ clock }) },
    );
    const first = await cached.council.ask(question, { workspaceId: 'ws_a' });
    const second = await cached.council.ask(question, { workspaceId: 'ws_a' });
    const other = await cached.council.ask(question, { workspaceId: 'ws_b' });
    assert.ok(first.ok && second.ok && other.ok);
    assert.equal(first.value.cache.hit, false);
    assert.equal(second.value.cache.hit, true);
    assert.equal(second.value.cache.sourceDecisionId, first.value.id);
    assert.notEqual(second.value.id, first.value.id);
    assert.equal(second.value.cost.calls, 0);
    assert.equal(second.value.decisionClass, first.value.decisionClass);
    assert.equal(other.value.cache.hit, false);
    assert.equal(other.value.workspaceId, 'ws_b');
  });

  test('a changed lead is a new context for the cache', async () => {
    const changed = leadWorkspace({ lead: { consentPurposes: ['sales_contact', 'marketing'] } });
    const data = { ws_a: structuredClone(dachSaas) };
    const { clock } = testCouncil({});
    const cachedCouncil = testCouncil(data, { cache: createInMemoryDecisionCache({ clock }) });
    await cachedCouncil.council.ask(question, { workspaceId: 'ws_a' });
    const lead = data.ws_a.leads?.lead_1;
    if (lead && changed.leads?.lead_1) lead.lead = changed.leads.lead_1.lead;
    const after = await cachedCouncil.council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(after.ok);
    assert.equal(after.value.cache.hit, false);
  });

  test('refuses when the workspace budget has no call left, and stops the cascade when it runs out', async () => {
    const { clock } = testCouncil({});
    const empty = testCouncil(
      { ws_a: dachSaas },
      { budget: createInMemoryCouncilBudget({ limits: { calls: 0, tokens: 0 }, clock }) },
    );
    const refused = await empty.council.ask(question, { workspaceId: 'ws_a' });
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.error.code, 'rate_limited');
    const none = await empty.council.canCallModels('ws_a');
    assert.equal(none.ok, false);
    assert.ok(!none.ok && none.retryAfterMs > 0 && none.retryAfterMs <= 86_400_000);

    // No reserved share here: this is about the cascade stopping, not about whose share it is.
    const budget = createInMemoryCouncilBudget({
      limits: { calls: 1, tokens: 100_000 },
      pipelineShare: 0,
      clock,
    });
    const tight = testCouncil({ ws_a: dachSaas }, { budget });
    const limited = await tight.council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(limited.ok);
    assert.equal(limited.value.cost.calls, 1);
    assert.equal(limited.value.routing.budgetLimited, true);
    assert.match(limited.value.explanation, /budget ran out/);
    assert.equal(budget.used('ws_a').calls, 1);
    assert.equal((await tight.council.canCallModels('ws_a')).ok, false, 'the one call is spent');
    assert.equal((await tight.council.canCallModels('ws_b')).ok, true, 'another workspace has its own');
    assert.ok(budget.used('ws_a').tokens > 0 && budget.used('ws_a').tokens < 100_000);
  });

  test('answers an unknown lead with not_found and a malformed question with validation_failed', async () => {
    const { council } = testCouncil({ ws_a: dachSaas });
    const missing = await council.ask(
      { type: 'lead.next_action', leadId: 'lead_nope' },
      { workspaceId: 'ws_a' },
    );
    const otherWorkspace = await council.ask(question, { workspaceId: 'ws_b' });
    const malformed = await council.ask({ type: 'lead.next_action' }, { workspaceId: 'ws_a' });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
    assert.equal(!otherWorkspace.ok && otherWorkspace.error.code, 'not_found');
    assert.equal(!malformed.ok && malformed.error.code, 'validation_failed');
    assert.ok(!malformed.ok && malformed.error.issues.some((issue) => issue.field === 'body.leadId'));
  });

  test('says when no agent applies', async () => {
    const directory = createStaticAgentDirectory({
      ws_a: BUILT_IN_AGENTS.filter((a) => a.role === 'optimizer').map((a) => ({ id: a.id, enabled: false })),
    });
    const { council } = testCouncil({ ws_a: dachSaas }, { agents: directory });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok, 'strategists and researchers still apply');
    const review = await council.ask({ type: 'performance.review' }, { workspaceId: 'ws_a' });
    assert.equal(!review.ok && review.error.code, 'unavailable');
    assert.match(!review.ok ? review.error.message : '', /no enabled agent applies to performance\.review/);
  });

  test('falls back to the offline model when the provider fails, and the decision says so', async () => {
    const skills = createSkillRegistry();
    registerCouncilSkills(skills);
    const models = createModelClient({
      model: 'openai:gpt-4o-mini',
      providers: { openai: { apiKey: 'sk-test' } },
      fetch: async () =>
        new Response(JSON.stringify({ error: { message: 'upstream down', type: 'server_error' } }), {
          status: 503,
          headers: { 'content-type': 'application/json' },
        }),
      retry: { maxRetries: 0 },
      skills,
    });
    const { council } = testCouncil({ ws_a: dachSaas }, { models, skills });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    assert.equal(result.value.decisionClass, 'ask_for_info');
    assert.equal(result.value.model.provider, 'openai');
    assert.equal(result.value.model.fallback?.reason, 'unavailable');
    assert.equal(result.value.model.fallbackCalls, result.value.cost.calls);
    assert.ok(result.value.runs.every((run) => run.model.provider === 'offline'));
    assert.match(result.value.explanation, /offline model answered instead/);
  });

  test('an agent that fails is recorded, and the council decides with the others', async () => {
    const skills = createSkillRegistry();
    registerCouncilSkills(skills, ['strategist', 'optimizer']);
    skills.register('council.researcher', () => {
      throw new Error('researcher skill crashed');
    });
    const models = createModelClient({ skills });
    const { council } = testCouncil({ ws_a: dachSaas }, { models, skills });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.routing.failures.map((f) => f.agentId),
      ['researcher-saas'],
    );
    assert.match(result.value.routing.failures[0]?.message ?? '', /researcher skill crashed/);
    assert.equal(result.value.decisionClass, 'route_to_rep');
    assert.equal(result.value.cost.calls, 2);
  });

  test('feedback teaches the router about the combination consulted', async () => {
    const { council } = testCouncil({ ws_a: dachSaas });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    const review = await council.recordFeedback(result.value, { verdict: 'reject', by: 'usr_1' });
    assert.ok(review.ok);
    const bad = await council.recordFeedback(result.value, {
      verdict: 'edit',
      by: 'usr_1',
      output: { action: 'x' },
    });
    assert.equal(bad.ok, false);
    await council.recordOutcome(result.value, { converted: true });
    const stats = await council.routerStats('ws_a');
    const key = comboKey('lead.next_action', ['strategist-dach', 'researcher-saas']);
    assert.deepEqual(stats.combos[key], { alpha: 1, beta: 1 });
    assert.deepEqual(await council.routerStats('ws_b'), { version: 1, combos: {}, agents: {} });
  });

  test('the audit record references inputs and prompts without personal data', async () => {
    const { council } = testCouncil({ ws_a: dachSaas });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    const audit = decisionAuditRecord(result.value);
    const text = JSON.stringify(audit);
    assert.equal(audit.action, 'council.decision');
    assert.equal(audit.subject, 'lead_1');
    assert.doesNotMatch(text, /Anna|Nordwind|routing/i);
    assert.equal((audit.data.promptHashes as string[]).length, 3);
    assert.ok((audit.data.inputs as unknown[]).length >= 4);
  });

  test('lists the workspace agents', async () => {
    const { council } = testCouncil({});
    assert.equal((await council.listAgents('ws_a')).length, BUILT_IN_AGENTS.length);
  });
});
