import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveConsentState } from './consent-ledger.ts';
import { addBusinessDays, addMonths, deadlinesFor } from './deadlines.ts';
import { createPreferenceTokens } from './preference-token.ts';

const at = (iso: string) => Date.parse(iso);

describe('privacy deadlines', () => {
  it('gives GDPR one calendar month (clamped at month end) extendable by two, CCPA 45 days extendable by 45', () => {
    assert.equal(
      new Date(addMonths(at('2026-01-31T09:00:00Z'), 1)).toISOString(),
      '2026-02-28T09:00:00.000Z',
    );
    const gdpr = deadlinesFor('gdpr', at('2026-12-06T10:00:00Z'));
    assert.equal(new Date(gdpr.dueAt).toISOString(), '2027-01-06T10:00:00.000Z');
    assert.equal(new Date(gdpr.extendedDueAt).toISOString(), '2027-03-06T10:00:00.000Z');
    const ccpa = deadlinesFor('ccpa', at('2026-12-06T10:00:00Z'));
    assert.equal(ccpa.dueAt - at('2026-12-06T10:00:00Z'), 45 * 86_400_000);
    assert.equal(ccpa.extendedDueAt - at('2026-12-06T10:00:00Z'), 90 * 86_400_000);
  });

  it('confirms within 10 business days, skipping weekends', () => {
    // Sunday 6 Dec 2026 + 10 business days = Friday 18 Dec.
    assert.equal(
      new Date(addBusinessDays(at('2026-12-06T10:00:00Z'), 10)).toISOString(),
      '2026-12-18T10:00:00.000Z',
    );
    assert.equal(
      new Date(deadlinesFor('ccpa', at('2026-12-07T10:00:00Z')).ackDueAt).toISOString(),
      '2026-12-21T10:00:00.000Z',
    );
  });
});

describe('consent state', () => {
  const entry = (
    purpose: string,
    action: 'grant' | 'withdraw',
    occurredAt: number,
    method = 'api',
    gpc = false,
  ) => ({
    id: `con_${occurredAt}_${purpose}`,
    leadId: 'lead_x',
    purpose,
    action,
    noticeVersion: 'v1',
    noticeHash: null,
    method,
    source: 'api',
    gpc,
    evidence: null,
    occurredAt,
    recordedAt: occurredAt,
  });

  it('derives the latest entry per purpose by time of occurrence, whatever the order recorded', () => {
    const state = deriveConsentState('lead_x', [
      entry('email_marketing', 'withdraw', 20),
      entry('email_marketing', 'grant', 10),
    ]);
    assert.equal(state.purposes.email_marketing?.allowed, false);
    assert.equal(state.purposes.email_marketing?.since, 20);
  });

  it('assumes nothing for contact and sale, legitimate interest for profiling; restriction stops profiling', () => {
    const empty = deriveConsentState('lead_x', []);
    assert.equal(empty.purposes.email_marketing?.allowed, false);
    assert.equal(empty.purposes.sale_or_share?.allowed, false);
    assert.equal(empty.saleOrShareOptOut, false, 'no opt-out recorded yet');
    assert.equal(empty.profilingAllowed, true);
    const restricted = deriveConsentState('lead_x', [entry('processing', 'withdraw', 5)]);
    assert.equal(restricted.restricted, true);
    assert.equal(restricted.profilingAllowed, false);
    const gpc = deriveConsentState('lead_x', [entry('sale_or_share', 'withdraw', 5, 'gpc', true)]);
    assert.equal(gpc.saleOrShareOptOut, true);
    assert.equal(gpc.gpc, true);
  });
});

describe('preference tokens', () => {
  const key = Buffer.alloc(32, 7);
  let now = at('2026-12-06T10:00:00Z');
  const tokens = createPreferenceTokens({ masterKey: key, clock: { now: () => now } });
  const claims = { workspaceId: 'ws_01KC0000000000000000000000', leadId: 'lead_01KC0000000000000000000001' };

  it('round-trips a short, opaque link and refuses tampering, other keys and expiry', () => {
    const { token } = tokens.issue(claims, 86_400_000);
    assert.ok(token.length < 100, `${token.length} characters`);
    const verified = tokens.verify(token);
    assert.ok(verified.ok);
    assert.equal(verified.value.leadId, claims.leadId);
    const other = createPreferenceTokens({ masterKey: Buffer.alloc(32, 8), clock: { now: () => now } });
    assert.deepEqual(other.verify(token), { ok: false, error: 'bad_signature' });
    const swapped = token.replace('0000000000001', '0000000000002');
    assert.deepEqual(tokens.verify(swapped), { ok: false, error: 'bad_signature' });
    assert.deepEqual(tokens.verify('not-a-token'), { ok: false, error: 'malformed' });
    now += 2 * 86_400_000;
    assert.deepEqual(tokens.verify(token), { ok: false, error: 'expired' });
  });
});
