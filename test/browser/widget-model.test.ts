import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import {
  loadFixture,
  openAiTextStream,
  type ProtocolServer,
  startProtocolServer,
} from '../../src/models/testing/protocol-server.ts';
import { browserSkipReason } from './support/chromium.ts';
import { useServerInChromium } from './support/suite.ts';
import { DESKTOP_VISITOR, openChat } from './support/widget-driver.ts';

const skip = browserSkipReason();
if (skip) console.log(`# skipping the widget model-streaming browser test: ${skip}`);

const PATH = '/v1/chat/completions';
const MARK = 'Happily:';
/** A bubble's text without the label screen readers hear first. */
const spoken = (text: string) => text.replace(/^Assistant:?\s*/, '').trim();
const VISITOR = 'We keep losing inbound leads because nobody calls back';

type Recorded = ProtocolServer['requests'][number];
const userText = (request: Recorded) =>
  JSON.stringify(
    (request.body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user'),
  );
const draftOf = (request: Recorded) =>
  /Draft \([a-z]+\): \\"\\"\\"([\s\S]*?)\\"\\"\\"/.exec(userText(request))?.[1] ?? '';

/**
 * The widget with a real provider configured (`LEADLOOP_MODEL=openai:…` against the local
 * OpenAI-protocol server): a reply shows word by word while the model is still writing it.
 */
describe('chat widget with a model that streams, in Chromium', { skip }, () => {
  let provider: ProtocolServer;
  let context: BrowserContext | undefined;
  const { promise: gate, resolve: release } = Promise.withResolvers<void>();

  before(async () => {
    provider = await startProtocolServer();
    let held = false;
    provider.respond(PATH, (request) => {
      if (request.body.stream !== true) {
        const recorded = loadFixture<{ choices: { message: { content: string } }[] }>(
          'openai-chat-json.json',
        );
        (recorded.choices[0] as { message: { content: string } }).message.content = JSON.stringify({
          slots: {},
        });
        return { json: recorded };
      }
      const draft = draftOf(request);
      // The first reply to the visitor's message is held after its first words until the test lets it go.
      if (!held && userText(request).includes(VISITOR)) {
        held = true;
        const [first, ...rest] = draft.split(' ');
        return { sse: openAiTextStream([`${MARK} `, `${first} `, { until: gate }, rest.join(' ')]) };
      }
      return { sse: openAiTextStream([`${MARK} `, draft]) };
    });
  });
  // The held reply is let go before the server stops; the provider closes after it.
  after(() => release());
  const suite = useServerInChromium<{ widgetKey: string; apiKey: string }>('widget-model', {
    widget: true,
    env: () => ({
      LEADLOOP_MODEL: 'openai:gpt-4o-mini',
      OPENAI_API_KEY: 'sk-test',
      LEADLOOP_MODEL_BASE_URL: `${provider.url}/v1`,
      LEADLOOP_MODEL_TIMEOUT_MS: '60000',
    }),
  });
  after(async () => {
    await provider?.close();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  it('shows the reply’s first words before the model has finished it, then the whole reply once', async () => {
    context = await suite.browser.newContext(DESKTOP_VISITOR);
    const page = await context.newPage();
    const widget = await openChat(page, `${suite.server.url}/demo`);
    const [, opening] = (await widget.replyTexts()).map(spoken);
    assert.ok(opening?.startsWith(MARK), `the opening question was worded by the model: ${opening}`);

    await widget.input.fill(VISITOR);
    await widget.input.press('Enter');
    // The draft bubble (hidden from screen readers until the message is whole) shows the first words.
    const draft = widget.host.locator('.msg.bot[aria-hidden="true"]');
    await draft.waitFor({ timeout: 15_000 });
    const partial = (await draft.textContent()) ?? '';
    assert.ok(partial.startsWith(MARK), `partial text: ${partial}`);
    const held = provider.requests.filter((r) => r.body.stream === true && userText(r).includes(VISITOR));
    const full = `${MARK} ${draftOf(held[0] as Recorded)}`;
    assert.ok(partial.length < full.length, `only part of "${full}" is shown yet: "${partial}"`);
    assert.equal(
      (await widget.replyTexts()).map(spoken).filter((t) => t === full).length,
      0,
      'no finished reply yet',
    );

    release();
    await widget.settled();
    const texts = (await widget.replyTexts()).map(spoken);
    assert.equal(
      texts.filter((t) => t === full).length,
      1,
      `the whole reply, once: ${JSON.stringify(texts)}`,
    );
    assert.equal(await draft.count(), 0, 'the draft gave way to the finished message');
  });
});
