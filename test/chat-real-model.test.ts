import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { HttpApp } from '../src/http/index.ts';
import {
  anthropicTextStream,
  loadFixture,
  openAiTextStream,
  type ProtocolServer,
  startProtocolServer,
} from '../src/models/testing/protocol-server.ts';
import { call } from './support/http.ts';
import { eventually, startTestApp, stopTestApp, type TestRuntime } from './support/runtime.ts';

type Recorded = ProtocolServer['requests'][number];
type Chunk = string | { until: Promise<unknown> };

/** One provider's wire protocol: where it is called, how a text stream and a JSON answer look. */
interface Provider {
  name: string;
  config: Record<string, string>;
  model: string;
  path: string;
  /** A text stream of `chunks` whose usage reports `tokens` output tokens. */
  stream: (chunks: Chunk[], tokens?: number) => ReturnType<typeof openAiTextStream>;
  object: (value: unknown) => unknown;
}

const PROVIDERS: Provider[] = [
  {
    name: 'OpenAI',
    config: { LEADLOOP_MODEL: 'openai:gpt-4o-mini', OPENAI_API_KEY: 'sk-test' },
    model: 'openai:gpt-4o-mini',
    path: '/v1/chat/completions',
    stream: (chunks, tokens = 12) =>
      openAiTextStream(chunks, { prompt_tokens: 40, completion_tokens: tokens }),
    object: (value) => {
      const recorded = loadFixture<{ choices: { message: { content: string } }[] }>('openai-chat-json.json');
      (recorded.choices[0] as { message: { content: string } }).message.content = JSON.stringify(value);
      return recorded;
    },
  },
  {
    name: 'Anthropic',
    config: { LEADLOOP_MODEL: 'anthropic:claude-sonnet-4-5', ANTHROPIC_API_KEY: 'sk-ant-test' },
    model: 'anthropic:claude-sonnet-4-5',
    path: '/v1/messages',
    stream: (chunks, tokens = 12) => anthropicTextStream(chunks, { input_tokens: 40, output_tokens: tokens }),
    object: (value) => {
      const recorded = loadFixture<{ content: { text: string }[] }>('anthropic-messages-json.json');
      (recorded.content[0] as { text: string }).text = JSON.stringify(value);
      return recorded;
    },
  },
];

const texts = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((part) => (part as { text?: string }).text ?? '').join('')
      : '';

/** The system prompt of a recorded request, in either protocol. */
function systemOf(request: Recorded): string {
  const messages = (request.body.messages ?? []) as { role: string; content: unknown }[];
  return (
    texts(request.body.system) +
    messages
      .filter((m) => m.role === 'system')
      .map((m) => texts(m.content))
      .join('')
  );
}

/** The last user message of a recorded request, in either protocol. */
function userOf(request: Recorded): string {
  const messages = (request.body.messages ?? []) as { role: string; content: unknown }[];
  return texts(messages.filter((m) => m.role === 'user').at(-1)?.content);
}

/** The draft a phrasing request carries (`Draft (kind): """…"""`). */
const draftOf = (request: Recorded) => /Draft \([a-z]+\): """([\s\S]*)"""/.exec(userOf(request))?.[1] ?? '';

const isPhrasing = (request: Recorded) => request.body.stream === true;

const MARK = 'Happily:';

/** Reads a server-sent event stream's body as text. */
const textReader = (response: Response) =>
  (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>)
    .getReader();

for (const provider of PROVIDERS) {
  describe(`chat replies through a real provider (${provider.name} protocol, local server)`, () => {
    let server: ProtocolServer;
    let runtime: TestRuntime;
    let http: HttpApp;
    let base: string;
    let widgetKey: string;
    let apiKey: string;
    let workspaceId: string;
    /** How the local provider answers phrasing calls in the current test. */
    let phrasing: (request: Recorded) => Parameters<ProtocolServer['reply']>[1];
    let slots: Record<string, unknown> = {};

    const reword = (request: Recorded) => ({ sse: provider.stream([`${MARK} `, draftOf(request)]) });
    /**
     * Holds the next worded reply after its first word until the returned function is called, so a
     * test can look at the stream mid-reply; the replies after it are reworded at once.
     */
    const holdFirstReply = () => {
      const { promise: gate, resolve: release } = Promise.withResolvers<void>();
      let held = false;
      phrasing = (request) => {
        if (held) return reword(request);
        held = true;
        const [first, ...rest] = draftOf(request).split(' ');
        return { sse: provider.stream([`${MARK} `, `${first} `, { until: gate }, rest.join(' ')]) };
      };
      return release;
    };

    before(async () => {
      server = await startProtocolServer();
      ({ runtime, http } = await startTestApp('sqlite', {
        config: {
          ...provider.config,
          LEADLOOP_MODEL_BASE_URL: `${server.url}/v1`,
          LEADLOOP_MODEL_TIMEOUT_MS: '3000',
          LEADLOOP_CHAT_MODEL_TIMEOUT_MS: '400',
          LEADLOOP_MODEL_TOKENS_PER_HOUR: '2000',
        },
      }));
      await http.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(http.app.server.address() as AddressInfo).port}`;
    });
    beforeEach(async () => {
      // A workspace per test: each starts with its whole token budget.
      const created = await runtime.tenants.createWorkspace({
        name: `Real model ${provider.name}`,
        actor: { type: 'system', id: 'test' },
      });
      widgetKey = created.widgetKey;
      apiKey = created.apiKey;
      workspaceId = created.workspace.id;
      server.reset();
      slots = {};
      phrasing = reword;
      server.respond(provider.path, (request) =>
        isPhrasing(request) ? phrasing(request) : { json: provider.object({ slots }) },
      );
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await server.close();
    });

    const start = async () => {
      const started = await call(http.app, 'POST', '/v1/chat/sessions', { body: { widgetKey } });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      return started;
    };
    const say = (sessionId: string, text: string) =>
      call(http.app, 'POST', `/v1/chat/sessions/${sessionId}/messages`, {
        body: { text },
        headers: { 'x-widget-key': widgetKey },
      });
    const transcript = async (sessionId: string) => {
      const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: apiKey });
      return session.body.messages as { role: string; text: string; via?: Record<string, unknown> }[];
    };

    it('words the bot’s replies through the model, keeps the disclosure fixed, and says so in the transcript', async () => {
      const started = await start();
      const [disclosure, question] = started.body.messages as { text: string }[];
      assert.ok(!disclosure?.text.startsWith(MARK), 'the disclosure is never reworded');
      assert.ok(
        question?.text.startsWith(`${MARK} `),
        `the question was worded by the model: ${question?.text}`,
      );

      const calls = server.requests.filter(isPhrasing);
      assert.equal(calls.length, 1, 'one model call for the one reply that may be reworded');
      const call0 = calls[0] as Recorded;
      assert.equal(call0.path, provider.path);
      assert.equal(call0.body.model, provider.model.split(':')[1]);
      assert.match(systemOf(call0), /Never add prices, discounts/);
      assert.equal(
        `${MARK} ${draftOf(call0)}`,
        question?.text,
        'the model was given the template as its draft',
      );

      const turn = await say(started.body.sessionId as string, 'We lose leads because nobody calls back');
      assert.equal(turn.status, 200, JSON.stringify(turn.body));
      const phrasedTurn = server.requests.filter(isPhrasing).slice(1);
      assert.ok(phrasedTurn.length >= 1);
      assert.ok(
        phrasedTurn.every((r) => userOf(r).includes('We lose leads because nobody calls back')),
        'the visitor’s message travels with each draft, as data',
      );
      const messages = await transcript(started.body.sessionId as string);
      assert.deepEqual(messages[0]?.via, { path: 'offline', reason: 'fixed wording' });
      assert.deepEqual(messages[1]?.via, { path: 'model', model: provider.model });
      const bot = messages.filter((m) => m.role === 'bot').slice(1);
      assert.ok(bot.every((m) => m.text.startsWith(MARK) && m.via?.path === 'model'));
      assert.ok(runtime.models.usage(workspaceId).calls >= 3);
    });

    it('falls back to the template without the visitor noticing when the model fails or is slow', async () => {
      phrasing = () => ({
        status: 400,
        json: { error: { message: 'bad request', type: 'invalid_request_error' } },
      });
      const failed = await start();
      assert.equal(failed.status, 201);
      const [, question] = failed.body.messages as { text: string }[];
      assert.ok(question && !question.text.startsWith(MARK));
      // Anthropic's 400 body differs, but any 400 is final: no retry, the offline wording at once.
      const failedVia = (await transcript(failed.body.sessionId as string))[1]?.via;
      assert.deepEqual(failedVia, { path: 'offline', reason: 'model rejected' });

      phrasing = () => ({ hang: true });
      const before = server.requests.length;
      const slow = await start();
      const [, slowQuestion] = slow.body.messages as { text: string }[];
      const slowCall = server.requests.slice(before).find(isPhrasing) as Recorded;
      assert.equal(slowQuestion?.text, draftOf(slowCall), 'the template the model was asked to reword');
      assert.deepEqual((await transcript(slow.body.sessionId as string))[1]?.via, {
        path: 'offline',
        reason: 'timeout',
      });
      assert.equal(server.requests.length, before + 1, 'the model was called, and given up on');
      // The slow call was cancelled, not left running.
      await eventually(async () => (server.abortedRequests() === 1 ? true : undefined));
    });

    it('holds the workspace’s token budget: over it, replies keep their offline wording and say why', async () => {
      // Each worded reply uses nearly all the 200 output tokens it may: 2,000 an hour last a few turns.
      phrasing = (request) => ({ sse: provider.stream([`${MARK} `, draftOf(request)], 190) });
      const sessionId = (await start()).body.sessionId as string;
      let turns = 0;
      const overBudget = (m: { via?: Record<string, unknown> }) =>
        m.via?.path === 'offline' && m.via.reason === 'over_budget';
      for (; turns < 6; turns++) {
        const turn = await say(sessionId, 'Tell me more, I am still deciding');
        assert.equal(turn.status, 200);
        if ((await transcript(sessionId)).some(overBudget)) break;
      }
      assert.ok(turns < 6, 'the budget of 2,000 tokens an hour ran out');
      const calls = server.requests.length;
      await say(sessionId, 'Still deciding, honestly');
      const last = (await transcript(sessionId)).filter((m) => m.role === 'bot').at(-1);
      assert.deepEqual(last?.via, { path: 'offline', reason: 'over_budget' });
      assert.ok(!last?.text.startsWith(MARK));
      assert.equal(server.requests.length, calls, 'over budget, the provider is not called at all');
      const usage = runtime.models.usage(workspaceId);
      assert.ok(usage.byOutcome.rate_limited >= 1);
      assert.ok(usage.inputTokens + usage.outputTokens <= 2000, JSON.stringify(usage));
    });

    it('streams a reply to the widget word by word while the model writes it, and saves it once', async () => {
      const sessionId = (await start()).body.sessionId as string;
      const release = holdFirstReply();
      const response = await fetch(`${base}/v1/chat/sessions/${sessionId}/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          'x-widget-key': widgetKey,
        },
        body: JSON.stringify({ text: 'We need faster lead routing' }),
      });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = textReader(response);
      let received = '';
      while (!received.includes('event: delta')) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream ended before any delta');
        received += value;
      }
      // The provider is still holding the rest of the reply: what arrived is part of it, not all of it.
      assert.ok(!received.includes('event: message'), 'no finished message before the model finished');
      const firstDelta = /event: delta\ndata: (.*)\n/.exec(received)?.[1] as string;
      assert.equal(JSON.parse(firstDelta).text, MARK);
      release();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value;
      }
      const events = [...received.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map((m) => ({
        event: m[1],
        data: JSON.parse(m[2] as string),
      }));
      const finished = events
        .filter((e) => e.event === 'message')
        .map((e) => e.data as { id: string; text: string });
      const streamedId = (events.find((e) => e.event === 'delta')?.data as { messageId?: string } | undefined)
        ?.messageId;
      const streamed = finished.find((m) => m.id === streamedId);
      assert.ok(streamed?.text.startsWith(`${MARK} `), JSON.stringify(finished));
      const deltas = events
        .filter((e) => e.event === 'delta' && (e.data as { messageId: string }).messageId === streamedId)
        .map((e) => (e.data as { text: string }).text)
        .join('');
      assert.equal(deltas, streamed?.text, 'the deltas spell the saved message');
      assert.equal(events.at(-1)?.event, 'done');
      const saved = (await transcript(sessionId)).filter((m) => m.text === streamed?.text);
      assert.equal(saved.length, 1, 'the streamed message is saved once, whole');
    });

    it('shows the reply on the conversation’s live stream as message.delta events, then as the message', async () => {
      const sessionId = (await start()).body.sessionId as string;
      const release = holdFirstReply();
      const live = await fetch(`${base}/v1/chat/sessions/${sessionId}/stream`, {
        headers: { 'x-widget-key': widgetKey, accept: 'text/event-stream' },
      });
      assert.equal(live.status, 200);
      const reader = textReader(live);
      let received = '';
      const readUntil = async (pattern: RegExp) => {
        while (!pattern.test(received)) {
          const { value, done } = await reader.read();
          assert.ok(!done, `the live stream ended early: ${received}`);
          received += value;
        }
      };
      await readUntil(/event: message\n/); // the conversation so far
      const before = received.length;
      // A plain JSON turn: the live stream is what shows the reply while it is written.
      const turn = say(sessionId, 'We need faster lead routing');
      await readUntil(/event: message\.delta\n/);
      const delta = JSON.parse(/event: message\.delta\ndata: (.*)\n/.exec(received)?.[1] as string);
      assert.equal(delta.text, MARK);
      assert.ok(!received.slice(before).includes('event: message\n'), 'the reply is not finished yet');
      release();
      assert.equal((await turn).status, 200);
      await readUntil(new RegExp(`"id":"${delta.messageId}"`));
      await reader.cancel();
      const finished = (await transcript(sessionId)).find((_m, i) => `m${i}` === delta.messageId);
      assert.ok(finished?.text.startsWith(`${MARK} `));
    });

    it('answers a question from the workspace’s content through the model, citing the passage', async () => {
      const loaded = await call(http.app, 'PUT', '/v1/chat/knowledge', {
        key: apiKey,
        body: {
          documents: [
            {
              title: 'Pricing',
              content:
                '## Per-seat billing\nAll plans are billed per seat. A seat is one user who logs in.\n',
            },
          ],
        },
      });
      assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
      phrasing = (request) =>
        systemOf(request).includes('numbered passages')
          ? { sse: provider.stream(['Yes, every plan ', 'is billed per seat [1].']) }
          : reword(request);
      const sessionId = (await start()).body.sessionId as string;
      const turn = await say(sessionId, 'Does your pricing work per seat?');
      assert.equal(turn.status, 200, JSON.stringify(turn.body));
      const asked = server.requests.filter((r) => systemOf(r).includes('numbered passages'));
      assert.equal(asked.length, 1, 'the model was asked for the answer once');
      assert.match(userOf(asked[0] as Recorded), /All plans are billed per seat/);
      const answer = (await transcript(sessionId)).find(
        (m) => m.text === 'Yes, every plan is billed per seat.',
      );
      assert.equal(answer?.via?.path, 'model');
      assert.equal((answer?.via?.cited as string[] | undefined)?.length, 1);
    });

    it('fills slots from the model’s structured output', async () => {
      const sessionId = (await start()).body.sessionId as string;
      slots = { authority: 'director', budget: { min: 50_000, max: 50_000, currency: 'USD' } };
      const turn = await say(sessionId, 'We want to sort out lead routing, roughly fifty grand.');
      assert.equal(turn.status, 200, JSON.stringify(turn.body));
      const extraction = server.requests.find((r) => !isPhrasing(r));
      assert.ok(extraction, 'the extraction call reached the provider');
      const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: apiKey });
      const filled = session.body.slots as Record<string, unknown>;
      // The message names no role: the director can only have come from the model.
      assert.equal(filled.authority, 'director');
    });

    it('falls back to the offline extractor when the model fails', async () => {
      const sessionId = (await start()).body.sessionId as string;
      server.respond(provider.path, (request) =>
        isPhrasing(request)
          ? phrasing(request)
          : { status: 400, json: { error: { message: 'bad', type: 'invalid_request_error' } } },
      );
      const turn = await say(sessionId, "I'm the CFO and our budget is $80k");
      assert.equal(turn.status, 200);
      const session = await call(http.app, 'GET', `/v1/chat/sessions/${sessionId}`, { key: apiKey });
      const filled = session.body.slots as Record<string, unknown>;
      assert.equal(filled.authority, 'executive');
      assert.deepEqual(filled.budget, { min: 80_000, max: 80_000, currency: 'USD', period: 'one_off' });
    });
  });
}
