import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createManualClock } from '../core/index.ts';
import { createModelClient, createSkillRegistry } from '../models/index.ts';
import {
  anthropicTextStream,
  openAiTextStream,
  type ProtocolServer,
  startProtocolServer,
} from '../models/testing/protocol-server.ts';
import { BUILT_IN_PLAYBOOKS } from './builtin-playbooks.ts';
import { createDialogEngine } from './dialog-engine.ts';
import { createKnowledgeBase } from './knowledge.ts';
import {
  CHAT_ANSWER_TASK,
  CHAT_PHRASE_TASK,
  createModelReplyPhraser,
  draftEchoSkill,
} from './model-phraser.ts';
import { createGuardedPhraser } from './reply-phraser.ts';

// Written for this test: a workspace's pricing notes and FAQ.
const DOCUMENTS = [
  {
    file: 'pricing.md',
    markdown:
      '# Pricing\n\n## Per-seat billing\nAll plans are billed per seat. A seat is one user who logs in. Starter is 49 euros per seat per month.\n\n## Discounts\nAnnual billing saves 20%.\n',
  },
  {
    file: 'faq.md',
    markdown: '# FAQ\n\n## Integrations\nWe integrate with HubSpot and Salesforce.\n',
  },
];

const PROTOCOLS = [
  {
    name: 'OpenAI',
    model: 'openai:gpt-4o-mini',
    path: '/v1/chat/completions',
    providers: (url: string) => ({ openai: { apiKey: 'sk-test', baseURL: `${url}/v1` } }),
    stream: (chunks: string[]) => openAiTextStream(chunks),
  },
  {
    name: 'Anthropic',
    model: 'anthropic:claude-sonnet-4-5',
    path: '/v1/messages',
    providers: (url: string) => ({ anthropic: { apiKey: 'sk-ant-test', baseURL: `${url}/v1` } }),
    stream: (chunks: string[]) => anthropicTextStream(chunks),
  },
];

const bodyText = (body: Record<string, unknown>) => JSON.stringify(body);

for (const protocol of PROTOCOLS) {
  describe(`answers written by the model from retrieved passages (${protocol.name} protocol)`, () => {
    let server: ProtocolServer;
    let answer: string[];
    before(async () => {
      server = await startProtocolServer();
    });
    after(() => server.close());
    beforeEach(() => {
      answer = ['NO_ANSWER'];
    });

    const engine = () => {
      const skills = createSkillRegistry();
      skills.register(CHAT_PHRASE_TASK, draftEchoSkill);
      skills.register(CHAT_ANSWER_TASK, draftEchoSkill);
      const models = createModelClient({
        model: protocol.model,
        providers: protocol.providers(server.url),
        skills,
        retry: { maxRetries: 0 },
      });
      return createDialogEngine({
        clock: createManualClock(Date.parse('2026-12-06T10:00:00Z')),
        knowledge: createKnowledgeBase(DOCUMENTS),
        phraser: createGuardedPhraser({
          primary: createModelReplyPhraser({ models, workspaceId: 'ws_answers' }),
          timeoutMs: 2_000,
        }),
      });
    };

    const ask = async (question: string) => {
      const chat = engine();
      const started = await chat.start(BUILT_IN_PLAYBOOKS.bant, { sessionId: 'ses_answers' });
      server.reset();
      // Phrasing calls get their draft back; answer calls get the scripted answer.
      server.respond(protocol.path, (request) => {
        const text = bodyText(request.body);
        if (text.includes('numbered passages')) return { sse: protocol.stream(answer) };
        const draft = /Draft \([a-z]+\): \\"\\"\\"([\s\S]*?)\\"\\"\\"/.exec(text)?.[1] ?? '';
        return { sse: protocol.stream([draft]) };
      });
      return chat.handle(started.state, question);
    };

    it('sends the question and the retrieved passages, shows the answer without markers and keeps what it cited', async () => {
      answer = ['Yes: every plan is ', 'billed per seat, ', 'and a seat is one user [1].'];
      const turn = await ask('Does your pricing work per seat?');
      const answerCalls = server.requests.filter((r) => bodyText(r.body).includes('numbered passages'));
      assert.equal(answerCalls.length, 1, 'the model was asked once for the answer');
      const sent = bodyText(answerCalls[0]?.body ?? {});
      assert.ok(sent.includes('All plans are billed per seat.'), 'the passage travels with the question');
      assert.ok(sent.includes('Does your pricing work per seat?'));
      const entry = turn.state.transcript.find((e) => e.text.startsWith('Yes: every plan'));
      assert.equal(entry?.text, 'Yes: every plan is billed per seat, and a seat is one user.');
      assert.deepEqual(entry?.via, {
        path: 'model',
        model: protocol.model,
        cited: ['pricing.md#Per-seat billing'],
      });
      // Then the playbook goes on: its question follows the answer.
      assert.ok(turn.replies.length >= 2);
    });

    it('declines, offering a person, when the model says the passages do not answer', async () => {
      answer = ['NO_ANSWER'];
      const turn = await ask('Do you integrate with Pipedrive?');
      const entry = turn.state.transcript.find((e) => e.via?.path === 'model' && e.via.declined);
      assert.match(entry?.text ?? '', /type "human"/);
    });

    it('keeps the offline answer when the model invents a figure the passages do not state', async () => {
      answer = ['Yes, per seat: 39 euros a month [1].'];
      const turn = await ask('Does your pricing work per seat?');
      const entry = turn.state.transcript.find(
        (e) => e.via?.path === 'offline' && e.via.reason === 'adds figures',
      );
      assert.ok(entry, JSON.stringify(turn.state.transcript.slice(-3)));
      assert.ok(!entry.text.includes('39'));
      assert.match(entry.text, /billed per seat/);
    });
  });
}

describe('knowledge search', () => {
  it('returns the best-ranked sections with ids, for a model to answer from or decline', () => {
    const kb = createKnowledgeBase(DOCUMENTS);
    const passages = kb.search('Does your pricing work per seat?');
    assert.equal(passages[0]?.id, 'pricing.md#Per-seat billing');
    assert.match(passages[0]?.text ?? '', /billed per seat/);
    assert.deepEqual(kb.search('the and of'), []);
  });
});
