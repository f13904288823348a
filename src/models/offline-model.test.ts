import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { generateText, Output, streamText, tool } from 'ai';
import { z } from 'zod';
import { createManualClock } from '../core/index.ts';
import { createOfflineModel } from './offline/offline-model.ts';
import { classifyReplyIntent } from './offline/replies.ts';
import { createSkillRegistry, type SkillInput } from './offline/skills.ts';
import { estimateTokens, pickVariant } from './offline/text-utils.ts';

const contactSchema = z.object({ email: z.string().nullable(), company: z.string().nullable() });

/** A small rule-based extractor of the kind the chat module will register. */
function extractContact(input: SkillInput) {
  const email = input.lastUserText.match(/[\w.+-]+@[\w-]+\.[\w.]+/)?.[0] ?? null;
  const company = input.lastUserText.match(/\bat ([A-Z][\w&]*(?: [A-Z][\w&]*)*)/)?.[1] ?? null;
  return { type: 'object' as const, object: { email, company } };
}

async function reply(model: ReturnType<typeof createOfflineModel>, text: string): Promise<string> {
  const result = await generateText({ model, prompt: text });
  return result.text;
}

describe('offline model', () => {
  test('implements the v3 language-model specification the AI SDK expects', () => {
    const model = createOfflineModel();
    assert.equal(model.specificationVersion, 'v3');
    assert.equal(model.provider, 'leadloop.offline');
    assert.equal(model.modelId, 'leadloop-offline-1');
  });

  test('runs the skill named in provider options and returns its object validated by the schema', async () => {
    const model = createOfflineModel({ skills: { 'chat.contact': extractContact } });
    const { output, usage } = await generateText({
      model,
      prompt: 'I am Dana at Northwind Traders, reach me at dana@northwind.example',
      output: Output.object({ schema: contactSchema }),
      providerOptions: { leadloop: { skill: 'chat.contact' } },
    });
    assert.deepEqual(output, { email: 'dana@northwind.example', company: 'Northwind Traders' });
    assert.ok((usage.inputTokens ?? 0) > 10, 'the prompt and schema count as input');
    assert.equal(usage.outputTokens, estimateTokens(JSON.stringify(output)));
  });

  test('selects a skill by the structured-output name when one of that name is registered', async () => {
    const model = createOfflineModel({ skills: { contact: extractContact } });
    const { output } = await generateText({
      model,
      prompt: 'mail me: a@b.io',
      output: Output.object({ schema: contactSchema, name: 'contact' }),
    });
    assert.equal(output.email, 'a@b.io');
  });

  test('hands structured input from provider options to the skill as data', async () => {
    let seen: unknown;
    const model = createOfflineModel({
      skills: {
        'council.researcher': (input) => {
          seen = input.data;
          return {
            type: 'object',
            object: { summary: `Account ${String(input.data?.company)} in ${String(input.data?.industry)}` },
          };
        },
      },
    });
    const { output } = await generateText({
      model,
      prompt: 'Write the account brief.',
      output: Output.object({ schema: z.object({ summary: z.string() }) }),
      providerOptions: {
        leadloop: { skill: 'council.researcher', input: { company: 'Northwind', industry: 'saas' } },
      },
    });
    assert.deepEqual(seen, { company: 'Northwind', industry: 'saas' });
    assert.equal(output.summary, 'Account Northwind in saas');
  });

  test('refuses a structured request that selects no skill, naming the registered ones', async () => {
    const model = createOfflineModel({ skills: { 'chat.contact': extractContact } });
    await assert.rejects(
      generateText({ model, prompt: 'x', output: Output.object({ schema: contactSchema }) }),
      /no skill was selected.*chat\.contact/,
    );
    await assert.rejects(
      generateText({ model, prompt: 'x', providerOptions: { leadloop: { skill: 'chat.missing' } } }),
      /no skill "chat\.missing"; registered skills: chat\.contact/,
    );
  });

  test('sees skills registered after the model was created', async () => {
    const skills = createSkillRegistry();
    const model = createOfflineModel({ skills });
    skills.register('late.skill', () => ({ type: 'text', text: 'registered later' }));
    const { text } = await generateText({
      model,
      prompt: 'hi',
      providerOptions: { leadloop: { skill: 'late.skill' } },
    });
    assert.equal(text, 'registered later');
  });

  test('a skill can call the tools it was offered, and only those', async () => {
    const model = createOfflineModel({
      skills: {
        'council.optimizer': (input) =>
          input.toolResults.length === 0
            ? {
                type: 'tool-calls',
                toolCalls: [{ toolName: 'segment_stats', input: { segment: 'saas-emea' } }],
              }
            : { type: 'text', text: `conversion ${JSON.stringify(input.toolResults[0]?.output)}` },
        'rogue.skill': () => ({
          type: 'tool-calls',
          toolCalls: [{ toolName: 'delete_everything', input: {} }],
        }),
      },
    });
    const tools = { segment_stats: tool({ inputSchema: z.object({ segment: z.string() }) }) };
    const first = await generateText({
      model,
      prompt: 'review',
      tools,
      providerOptions: { leadloop: { skill: 'council.optimizer' } },
    });
    assert.equal(first.finishReason, 'tool-calls');
    assert.deepEqual(
      first.toolCalls.map((c) => [c.toolName, c.input]),
      [['segment_stats', { segment: 'saas-emea' }]],
    );
    const call = first.toolCalls[0];
    assert.ok(call);
    const second = await generateText({
      model,
      tools,
      providerOptions: { leadloop: { skill: 'council.optimizer' } },
      messages: [
        { role: 'user', content: 'review' },
        {
          role: 'assistant',
          content: [
            { type: 'tool-call', toolCallId: call.toolCallId, toolName: call.toolName, input: call.input },
          ],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: call.toolCallId,
              toolName: call.toolName,
              output: { type: 'json', value: 0.12 },
            },
          ],
        },
      ],
    });
    assert.equal(second.text, 'conversion 0.12');
    await assert.rejects(
      generateText({ model, prompt: 'x', tools, providerOptions: { leadloop: { skill: 'rogue.skill' } } }),
      /called tool "delete_everything" that the caller did not offer/,
    );
  });

  test('replies to the same conversation with the same words and to different ones with varied phrasing', async () => {
    const model = createOfflineModel();
    const statements = Array.from(
      { length: 24 },
      (_, i) => `We are a team of ${i + 3} looking to clean up our pipeline.`,
    );
    const replies = await Promise.all(statements.map((s) => reply(model, s)));
    assert.ok(
      new Set(replies).size >= 3,
      `expected varied phrasing, got ${new Set(replies).size} distinct replies`,
    );
    assert.equal(await reply(model, statements[0] ?? ''), replies[0]);
    const reseeded = createOfflineModel({ seed: 7 });
    const reseededReplies = await Promise.all(statements.map((s) => reply(reseeded, s)));
    assert.notDeepEqual(reseededReplies, replies, 'another seed gives another choice of phrasings');
  });

  test('answers by intent: speaks first, hands over to a human, talks pricing and meetings', async () => {
    const model = createOfflineModel();
    assert.match(await reply(model, ''), /help|brings you|looking for|get done/i);
    assert.match(await reply(model, 'Can I talk to a real person please'), /team|colleague|person/i);
    assert.match(await reply(model, 'How much does it cost?'), /budget|team|plan|pricing/i);
    assert.match(await reply(model, 'Could we schedule a demo'), /time|days|availability|when/i);
    assert.equal(classifyReplyIntent('hi, can I talk to a human?'), 'human');
    assert.equal(classifyReplyIntent('Thanks a lot'), 'thanks');
    assert.equal(classifyReplyIntent('Does it integrate with HubSpot?'), 'question');
    assert.equal(classifyReplyIntent('We have 40 sales reps'), 'statement');
  });

  test('streams the same reply in several deltas and ends with usage', async () => {
    const model = createOfflineModel();
    const generated = await reply(model, 'We need better lead routing.');
    const result = streamText({ model, prompt: 'We need better lead routing.' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    assert.ok(deltas.length > 3);
    assert.equal(deltas.join(''), generated);
    const usage = await result.usage;
    assert.equal(usage.outputTokens, estimateTokens(generated));
  });

  test('emits the stream parts of the specification in order', async () => {
    const model = createOfflineModel({ clock: createManualClock(Date.UTC(2026, 10, 28)) });
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    });
    const parts: LanguageModelV3StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    const types = parts.map((p) => p.type);
    assert.equal(types[0], 'stream-start');
    assert.equal(types[1], 'response-metadata');
    assert.equal(types[2], 'text-start');
    assert.equal(types.at(-2), 'text-end');
    assert.equal(types.at(-1), 'finish');
    const metadata = parts[1];
    assert.ok(metadata?.type === 'response-metadata');
    assert.equal(metadata.timestamp?.toISOString(), '2026-11-28T00:00:00.000Z');
  });

  test('cuts a free-text reply at maxOutputTokens and says so', async () => {
    const model = createOfflineModel({
      skills: { long: () => ({ type: 'text', text: 'word '.repeat(100).trim() }) },
    });
    const result = await generateText({
      model,
      prompt: 'x',
      maxOutputTokens: 10,
      providerOptions: { leadloop: { skill: 'long' } },
    });
    assert.equal(result.finishReason, 'length');
    assert.ok((result.usage.outputTokens ?? 0) <= 10);
    assert.ok(result.text.startsWith('word word'));
  });

  test('honours an aborted signal', async () => {
    const model = createOfflineModel();
    await assert.rejects(
      generateText({ model, prompt: 'hi', abortSignal: AbortSignal.abort(new Error('stop')), maxRetries: 0 }),
      /stop/,
    );
  });
});

describe('skills and text helpers', () => {
  test('rejects a duplicate or malformed skill name unless replacing on purpose', () => {
    const skills = createSkillRegistry({ 'chat.extract': extractContact });
    assert.throws(() => skills.register('chat.extract', extractContact), /already registered/);
    skills.register('chat.extract', extractContact, { replace: true });
    assert.throws(() => skills.register('Chat Extract', extractContact), /not valid/);
    assert.deepEqual(skills.names(), ['chat.extract']);
  });

  test('estimates about four characters per token and at least one per word', () => {
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('a'.repeat(400)), 100);
    assert.equal(estimateTokens('a b c d e f'), 6);
  });

  test('picks variants deterministically and spreads keys across them', () => {
    const choices = ['a', 'b', 'c'] as const;
    assert.equal(pickVariant(choices, 'same key'), pickVariant(choices, 'same key'));
    const picked = new Set(Array.from({ length: 30 }, (_, i) => pickVariant(choices, `key ${i}`)));
    assert.equal(picked.size, 3);
  });
});
