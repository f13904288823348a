import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { eventually } from '../support/runtime.ts';
import { browserSkipReason } from './support/chromium.ts';
import { RESULTS, useServerInChromium } from './support/suite.ts';
import { WIDGET_FILE, widgetSize } from './support/widget-build.ts';
import { DESKTOP_VISITOR, openChat, QUALIFYING, widgetDriver } from './support/widget-driver.ts';

const skip = browserSkipReason();
if (skip) console.log(`# skipping the widget browser tests: ${skip}`);

/**
 * The widget end to end: the real server in-process (temporary SQLite data dir, port 0), its demo
 * page at /demo in Debian's Chromium, a conversation to qualification, then the lead through the
 * API. Screenshots for review go to test-results/ (gitignored).
 */
describe('chat widget on the real server, in Chromium', { skip }, () => {
  const suite = useServerInChromium<{ workspaceId: string; apiKey: string; widgetKey: string }>('widget', {
    widget: true,
  });
  let context: BrowserContext | undefined;
  const api = async (path: string) => {
    const { status, body } = await suite.api('GET', path);
    assert.equal(status, 200, `GET ${path}: ${status} ${JSON.stringify(body)}`);
    return body;
  };
  /** A page in a fresh desktop visitor's context (closed after each test). */
  const visitorPage = async () => {
    context = await suite.browser.newContext(DESKTOP_VISITOR);
    return context.newPage();
  };

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  it('builds into one script under 30 KB gzipped, served at /widget.js', async () => {
    const size = widgetSize(readFileSync(WIDGET_FILE));
    console.log(`# widget.js: ${size.raw} B raw, ${size.gzipped} B gzipped`);
    assert.ok(size.gzipped < 30 * 1024, `widget.js is ${size.gzipped} B gzipped`);
    const served = await fetch(`${suite.server.url}/widget.js`);
    assert.equal(served.status, 200);
    assert.match(served.headers.get('content-type') ?? '', /javascript/);
    assert.equal(await served.text(), readFileSync(WIDGET_FILE, 'utf8'));
  });

  it("serves the demo page at /demo with the demo workspace's widget key in its script tag", async () => {
    const response = await fetch(`${suite.server.url}/demo`);
    assert.equal(response.status, 200, 'GET /demo');
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const html = await response.text();
    assert.doesNotMatch(html, /__(WORKSPACE_ID|WIDGET_KEY|API_ORIGIN)__/);
    assert.ok(html.includes(`data-key="${suite.demo.widgetKey}"`), 'the widget key is injected');
    assert.ok(html.includes(`data-workspace="${suite.demo.workspaceId}"`), 'the workspace id is injected');
  });

  it('hands over to a person live: the reply arrives over the stream, named, with the header saying who joined', async () => {
    const page = await visitorPage();
    const started = page.waitForResponse(
      (r) => r.url().endsWith('/v1/chat/sessions') && r.request().method() === 'POST',
    );
    const widget = await openChat(page, `${suite.server.url}/demo`);
    const { sessionId } = (await (await started).json()) as { sessionId: string };
    await widget.say('Can I talk to a real person?');
    const waiting = await api('/v1/chat/sessions?status=waiting');
    assert.ok((waiting.items as { id: string }[]).some((item) => item.id === sessionId));

    // From here on, a poll would be the slow path: count them to show the reply came another way.
    const polls: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && request.url().includes(`/${sessionId}/messages`))
        polls.push(request.url());
    });
    const operator = async (path: string, body: unknown) => {
      const answer = await suite.api('POST', `/v1/chat/sessions/${sessionId}/${path}`, body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    const agent = { id: 'u_dana', name: 'Dana' };
    await operator('takeover', { agent });
    await widget.host.getByText('Dana from our team has joined the chat.').waitFor({ timeout: 10_000 });
    assert.match((await widget.panel.textContent()) ?? '', /You are chatting with Dana from our team/);
    await operator('agent-messages', { agent, text: 'Hi, Dana here. What can I do for you?' });
    const bubble = widget.host.locator('.msg.agent');
    await bubble.waitFor({ timeout: 10_000 });
    assert.match((await bubble.textContent()) ?? '', /Dana\s*Hi, Dana here/);
    assert.deepEqual(polls, [], 'the reply came over the live stream, not a poll');
    await page.screenshot({ path: join(RESULTS, 'widget-handoff.png'), animations: 'disabled' });
  });

  it('qualifies a visitor in the demo page; the lead shows up through the API with its slots and score', async () => {
    const page = await visitorPage();
    const started = page.waitForResponse(
      (r) => r.url().endsWith('/v1/chat/sessions') && r.request().method() === 'POST',
    );
    const widget = await openChat(page, `${suite.server.url}/demo?utm_source=newsletter&utm_campaign=winter`);
    const { sessionId } = (await (await started).json()) as { sessionId: string };
    assert.match((await widget.replyTexts())[0] ?? '', /automated assistant/i);

    await widget.say(QUALIFYING);
    await widget.say('ada@acme.example');
    const asked = await widget.replies.count();
    await page.getByRole('group', { name: 'Suggested replies' }).getByRole('button', { name: 'Yes' }).click();
    await widget.waitForReplies(asked + 1);
    await widget.settled();
    await page.screenshot({ path: join(RESULTS, 'widget-desktop.png'), animations: 'disabled' });

    const lead = await eventually(async () => {
      const list = await api(`/v1/leads?email=${encodeURIComponent('ada@acme.example')}`);
      return (list.items as Record<string, unknown>[])[0];
    });
    const session = await api(`/v1/chat/sessions/${sessionId}`);
    assert.equal(session.outcome, 'qualified');
    const slots = session.slots as Record<string, unknown>;
    assert.deepEqual(slots.budget, { min: 50_000, max: 50_000, currency: 'USD', period: 'one_off' });
    assert.equal(slots.authority, 'vp');
    assert.match(String((slots.timeline as { byDate?: string })?.byDate), /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(slots.need, 'the need was captured');
    const score = session.score as { total: number; lines: { points: number }[] };
    assert.equal(
      score.total,
      score.lines.reduce((sum, line) => sum + line.points, 0),
    );
    assert.ok(score.total >= 60, `a qualified VP with budget scores high (${score.total})`);

    assert.equal(lead.email, 'ada@acme.example');
    assert.equal(lead.source, 'chat');
    assert.deepEqual(lead.utm, { source: 'newsletter', campaign: 'winter' });
    const attributes = lead.attributes as Record<string, unknown>;
    assert.equal(attributes.chat_session, sessionId);
    assert.equal(attributes.chat_outcome, 'qualified');
    assert.equal(attributes.chat_budget_min, 50_000);
    assert.equal(attributes.chat_authority, 'vp');
    // The lead's score carries the conversation's points, line by line, beside the pipeline's own rules.
    const breakdown = lead.scoreBreakdown as { ruleId: string; points: number }[];
    const chatPoints = breakdown
      .filter((line) => line.ruleId.startsWith('chat-'))
      .reduce((sum, line) => sum + line.points, 0);
    assert.equal(chatPoints, score.total);
    assert.equal(
      lead.score,
      breakdown.reduce((sum, line) => sum + line.points, 0),
    );
    assert.equal(lead.status, 'qualified');
    assert.equal(session.leadId, lead.id);

    // Transcript and consent are reachable too: on the session, and as the lead's consent record.
    const transcript = session.messages as { role: string; text: string }[];
    assert.ok(transcript.some((m) => m.role === 'visitor' && m.text === QUALIFYING));
    assert.match(String((session.consent as { textVersion?: string })?.textVersion), /\S/);
    const detail = await api(`/v1/leads/${lead.id}`);
    const consents = detail.consents as { purposes: string[] }[];
    assert.ok(
      consents.length > 0 && consents[0]!.purposes.length > 0,
      'the consent given in the chat is on the lead',
    );
  });

  it("links the workspace's privacy notice with its version at the consent step; the ledger entry carries version and hash", async () => {
    const notice = {
      version: '2026-12-a',
      url: 'https://acme.example/privacy',
      text: 'Acme processes your contact details to follow up on your enquiry.',
    };
    const saved = await suite.api('PUT', '/v1/workspace/settings', { privacy: { notice } });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));

    const page = await visitorPage();
    const widget = await openChat(page, `${suite.server.url}/demo`);
    const link = widget.host.getByRole('link', { name: /Privacy notice/ });
    assert.equal(await link.count(), 0, 'the notice is linked at the consent step, not before');
    await widget.say(QUALIFYING);
    await widget.say('grace@notice.example');
    await link.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await link.textContent()) ?? '', /Privacy notice \(version 2026-12-a\)/);
    assert.equal(await link.getAttribute('href'), notice.url);
    assert.equal(await link.getAttribute('target'), '_blank');
    await page.screenshot({ path: join(RESULTS, 'widget-notice.png'), animations: 'disabled' });
    const asked = await widget.replies.count();
    await page.getByRole('group', { name: 'Suggested replies' }).getByRole('button', { name: 'Yes' }).click();
    await widget.waitForReplies(asked + 1);
    await widget.settled();

    const lead = await eventually(async () => {
      const list = await api(`/v1/leads?email=${encodeURIComponent('grace@notice.example')}`);
      return (list.items as Record<string, unknown>[])[0];
    });
    const consents = await eventually(async () => {
      const body = await api(`/v1/leads/${lead.id}/consents`);
      const history = body.history as {
        action: string;
        method: string;
        noticeVersion: string;
        noticeHash: string;
      }[];
      return history.length > 0 ? body : undefined;
    });
    const grants = (consents.history as Record<string, unknown>[]).filter((e) => e.action === 'grant');
    assert.ok(grants.length > 0, 'the chat consent is in the ledger');
    const hash = createHash('sha256').update(notice.text).digest('hex');
    for (const entry of grants) {
      assert.equal(entry.method, 'chat');
      assert.equal(entry.noticeVersion, notice.version);
      assert.equal(entry.noticeHash, hash);
    }
    const state = consents.state as { purposes: Record<string, { noticeVersion: string | null }> };
    assert.equal(
      state.purposes.phone?.noticeVersion,
      notice.version,
      "sales_contact is the ledger's phone purpose",
    );
  });

  it('fits a 375-px-wide phone screen', async () => {
    context = await suite.browser.newContext({
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'en-US',
    });
    const page = await context.newPage();
    const widget = widgetDriver(page);
    await page.goto(`${suite.server.url}/demo`);
    await widget.launcher.waitFor();
    await page.screenshot({ path: join(RESULTS, 'widget-phone-closed.png'), animations: 'disabled' });
    await widget.launcher.tap();
    await widget.waitForReplies(2);
    await widget.say(QUALIFYING);
    assert.deepEqual(await widget.panel.boundingBox(), { x: 0, y: 0, width: 375, height: 812 });
    await page.screenshot({ path: join(RESULTS, 'widget-phone.png'), animations: 'disabled' });
  });
});
