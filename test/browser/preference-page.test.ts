import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../support/runtime.ts';
import { browserSkipReason } from './support/chromium.ts';
import { RESULTS, useServerInChromium } from './support/suite.ts';

const skip = browserSkipReason();
if (skip) console.log(`# skipping the preference page browser test: ${skip}`);

/** The preference page on the real server in Chromium: choices, a withdrawal, a request, GPC, a bad link. */
describe('preference page in Chromium', { skip }, () => {
  const suite = useServerInChromium<{ workspaceId: string; apiKey: string }>('preferences');
  const { api } = suite;

  it('shows consent per purpose, takes a grant at once, fulfils access (a download) and erasure (after confirming) at once, honours GPC, and explains a bad link', async () => {
    const accepted = await api('POST', '/v1/leads', {
      email: 'pat.page@prefs.example',
      name: 'Pat Page',
      consent: {
        purposes: ['sms'],
        textVersion: 'notice-v4',
        timestamp: '2026-12-01T09:00:00Z',
        method: 'form',
      },
    });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const leadId = await eventually(async () => {
      const event = await api('GET', `/v1/events/${accepted.body.eventId}`);
      return (event.body.leadId as string | null) ?? undefined;
    });
    const link = await api('POST', `/v1/leads/${leadId}/preference-link`, { ttlDays: 7 });
    assert.equal(link.status, 201, JSON.stringify(link.body));

    const context = await suite.browser.newContext({ extraHTTPHeaders: { 'Sec-GPC': '1' } });
    const page = await context.newPage();
    page.on('dialog', (dialog) => dialog.accept());
    const response = await page.goto(`${suite.server.url}${link.body.path}`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.locator('td[data-purpose="sms"]').textContent(), 'Allowed');
    assert.equal(await page.locator('td[data-purpose="email_marketing"]').textContent(), 'Not allowed');
    assert.match((await page.locator('#gpc').textContent()) ?? '', /Global Privacy Control/);
    assert.equal(
      (await page.content()).includes('pat.page@prefs.example'),
      false,
      'the page shows choices, not the person',
    );
    await page.screenshot({ path: join(RESULTS, 'preference-page.png'), fullPage: true });

    await page.locator('button[data-purpose="email_marketing"]').click();
    await page.waitForFunction(
      () => document.querySelector('td[data-purpose="email_marketing"]')?.textContent === 'Allowed',
    );
    const state = (await api('GET', `/v1/leads/${leadId}/consents`)).body.state as {
      purposes: Record<string, { allowed: boolean; method: string }>;
      saleOrShareOptOut: boolean;
    };
    assert.equal(state.purposes.email_marketing?.allowed, true);
    assert.equal(state.purposes.email_marketing?.method, 'preference_page');
    assert.equal(state.saleOrShareOptOut, true, 'the GPC header on the page opted out of sale/share');

    // Access: the link verifies the person, so the copy is ready at once as a download on the page.
    await page.locator('button[data-request="access"]').click();
    const download = page.locator('#download');
    await download.waitFor();
    const href = await download.getAttribute('href');
    assert.ok(href, 'a download link');
    const bundle = await page.evaluate(async (url) => (await fetch(url)).text(), href);
    assert.ok(bundle.includes('pat.page@prefs.example'), 'the download holds what is kept about the person');
    const other = await fetch(
      `${suite.server.url}${href.replace(/dsr_[0-9A-Z]{26}/, 'dsr_00000000000000000000000000')}`,
    );
    assert.equal(other.status, 404, 'another request id gives nothing');
    await page.screenshot({ path: join(RESULTS, 'preference-page-download.png'), fullPage: true });

    // Erasure: confirmed in the dialog (accepted above), then carried out at once.
    await page.locator('button[data-request="erasure"]').click();
    await page.waitForFunction(() =>
      /has been erased/.test(document.getElementById('status')?.textContent ?? ''),
    );
    await page.screenshot({ path: join(RESULTS, 'preference-page-request.png'), fullPage: true });
    const filed = (await api('GET', '/v1/privacy/requests?status=completed')).body.items as {
      type: string;
      origin: string;
      dueAt: string;
      completedAt: string | null;
    }[];
    for (const type of ['access', 'erasure'])
      assert.ok(
        filed.some((r) => r.type === type && r.origin === 'preference_page' && r.completedAt && r.dueAt),
        `${type} request completed with its deadline: ${JSON.stringify(filed)}`,
      );
    assert.equal((await api('GET', `/v1/leads/${leadId}`)).status, 404, 'the person is erased');
    const gone = await page.goto(`${suite.server.url}${link.body.path}`);
    assert.equal(gone?.status(), 400, 'the link of an erased person reads as any invalid link');

    const token = String(link.body.token);
    const bad = await page.goto(`${suite.server.url}/p/${token.slice(0, -3)}AAA`);
    assert.equal(bad?.status(), 400);
    assert.match((await page.locator('#problem').textContent()) ?? '', /not valid/);
    await page.screenshot({ path: join(RESULTS, 'preference-page-bad-link.png'), fullPage: true });
    await context.close();
  });
});
