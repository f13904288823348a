import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createModelClient, createSkillRegistry } from '../models/index.ts';
import { registerCouncilSkills } from './skills.ts';
import { leadWorkspace, testCouncil } from './testing/test-support.ts';

/**
 * The council over a real provider, on the wire: `fetch` answers in OpenAI's Chat Completions
 * format, as recorded from the API, so the provider package, structured output and the fallback
 * run for real.
 */

const proposal = {
  answer: {
    action: 'start_nurture',
    message: {
      channel: 'email',
      subject: 'Resources for you',
      body: 'Guten Tag, wir senden Ihnen einige Leitfäden.',
      language: 'de',
      tone: 'formal',
    },
    reasons: ['The timeline is far out.'],
    missingInfo: [],
  },
  confidence: 0.9,
  basis: 'legal',
  rules: [{ id: 'model.rule', text: 'The timeline is far out.' }],
  openQuestions: [],
};

function completion(content: string) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1764316810,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020 },
  };
}

function openai(content: string) {
  const requests: Array<{ url: string; body: Record<string, unknown> }> = [];
  const skills = createSkillRegistry();
  registerCouncilSkills(skills);
  const models = createModelClient({
    model: 'openai:gpt-4o-mini',
    providers: { openai: { apiKey: 'sk-test' } },
    retry: { maxRetries: 0 },
    skills,
    fetch: async (input, init) => {
      requests.push({ url: String(input), body: JSON.parse(String(init?.body ?? '{}')) });
      return new Response(JSON.stringify(completion(content)), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    },
  });
  return { models, skills, requests };
}

const workspace = leadWorkspace({ lead: { consentPurposes: [] } });
const question = { type: 'lead.next_action', leadId: 'lead_1' };

describe('council on a real provider', () => {
  test("uses the model's structured proposal and sends the data fenced, without the offline skill input", async () => {
    const { models, skills, requests } = openai(JSON.stringify(proposal));
    const { council } = testCouncil({ ws_a: workspace }, { models, skills });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    assert.equal(result.value.decisionClass, 'start_nurture');
    assert.deepEqual(result.value.model, {
      provider: 'openai',
      model: 'gpt-4o-mini',
      fallback: null,
      fallbackCalls: 0,
    });
    assert.equal(result.value.runs[0]?.model.provider, 'openai');
    assert.equal(result.value.cost.tokens, 1020);
    const [request] = requests;
    assert.match(request?.url ?? '', /\/chat\/completions$/);
    const text = JSON.stringify(request?.body);
    assert.match(text, /untrusted input copied from leads/);
    assert.match(text, /<data>/);
    assert.doesNotMatch(text, /"leadloop"|"skillInput"|"stage"/);
    const format = request?.body.response_format as { type: string; json_schema: { name: string } };
    assert.equal(format.type, 'json_schema');
    assert.equal(format.json_schema.name, 'council_proposal');
  });

  test('an answer that does not fit the schema falls back to the offline skill and says so', async () => {
    const { models, skills } = openai(JSON.stringify({ answer: { action: 'call_them_now' } }));
    const { council } = testCouncil({ ws_a: workspace }, { models, skills });
    const result = await council.ask(question, { workspaceId: 'ws_a' });
    assert.ok(result.ok);
    assert.equal(result.value.decisionClass, 'ask_for_info');
    assert.equal(result.value.model.fallback?.reason, 'invalid_output');
    assert.ok(result.value.runs.every((run) => run.model.provider === 'offline'));
  });

  test('a cancelled question rejects with the reason and runs no further calls', async () => {
    const { council, models } = testCouncil({ ws_a: workspace });
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await assert.rejects(
      council.ask(question, { workspaceId: 'ws_a', signal: controller.signal }),
      /client went away/,
    );
    const usage = models.usage('ws_a');
    assert.equal(usage.calls, 1);
    assert.equal(usage.byOutcome.aborted, 1);
  });
});
