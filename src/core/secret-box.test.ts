import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSecretBox, generateSecretKey, isSealed } from './secret-box.ts';

describe('secret box', () => {
  const box = createSecretBox(generateSecretKey());

  it('opens what it sealed, and never seals the same value to the same text twice', () => {
    const a = box.seal('whsec_abc', 'ws_1');
    const b = box.seal('whsec_abc', 'ws_1');
    assert.notEqual(a, b);
    assert.ok(isSealed(a));
    assert.equal(box.open(a, 'ws_1'), 'whsec_abc');
    assert.ok(!a.includes('whsec_abc'));
  });

  it('refuses another context, another key and any flipped byte', () => {
    const sealed = box.seal('secret', 'ws_1');
    assert.throws(() => box.open(sealed, 'ws_2'));
    assert.throws(() => createSecretBox(generateSecretKey()).open(sealed, 'ws_1'));
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'ws_1'));
    assert.throws(() => box.open('plain', 'ws_1'));
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => createSecretBox(new Uint8Array(16)));
  });
});
