import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { browserSkipReason, launchChromium } from './support/chromium.ts';
import { type MockChatServer, startMockChatServer } from './support/mock-chat-server.ts';
import { DEMO_FILE, ensureWidgetBuilt, WIDGET_FILE } from './support/widget-build.ts';
import { DESKTOP_VISITOR, openChat, QUALIFYING, widgetDriver } from './support/widget-driver.ts';

// Widget behaviours that need a server to misbehave on cue (errors, 429, broken streams,
// takeovers), against a mock that wraps the real dialog engine. widget.test.ts runs the real server.

const skip = browserSkipReason();
if (skip) console.log(`# skipping the widget browser tests: ${skip}`);
const text = async (locator: Locator) => (await locator.textContent()) ?? '';

describe('chat widget in Chromium, against a mock of the chat API on another origin', { skip }, () => {
  let browser: Browser;
  let mock: MockChatServer;
  let context: BrowserContext;
  before(async () => {
    await ensureWidgetBuilt();
    browser = await launchChromium();
    mock = await startMockChatServer({ widgetFile: WIDGET_FILE, demoFile: DEMO_FILE });
  });
  after(async () => {
    await mock?.close();
    await browser?.close();
  });
  afterEach(async () => {
    mock.clearFailures();
    await context?.close();
  });

  const newPage = async (options: { gpc?: boolean } = {}): Promise<Page> => {
    context = await browser.newContext(DESKTOP_VISITOR);
    if (options.gpc) {
      await context.addInitScript(() => {
        Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });
      });
    }
    return context.newPage();
  };
  const sessionIdOf = (page: Page) =>
    page.evaluate(() => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith('leadloop-chat:'));
      return key ? (JSON.parse(sessionStorage.getItem(key) ?? '{}').sessionId as string) : '';
    });

  it('speaks first with the AI disclosure and sends page URL, referrer, UTM, locale and GPC, only to its host', async () => {
    const page = await newPage({ gpc: true });
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    const widget = widgetDriver(page);
    await page.goto(
      `${mock.siteOrigin}/demo?utm_source=newsletter&utm_medium=email&utm_campaign=launch&token=s3cret`,
      {
        referer: 'http://search.example/results',
      },
    );
    await widget.launcher.waitFor();
    assert.equal(await widget.launcher.getAttribute('aria-expanded'), 'false');
    assert.equal(mock.starts.length, 0, 'no session before the visitor opens the chat');
    assert.equal(
      await page.evaluate(() => document.querySelector('leadloop-chat')?.shadowRoot?.mode),
      'open',
    );

    await widget.open();
    await widget.waitForReplies(2);
    assert.equal(await widget.launcher.getAttribute('aria-expanded'), 'true');
    assert.equal(await widget.focused(), 'll-input', 'opening moves focus to the message box');
    const [greeting] = await widget.replyTexts();
    assert.match(greeting ?? '', /automated assistant/i);

    const start = mock.starts.at(-1) as Record<string, unknown>;
    assert.equal(start.widgetKey, mock.widgetKey);
    assert.equal(start.locale, 'en-US');
    assert.deepEqual(start.context, {
      pageUrl: `${mock.siteOrigin}/demo?utm_source=newsletter&utm_medium=email&utm_campaign=launch`,
      referrer: 'http://search.example/results',
      utm: { source: 'newsletter', medium: 'email', campaign: 'launch' },
      gpc: true,
    });
    assert.deepEqual([...origins].sort(), [mock.apiOrigin, mock.siteOrigin].sort());
    assert.ok(
      mock.requests.some((r) => r.method === 'OPTIONS' && r.origin === mock.siteOrigin),
      'cross-origin requests went through CORS preflight',
    );
  });

  it('streams replies behind a typing indicator, then offers quick replies and a meeting button', async () => {
    const page = await newPage();
    const widget = await openChat(page, `${mock.siteOrigin}/demo`);
    // Record what a visitor only glimpses: the typing dots and the half-streamed (aria-hidden) draft.
    await page.evaluate(() => {
      const root = document.querySelector('leadloop-chat')!.shadowRoot!;
      const seen = { typing: false, draft: false };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver(() => {
        if (!root.querySelector('.typing')!.hasAttribute('hidden')) seen.typing = true;
        if (root.querySelector('.msg.bot[aria-hidden="true"]')) seen.draft = true;
      }).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await widget.say(QUALIFYING);
    assert.deepEqual(await page.evaluate(() => (window as unknown as { seen: unknown }).seen), {
      typing: true,
      draft: true,
    });
    assert.equal(await widget.visitorBubbles.count(), 1);

    await widget.say('ada@acme.example');
    const suggestions = page.getByRole('group', { name: 'Suggested replies' });
    await suggestions.waitFor();
    assert.deepEqual(await suggestions.getByRole('button').allInnerTexts(), ['Yes', 'No']);
    const before = await widget.replies.count();
    await suggestions.getByRole('button', { name: 'Yes' }).click();
    await widget.waitForReplies(before + 1);
    await widget.settled();
    assert.equal(await suggestions.count(), 0, 'quick replies go away once used');
    assert.equal(await widget.focused(), 'll-input', 'focus returns to the message box');

    const meeting = page.getByRole('link', { name: /book a meeting/i });
    await meeting.waitFor();
    assert.equal(await meeting.getAttribute('href'), mock.meetingUrl);
    assert.equal(await meeting.getAttribute('target'), '_blank');
    assert.ok(!(await widget.replyTexts()).some((text) => text.includes(mock.meetingUrl)));
    const sessionId = await sessionIdOf(page);
    assert.equal(mock.sessions.get(sessionId)?.state.outcome, 'qualified');

    // The server refuses messages once a conversation has ended: the widget offers a new one.
    await widget.input.fill('one more thing');
    await widget.input.press('Enter');
    await widget.alert.waitFor();
    assert.match(await text(widget.alert), /This conversation has ended/);
    await widget.alert.getByRole('button', { name: 'Start a new conversation' }).click();
    await widget.waitForReplies(2);
    assert.match((await widget.replyTexts())[0] ?? '', /automated assistant/i);
    assert.equal(await widget.replies.count(), 2, 'the new conversation starts on a clean slate');
    assert.notEqual(await sessionIdOf(page), sessionId);
  });

  it('continues the conversation after a reload', async () => {
    const page = await newPage();
    const widget = await openChat(page, `${mock.siteOrigin}/demo`);
    await widget.say('We need faster lead routing for our SDR team');
    const starts = mock.starts.length;
    const sessionId = await sessionIdOf(page);
    const transcript = await widget.host.locator('.msg').allInnerTexts();

    await page.reload();
    await widget.panel.waitFor({ state: 'visible' });
    await widget.waitForReplies(3);
    assert.deepEqual(await widget.host.locator('.msg').allInnerTexts(), transcript);
    assert.equal(await sessionIdOf(page), sessionId);
    assert.equal(mock.starts.length, starts, 'no new session was started');
    await widget.say('about 20k');
    assert.equal(mock.sessions.get(sessionId)?.messages.filter((m) => m.role === 'visitor').length, 2);
  });

  it('explains API errors in plain words and lets the visitor retry, waiting out a 429', async () => {
    const page = await newPage();
    const widget = await openChat(page, `${mock.siteOrigin}/demo`);

    mock.failNext('send', {
      status: 500,
      problem: { title: 'Internal Server Error', detail: 'TypeError: x is undefined at store.ts:12' },
    });
    await widget.input.fill('We need better lead scoring');
    await widget.input.press('Enter');
    await widget.alert.waitFor();
    assert.match(await text(widget.alert), /went wrong on our side/);
    assert.doesNotMatch(await text(widget.alert), /TypeError/);
    assert.equal(await widget.host.locator('.msg.visitor.failed').count(), 1);
    const before = await widget.replies.count();
    await widget.alert.getByRole('button', { name: 'Try again' }).click();
    await widget.waitForReplies(before + 1);
    await widget.settled();
    assert.equal(await widget.alert.isVisible(), false);
    assert.equal(await widget.host.locator('.msg.visitor.failed').count(), 0);
    assert.equal(await widget.visitorBubbles.count(), 1, 'the retry reuses the bubble');

    mock.failNext('send', {
      status: 429,
      headers: { 'retry-after': '2' },
      problem: { title: 'Too Many Requests', detail: 'slow down' },
    });
    await widget.input.fill('budget is 30k');
    await widget.input.press('Enter');
    await widget.alert.waitFor();
    assert.match(await text(widget.alert), /a little fast/);
    const retry = widget.alert.getByRole('button');
    assert.match(await text(retry), /Try again in 2 s/);
    assert.equal(await retry.isDisabled(), true);
    await page.waitForFunction(
      () => {
        const button = document.querySelector('leadloop-chat')?.shadowRoot?.querySelector('.alert button');
        return button instanceof HTMLButtonElement && !button.disabled;
      },
      undefined,
      { timeout: 5000 },
    );
    const count = await widget.replies.count();
    await retry.click();
    await widget.waitForReplies(count + 1);
    await widget.settled();

    mock.failNext('send', {
      status: 422,
      problem: {
        title: 'Unprocessable Content',
        errors: [{ field: 'body.text', reason: 'links are not allowed' }],
      },
    });
    await widget.input.fill('see http://spam.example');
    await widget.input.press('Enter');
    await widget.alert.waitFor();
    assert.match(await text(widget.alert), /couldn't be sent: links are not allowed/);
    assert.equal(
      await widget.input.inputValue(),
      'see http://spam.example',
      'the text comes back for editing',
    );
    assert.equal(await widget.alert.getByRole('button').count(), 0, 'no retry of a message that cannot pass');
    assert.equal(await widget.host.locator('.msg.visitor', { hasText: 'spam' }).count(), 0);
  });

  it('recovers a reply whose stream broke midway without sending the message twice', async () => {
    const page = await newPage();
    const widget = await openChat(page, `${mock.siteOrigin}/demo`);
    mock.failNext('send', { status: 200, breakStreamAfterEvents: 2 });
    await widget.say(QUALIFYING);
    await widget.alert.waitFor({ state: 'hidden' });
    const session = mock.sessions.get(await sessionIdOf(page))!;
    assert.equal(session.messages.filter((m) => m.role === 'visitor').length, 1);
    const botIds = session.messages.filter((m) => m.role === 'bot').map((m) => m.id);
    const shownIds = await widget.host
      .locator('.msg.bot')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id')));
    assert.deepEqual(shownIds, botIds);
  });

  it("shows a human agent's messages during a takeover and notes the hand-back", async () => {
    const page = await newPage();
    const widget = await openChat(page, `${mock.siteOrigin}/demo`);
    const sessionId = await sessionIdOf(page);
    mock.takeOver(sessionId, 'Sam');
    await widget.input.fill('Can I talk to a person?');
    await widget.input.press('Enter');
    await widget.host.getByText('A member of our team has joined the chat.').waitFor();
    await widget.settled();
    assert.match(await text(widget.panel), /You are chatting with our team/);

    mock.agentSay(sessionId, "Hi, I'm Sam from sales. How can I help?");
    const agentBubble = widget.host.locator('.msg.agent');
    await agentBubble.waitFor({ timeout: 8000 });
    assert.match(await text(agentBubble), /Team member\s*Hi, I'm Sam/);

    // Closed panel during a takeover: polling goes on, and the launcher counts what arrived.
    await page.keyboard.press('Escape');
    mock.agentSay(sessionId, 'I have sent you our case studies.');
    await page.getByRole('button', { name: 'Chat, 1 new message' }).waitFor({ timeout: 8000 });
    await widget.open();
    assert.equal(await widget.host.locator('.msg.agent').count(), 2);
    assert.equal(await widget.launcher.getAttribute('aria-label'), 'Chat');

    await mock.release(sessionId);
    await widget.host.getByText('You are back with the automated assistant.').waitFor({ timeout: 8000 });
  });

  it('works from the keyboard: Enter opens, Escape closes and gives focus back, focus is visible', async () => {
    const page = await newPage();
    const widget = widgetDriver(page);
    await page.goto(`${mock.siteOrigin}/demo`);
    await widget.launcher.focus();
    await page.keyboard.press('Enter');
    await widget.panel.waitFor();
    assert.equal(await widget.focused(), 'll-input');
    await widget.waitForReplies(2);
    await page.keyboard.type('We want to route leads faster');
    await page.keyboard.press('Enter');
    await widget.waitForReplies(3);
    await widget.settled();

    // Backwards from the message box: the conversation itself (scrollable by keyboard), then the close button.
    const visited: string[] = [];
    for (let i = 0; i < 8 && visited.at(-1) !== 'icon'; i++) {
      await page.keyboard.press('Shift+Tab');
      visited.push(await widget.focused());
    }
    assert.ok(visited.includes('log'), `focus went through ${visited.join(', ')}`);
    assert.equal(visited.at(-1), 'icon');
    const ring = await page.evaluate(() => {
      const active = document.querySelector('leadloop-chat')!.shadowRoot!.activeElement!;
      return getComputedStyle(active).boxShadow;
    });
    assert.notEqual(ring, 'none', 'keyboard focus draws a ring');

    await page.keyboard.press('Escape');
    await widget.panel.waitFor({ state: 'hidden' });
    assert.equal(await widget.focused(), 'launcher');
    assert.equal(await widget.launcher.getAttribute('aria-expanded'), 'false');
  });

  it('fills a 375-px-wide phone screen and keeps focus inside it', async () => {
    context = await browser.newContext({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    const widget = widgetDriver(page);
    await page.goto(`${mock.siteOrigin}/demo`);
    await widget.launcher.tap();
    await widget.panel.waitFor();
    await widget.waitForReplies(2);
    assert.deepEqual(await widget.panel.boundingBox(), { x: 0, y: 0, width: 375, height: 812 });
    assert.equal(await widget.panel.getAttribute('aria-modal'), 'true');
    assert.equal(await widget.launcher.isVisible(), false, 'the panel has its own close button');
    assert.equal(
      await widget.input.evaluate((el) => getComputedStyle(el).fontSize),
      '16px',
      'no zoom on focus',
    );
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'no sideways scroll');
    await widget.input.focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await widget.focused(), 'icon', 'Tab wraps from the last control to the first');
  });
});
