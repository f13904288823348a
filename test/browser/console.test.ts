import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { outcomeRow } from '../support/rows.ts';
import { eventually } from '../support/runtime.ts';
import { browserSkipReason } from './support/chromium.ts';
import { RESULTS, useServerInChromium } from './support/suite.ts';
import { widgetDriver } from './support/widget-driver.ts';

const skip = browserSkipReason();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Screenshots go to test-results/ on every run; `npm run docs:screenshots` (LEADLOOP_DOCS_SCREENSHOTS=1)
// refreshes the documented copies in docs/images/console/ on purpose.
const SHOTS = process.env.LEADLOOP_DOCS_SCREENSHOTS
  ? join(ROOT, 'docs', 'images', 'console')
  : join(RESULTS, 'console');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * The operator console end to end on the real server (temporary SQLite data, port 0) in Debian's
 * Chromium: sign in with the printed demo admin, triage the inbox by keyboard, open a lead, take
 * over a chat that a second browser context (the visitor, on /demo) sees in the widget, review and
 * override a decision, rotate the webhook secret, sign out; a viewer gets no buttons and the API
 * refuses. Every view is scanned with axe-core and photographed at 1440×900 and 390×844.
 */
describe('operator console in Chromium', { skip }, () => {
  const suite = useServerInChromium<{
    apiKey: string;
    adminEmail: string;
    adminPassword: string;
    workspaceId: string;
  }>('console', { ssePollMs: 200 });
  let admin: BrowserContext;
  let page: Page;
  let leadId = '';
  const violations: string[] = [];

  const api = async (method: string, path: string, body?: unknown) =>
    (await suite.api(method, path, body)).body;

  /** axe-core in the page (evaluated through the debugging protocol: the CSP forbids inline script). */
  const scan = async (p: Page, view: string) => {
    await p.evaluate(`${AXE}\n;0`);
    const result = (await p.evaluate(() =>
      (
        globalThis as unknown as {
          axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
        }
      ).axe.run(),
    )) as { violations: { id: string; impact: string; nodes: unknown[] }[] };
    for (const v of result.violations)
      if (v.impact === 'serious' || v.impact === 'critical')
        violations.push(`${view}: ${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
  };

  /** Photographs the view at both sizes; `focus` is scrolled into sight first (a part further down). */
  const shoot = async (p: Page, name: string, focus?: Locator) => {
    await p.setViewportSize(DESKTOP);
    await p.waitForTimeout(300);
    await focus?.scrollIntoViewIfNeeded();
    await p.screenshot({ path: join(SHOTS, `${name}-1440x900.png`) });
    await p.setViewportSize(PHONE);
    await p.waitForTimeout(300);
    await focus?.scrollIntoViewIfNeeded();
    await p.screenshot({ path: join(SHOTS, `${name}-390x844.png`) });
    await p.setViewportSize(DESKTOP);
    await scan(p, name);
  };

  before(async () => {
    const people = [
      {
        email: 'ada@analytical.example.com',
        name: 'Ada Lovelace',
        title: 'VP Engineering',
        company: 'Analytical',
        source: 'demo-request',
      },
      {
        email: 'grace@navy.example.com',
        name: 'Grace Hopper',
        title: 'CTO',
        company: 'Navy',
        source: 'webinar',
      },
      {
        email: 'alan@bletchley.example.com',
        name: 'Alan Turing',
        title: 'Researcher',
        company: 'Bletchley',
        source: 'ads',
      },
    ];
    for (const person of people) await api('POST', '/v1/leads', person);
    leadId = await eventually(async () => {
      const items = (await api('GET', '/v1/leads')).items as { id: string; name: string }[];
      return items.length === 3 ? items.find((l) => l.name === 'Ada Lovelace')?.id : undefined;
    });
    for (const id of [leadId, leadId])
      await api('POST', '/v1/council/questions', { type: 'lead.next_action', leadId: id });
    mkdirSync(SHOTS, { recursive: true });
    admin = await suite.browser.newContext({ viewport: DESKTOP });
    page = await admin.newPage();
  });

  it('serves /app with a strict CSP and cacheable assets', async () => {
    const response = await fetch(`${suite.server.url}/app/leads/x`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.ok(!csp.includes('unsafe-inline'));
    const html = await response.text();
    assert.ok(
      !/<script>(?!<\/script>)/.test(html) && !/<script(?![^>]*src=)[^>]*>/.test(html),
      'no inline script',
    );
    const asset = /src="(\/app\/assets\/[^"]+\.js)"/.exec(html)?.[1] as string;
    const served = await fetch(`${suite.server.url}${asset}`);
    assert.match(served.headers.get('cache-control') ?? '', /immutable/);
  });

  it('signs in with the printed demo admin and triages the inbox by keyboard', async () => {
    await page.goto(`${suite.server.url}/app`);
    await shoot(page, 'sign-in');
    await page.getByLabel('E-mail').fill(suite.demo.adminEmail);
    await page.getByLabel('Password').fill(suite.demo.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    assert.equal(
      await page.evaluate(() => document.cookie),
      '',
      'the session cookie is not readable by script',
    );
    await shoot(page, 'inbox');
    await page.getByRole('grid').focus();
    // Newest first: Alan, Grace, Ada. Two steps down, then Enter.
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    assert.match(page.url(), new RegExp(`/app/leads/${leadId}$`));
    await page.getByRole('heading', { name: 'Council decisions' }).waitFor();
    await shoot(page, 'lead');
  });

  it('takes over a chat that the visitor sees in the widget', async () => {
    const visitorContext = await suite.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const visitor = await visitorContext.newPage();
    await visitor.goto(`${suite.server.url}/demo`);
    const widget = widgetDriver(visitor);
    await widget.open();
    await widget.waitForReplies(1);
    await widget.say('Hello, can a person help me with pricing?');
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('link', { name: /Bot/ }).first().click();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByLabel('Reply to the visitor').fill('Hi, this is Sam from sales. Happy to help.');
    await page.getByRole('button', { name: 'Send' }).click();
    await visitor.waitForFunction(
      () =>
        [...(document.querySelector('leadloop-chat')?.shadowRoot?.querySelectorAll('.msg.agent') ?? [])].some(
          (m) => m.textContent?.includes('Sam from sales'),
        ),
      undefined,
      { timeout: 15_000 },
    );
    await page.getByText('Sam from sales').first().waitFor();
    await shoot(page, 'conversations');
    await visitorContext.close();
  });

  it('gives feedback on one decision and overrides it with a reason', async () => {
    await page.getByRole('link', { name: 'Decisions' }).click();
    await page.getByRole('tab', { name: /^All \(/ }).click();
    const card = page.getByRole('article').first();
    await card.getByRole('button', { name: 'Accept' }).click();
    await card.getByText('Feedback recorded').waitFor();
    await card.getByRole('button', { name: 'Override…' }).click();
    await card.getByLabel('New action').selectOption('disqualify');
    await card.getByLabel(/Reason/).fill('Known competitor, not a buyer');
    await card.getByRole('button', { name: 'Apply override' }).click();
    await page.getByText('Overridden.').waitFor();
    const decisions = (await api('GET', `/v1/council/decisions?leadId=${leadId}`)).items as {
      review: { status: string; overrides: { reason: string }[] };
    }[];
    assert.ok(
      decisions.some((d) => d.review.overrides.some((o) => o.reason === 'Known competitor, not a buyer')),
    );
    await shoot(page, 'decisions');
  });

  it('rotates the webhook secret, edits settings, shows analytics, workflows and privacy', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByText(/New webhook secret/).waitFor();
    // The rules editor validates as you type and saves through the API (audited, the user as actor).
    const rules = page.getByLabel(/Point rules and threshold/);
    const before = await rules.inputValue();
    await rules.fill(`${before}x`);
    await page.getByText(/Not valid JSON/).waitFor();
    const edited = JSON.parse(before) as { threshold: number };
    await rules.fill(JSON.stringify({ ...edited, threshold: edited.threshold + 1 }, null, 2));
    await page.getByRole('button', { name: 'Save', exact: true }).first().click();
    await page.getByText(/Point rules and threshold \(version [1-9]/).waitFor();
    const stored = await api('GET', '/v1/scoring/rules');
    assert.equal(stored.threshold, edited.threshold + 1);
    const audit = await api('GET', '/v1/audit?limit=20');
    const entry = (audit.items as { action: string; actor: { type: string } }[]).find((a) =>
      a.action.startsWith('scoring.rules'),
    );
    assert.equal(entry?.actor.type, 'user', JSON.stringify(audit.items));
    await page.getByLabel(/Sites allowed to embed the widget/).fill('https://shop.example.com');
    await page.getByRole('button', { name: 'Save origins' }).click();
    await page.getByText(/1 origins\. Saved\./).waitFor();
    // A key created here is shown once, works, and after a confirmed revoke the API refuses it.
    await page.getByRole('button', { name: 'Create read key' }).click();
    const shown =
      (await page.getByRole('status').filter({ hasText: 'New read key' }).locator('code').textContent()) ??
      '';
    const withKey = (key: string) =>
      fetch(`${suite.server.url}/v1/leads`, { headers: { authorization: `Bearer ${key}` } }).then(
        (r) => r.status,
      );
    assert.equal(await withKey(shown), 200);
    const row = page.getByRole('row').filter({ hasText: 'read key created in the console' });
    await row.getByRole('cell', { name: 'read', exact: true }).waitFor();
    await row.getByText('by Demo admin').waitFor();
    await row.getByRole('button', { name: /^Revoke / }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    assert.equal(await withKey(shown), 200, 'keeping it changes nothing');
    await row.getByRole('button', { name: /^Revoke / }).click();
    await row.getByRole('button', { name: /^Confirm revoking/ }).click();
    await row.getByText(/^revoked /).waitFor();
    assert.equal(await withKey(shown), 401);
    await shoot(page, 'settings');
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.getByRole('heading', { name: 'Model card' }).waitFor();
    await page.getByRole('cell', { name: 'Demo workspace' }).first().waitFor();
    await page.getByRole('heading', { name: 'Forecast' }).waitFor();
    await shoot(page, 'analytics');
    await page.getByRole('link', { name: 'Workflows' }).click();
    await page.getByRole('heading', { name: 'Workflows' }).waitFor();
    await shoot(page, 'workflows');
    // Two requests filed on hold (to verify who asked first): one extended then run, one rejected.
    const held = async () =>
      (
        await api('POST', '/v1/privacy/requests', {
          type: 'access',
          subject: { leadId },
          jurisdiction: 'gdpr',
          hold: true,
        })
      ).id as string;
    const [toRun, toReject] = [await held(), await held()];
    await page.getByRole('link', { name: 'Privacy' }).click();
    await page.getByRole('heading', { name: 'Requests' }).waitFor();
    await page.getByRole('button', { name: `Extend deadline: access request ${toRun}` }).click();
    await page.getByLabel(/Reason for the extension/).fill('Identity check needs a signed form');
    await page.getByRole('button', { name: 'Confirm extension' }).click();
    await page.getByText(/Leadloop sent no message: tell the person/).waitFor();
    await shoot(page, 'privacy');
    await page.getByRole('button', { name: `Run now: access request ${toRun}` }).click();
    await page.getByRole('button', { name: `Reject: access request ${toReject}` }).click();
    await page.getByLabel('Reason for rejecting').fill('Could not verify who asked');
    await page.getByRole('button', { name: 'Confirm rejection' }).click();
    const status = async (id: string) => (await api('GET', `/v1/privacy/requests/${id}`)).status;
    await eventually(async () => ((await status(toRun)) === 'completed' ? true : undefined));
    assert.equal(await status(toReject), 'rejected');
    const steps = (await api('GET', `/v1/privacy/requests/${toRun}`)).steps as { step: string }[];
    assert.deepEqual(
      steps.map((s) => s.step),
      ['received', 'extended', 'started', 'completed'],
    );
    await page
      .getByRole('button', { name: `Reject: access request ${toReject}` })
      .waitFor({ state: 'detached' });
  });

  it('draws the funnel and the calibration plot, lists suppressions and acknowledges an alert live', async () => {
    const db = suite.server.runtime.store.db;
    const ctx = { workspaceId: suite.demo.workspaceId, organisationId: '' };
    const now = Date.now();
    // A retired model version with 60 outcomes it scored beforehand (as the pipeline records them).
    await db
      .insertInto('scoring_models')
      .values({
        workspace_id: suite.demo.workspaceId,
        version: 1,
        id: 'mdl_console_browser_test',
        status: 'retired',
        kind: 'logistic',
        model: '{}',
        feature_spec: '{"features":[]}',
        metrics: '{}',
        rows: 60,
        positives: 20,
        reason: 'browser test',
        replaces_version: null,
        trained_at: now,
        promoted_at: null,
        retired_at: now,
      })
      .execute();
    await db
      .insertInto('lead_outcomes')
      .values(
        Array.from({ length: 60 }, (_, i) =>
          outcomeRow(suite.demo.workspaceId, `lead_BRW${String(i).padStart(23, '0')}`, now - i * 60_000, {
            recorded_at: now,
            updated_at: now,
            converted: i % 3 === 0 ? 1 : 0,
            body_hash: `b${i}`,
            probability: (i % 10) / 10 + 0.05,
            model_version: 1,
          }),
        ),
      )
      .execute();
    await db
      .insertInto('privacy_suppressions')
      .values({
        workspace_id: suite.demo.workspaceId,
        hash: suite.server.runtime.privacy.keys.suppressionHash(ctx, 'email', 'erased@example.com'),
        kind: 'email',
        reason: 'erasure',
        created_at: now,
      })
      .execute();
    /** An open alert as the optimiser's monitor leaves one (row and evidence). */
    const openAlert = async (alert: {
      kind: string;
      metric: string;
      segment: string;
      summary: string;
      detector: string;
      baseline: number;
      observed: number;
      statistic: number;
      threshold: number;
    }) => {
      const id = suite.server.runtime.ids.next('alr');
      await db
        .insertInto('optimiser_alerts')
        .values({
          id,
          workspace_id: suite.demo.workspaceId,
          stream: `${alert.kind}:${alert.segment}`,
          kind: alert.kind,
          status: 'open',
          metric: alert.metric,
          segment: alert.segment,
          summary: alert.summary,
          evidence: JSON.stringify({
            detector: alert.detector,
            metric: alert.metric,
            segment: alert.segment,
            window: { from: now - 3_600_000, to: now },
            baseline: { value: alert.baseline, count: 500, from: now - 86_400_000, to: now - 3_600_000 },
            observed: { value: alert.observed, count: 60 },
            statistic: alert.statistic,
            threshold: alert.threshold,
          }),
          review: null,
          opened_at: now,
          acknowledged_at: null,
          acknowledged_by: null,
          resolved_at: null,
          resolution: null,
        })
        .execute();
      return id;
    };
    const alertId = await openAlert({
      kind: 'qualification_drop',
      metric: 'qualification_rate',
      segment: 'source:webinar',
      summary: 'Qualification in source:webinar fell from 42% to 8%',
      detector: 'bernoulli_cusum',
      baseline: 0.42,
      observed: 0.08,
      statistic: 14.2,
      threshold: 12,
    });

    /** A change the policy held for a person, as the monitor records one under `propose`. */
    const proposePause = async (source: string, reason: string) => {
      const id = suite.server.runtime.ids.next('adj');
      await db
        .insertInto('optimiser_adjustments')
        .values({
          id,
          workspace_id: suite.demo.workspaceId,
          kind: 'source_pause',
          status: 'proposed',
          origin: 'detector',
          alert_id: alertId,
          target: `source ${source}`,
          before_value: JSON.stringify({ source, held: false }),
          after_value: JSON.stringify({ source, held: true }),
          reason: `${reason} — not applied: the policy records source pauses for a person to decide`,
          guard: 'null',
          created_at: now,
          guard_until: now,
          settled_at: null,
          settlement: null,
        })
        .execute();
      return id;
    };
    const approveId = await proposePause(
      'webinar',
      'source webinar collapsed: hold its leads from automation',
    );
    const rejectId = await proposePause(
      'partner',
      'source partner collapsed: hold its leads from automation',
    );

    // Loaded afresh: the rows above were written behind the console's back (no event announces them).
    await page.goto(`${suite.server.url}/app/analytics`);
    await page.getByRole('heading', { name: 'Funnel', exact: true }).waitFor();
    await page.getByRole('img', { name: /^Funnel over 30d: Arrived [1-9]/ }).waitFor();
    await page.getByRole('img', { name: /^Calibration of model v1 on 60 outcomes/ }).waitFor();
    const funnel = await api('GET', '/v1/analytics/funnel?window=30d');
    const arrived = (funnel.stages as { count: number }[])[0]?.count;
    await page
      .getByRole('cell', { name: String(arrived), exact: true })
      .first()
      .waitFor();
    await page.getByRole('heading', { name: 'Funnel per business unit' }).waitFor();
    await shoot(page, 'analytics-funnel');
    await shoot(page, 'analytics-calibration', page.getByRole('img', { name: /^Calibration of model v1/ }));

    await page.getByRole('link', { name: 'Privacy' }).click();
    await page.getByText(/1 entry, newest first/).waitFor();
    await page.getByLabel('Is this e-mail suppressed?').fill('Erased@Example.com');
    await page.getByRole('button', { name: 'Check' }).click();
    await page
      .getByRole('status')
      .getByText(/Suppressed since .* \(erasure/)
      .waitFor();
    await page.getByLabel('Is this e-mail suppressed?').fill('someone-else@example.com');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('status').getByText('Not suppressed.').waitFor();
    await shoot(page, 'privacy-suppressions');

    await page.getByRole('link', { name: 'Optimiser' }).click();
    const card = page.getByRole('article').filter({ hasText: 'fell from 42% to 8%' });
    await card.getByRole('cell', { name: /0\.420 over 500/ }).waitFor();
    await card.getByRole('cell', { name: /14\.2 \(fires at 12\.0\)/ }).waitFor();
    await shoot(page, 'optimiser');
    // An admin decides the proposals: each button calls its route, audited with the user.
    const row = (source: string) =>
      page.getByRole('row').filter({ hasText: `source_pause on source ${source}` });
    await row('webinar').getByRole('button', { name: 'Approve' }).click();
    await row('webinar')
      .getByText(/^applied/)
      .waitFor();
    await row('partner').getByRole('button', { name: 'Reject' }).click();
    await row('partner')
      .getByText(/^rejected/)
      .waitFor();
    const decided = (await api('GET', '/v1/optimiser/adjustments?limit=50')).items as {
      id: string;
      status: string;
      reason: string;
      settlement: string | null;
    }[];
    assert.match(decided.find((a) => a.id === approveId)?.reason ?? '', /approved by user usr_/);
    assert.match(decided.find((a) => a.id === rejectId)?.settlement ?? '', /rejected by user usr_/);
    await card.getByLabel('Note (optional)').fill('looking at the webinar form');
    await card.getByRole('button', { name: 'Acknowledge' }).click();
    await card.getByText('acknowledged', { exact: true }).waitFor();
    assert.equal(await card.getByRole('button', { name: 'Acknowledge' }).count(), 0);
    const stored = await api('GET', `/v1/alerts/${alertId}`);
    assert.equal(stored.status, 'acknowledged');
    assert.match(String(stored.acknowledgedBy), /^usr_/);
    // The person, not their id.
    await card.getByText(/acknowledged .* by Demo admin/).waitFor();

    // Live: an alert acknowledged elsewhere (an API key here) changes on screen without a reload.
    const second = await openAlert({
      kind: 'source_silent',
      metric: 'arrivals',
      segment: 'source:ads',
      summary: 'Source ads has gone silent',
      detector: 'poisson_silence',
      baseline: 12,
      observed: 0,
      statistic: 8.1,
      threshold: 6,
    });
    await page.reload();
    const silent = page.getByRole('article').filter({ hasText: 'Source ads has gone silent' });
    await silent.getByRole('button', { name: 'Acknowledge' }).waitFor();
    const acked = await api('POST', `/v1/alerts/${second}/ack`, { note: 'on it' });
    assert.equal(acked.status, 'acknowledged');
    await silent.getByRole('button', { name: 'Acknowledge' }).waitFor({ state: 'detached', timeout: 30_000 });
    await silent.getByText('acknowledged', { exact: true }).waitFor();
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Leadloop' }).waitFor();
    const after = await page.evaluate(async () => (await fetch('/v1/leads')).status);
    assert.equal(after, 401);
  });

  it('gives a viewer no buttons that change things, and the API refuses them', async () => {
    const users = suite.server.runtime.users;
    const actor = { type: 'system' as const, id: 'test' };
    const viewer = await users.createUser({
      email: 'viewer@example.com',
      password: 'viewer-password',
      workspaceId: suite.demo.workspaceId,
      actor,
    });
    await users.grantRole({ userId: viewer.id, workspaceId: suite.demo.workspaceId, role: 'viewer', actor });
    const context = await suite.browser.newContext({ viewport: DESKTOP });
    const p = await context.newPage();
    await p.goto(`${suite.server.url}/app/settings`);
    await p.getByLabel('E-mail').fill('viewer@example.com');
    await p.getByLabel('Password').fill('viewer-password');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Settings' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Rotate secret' }).count(), 0);
    await p.getByText('Only admins see and manage keys.').waitFor();
    assert.equal(await p.getByRole('button', { name: /Revoke|Create .* key/ }).count(), 0);
    await p.getByRole('link', { name: 'Decisions' }).click();
    await p.getByRole('tab', { name: /^All \(/ }).click();
    await p.getByRole('article').first().waitFor();
    assert.equal(await p.getByRole('button', { name: /Accept|Reject|Override/ }).count(), 0);
    const refused = await p.evaluate(async () => {
      const session = (await (await fetch('/v1/session')).json()) as { csrfToken: string };
      const response = await fetch('/v1/webhook-secrets/rotate', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ overlapSeconds: 0 }),
      });
      return response.status;
    });
    assert.equal(refused, 403);
    await context.close();
  });

  it('has no serious or critical axe-core violation in any view', () => {
    assert.deepEqual(violations, []);
  });
});
