import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLoopShare } from './loop-share.ts';

test('requests get three times a set’s time while the pipeline keeps up', () => {
  const share = createLoopShare();
  share.observe(false);
  assert.equal(share.pause(4), 12);
});

test('a lasting backlog hands the sets most of the loop, and it comes back once the backlog is gone', () => {
  const share = createLoopShare();
  for (let i = 0; i < 100; i++) share.observe(true);
  assert.equal(share.factor, 0.25);
  assert.equal(share.pause(4), 1);
  share.observe(false);
  assert.ok(share.factor > 0.25 && share.factor < 3);
  for (let i = 0; i < 100; i++) share.observe(false);
  assert.equal(share.factor, 3);
});
