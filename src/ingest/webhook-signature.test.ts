import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SIGNATURE_TOLERANCE_SECONDS, signWebhook, verifyWebhook } from './webhook-signature.ts';

// The Standard Webhooks / Svix published test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const at = (seconds: number) => seconds * 1000;

describe('webhook signatures (Standard Webhooks)', () => {
  it('reproduces the published test vector', () => {
    assert.equal(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
  });

  it('verifies the published vector, also among other signatures in the header', () => {
    const headers = {
      id: VECTOR.id,
      timestamp: String(VECTOR.timestamp),
      signature: `v1,bm9wZQ== v2,abc ${VECTOR.signature}`,
    };
    const result = verifyWebhook(headers, VECTOR.body, [VECTOR.secret], at(VECTOR.timestamp));
    assert.deepEqual(result, { ok: true, value: { id: VECTOR.id, timestamp: VECTOR.timestamp } });
  });

  it('rejects a body changed by one byte', () => {
    const headers = { id: VECTOR.id, timestamp: String(VECTOR.timestamp), signature: VECTOR.signature };
    const result = verifyWebhook(headers, '{"test": 2432232315}', [VECTOR.secret], at(VECTOR.timestamp));
    assert.deepEqual(result, { ok: false, error: { reason: 'no_match' } });
  });

  it('rejects a signature made with another secret', () => {
    const other = 'whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXkhIQ==';
    const headers = {
      id: VECTOR.id,
      timestamp: String(VECTOR.timestamp),
      signature: signWebhook(other, VECTOR.id, VECTOR.timestamp, VECTOR.body),
    };
    assert.equal(verifyWebhook(headers, VECTOR.body, [VECTOR.secret], at(VECTOR.timestamp)).ok, false);
  });

  it('accepts the old secret during a rotation overlap by trying every active secret', () => {
    const next = 'whsec_bmV3IHNlY3JldCBhZnRlciByb3RhdGlvbiEhIQ==';
    const headers = { id: VECTOR.id, timestamp: String(VECTOR.timestamp), signature: VECTOR.signature };
    assert.equal(verifyWebhook(headers, VECTOR.body, [next, VECTOR.secret], at(VECTOR.timestamp)).ok, true);
  });

  it('rejects timestamps older or newer than the tolerance, and accepts the edges', () => {
    const headers = { id: VECTOR.id, timestamp: String(VECTOR.timestamp), signature: VECTOR.signature };
    const edge = SIGNATURE_TOLERANCE_SECONDS;
    assert.equal(verifyWebhook(headers, VECTOR.body, [VECTOR.secret], at(VECTOR.timestamp + edge)).ok, true);
    assert.equal(verifyWebhook(headers, VECTOR.body, [VECTOR.secret], at(VECTOR.timestamp - edge)).ok, true);
    assert.deepEqual(verifyWebhook(headers, VECTOR.body, [VECTOR.secret], at(VECTOR.timestamp + edge + 1)), {
      ok: false,
      error: { reason: 'timestamp_too_old', skewSeconds: edge + 1 },
    });
    assert.deepEqual(verifyWebhook(headers, VECTOR.body, [VECTOR.secret], at(VECTOR.timestamp - edge - 1)), {
      ok: false,
      error: { reason: 'timestamp_in_future', skewSeconds: edge + 1 },
    });
  });

  it('names the missing or malformed header', () => {
    const now = at(VECTOR.timestamp);
    assert.deepEqual(
      verifyWebhook({ id: undefined, timestamp: '1', signature: 'x' }, '', [VECTOR.secret], now),
      { ok: false, error: { reason: 'missing_header', header: 'webhook-id' } },
    );
    assert.deepEqual(
      verifyWebhook({ id: 'a', timestamp: undefined, signature: 'x' }, '', [VECTOR.secret], now),
      { ok: false, error: { reason: 'missing_header', header: 'webhook-timestamp' } },
    );
    assert.deepEqual(
      verifyWebhook({ id: 'a', timestamp: '1', signature: undefined }, '', [VECTOR.secret], now),
      { ok: false, error: { reason: 'missing_header', header: 'webhook-signature' } },
    );
    assert.deepEqual(
      verifyWebhook({ id: 'a', timestamp: '12.5', signature: 'v1,x' }, '', [VECTOR.secret], now),
      { ok: false, error: { reason: 'bad_timestamp' } },
    );
    assert.deepEqual(
      verifyWebhook(
        { id: 'a', timestamp: String(VECTOR.timestamp), signature: 'v2,abc' },
        '',
        [VECTOR.secret],
        now,
      ),
      { ok: false, error: { reason: 'no_v1_signature' } },
    );
  });
});
