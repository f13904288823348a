import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APICallError } from '@ai-sdk/provider';
import { isRetryableModelError, serverRetryDelayMs } from './retry.ts';

function apiError(
  statusCode: number | undefined,
  headers?: Record<string, string>,
  isRetryable?: boolean,
): APICallError {
  return new APICallError({
    message: `status ${statusCode}`,
    url: 'http://127.0.0.1/v1/chat/completions',
    requestBodyValues: {},
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(headers === undefined ? {} : { responseHeaders: headers }),
    ...(isRetryable === undefined ? {} : { isRetryable }),
  });
}

describe('retry classification', () => {
  test('retries 408, 409, 429, 5xx and network failures but not other 4xx or non-API errors', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 529])
      assert.equal(isRetryableModelError(apiError(status)), true, `${status}`);
    for (const status of [400, 401, 403, 404, 422])
      assert.equal(isRetryableModelError(apiError(status)), false, `${status}`);
    assert.equal(isRetryableModelError(apiError(undefined, undefined, true)), true, 'network failure');
    assert.equal(isRetryableModelError(new Error('boom')), false);
  });

  test('reads the wait a server asks for from retry-after-ms, retry-after seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 10, 28, 12, 0, 0);
    assert.equal(serverRetryDelayMs(apiError(429, { 'retry-after-ms': '250' }), now), 250);
    assert.equal(serverRetryDelayMs(apiError(429, { 'retry-after': '2' }), now), 2000);
    assert.equal(
      serverRetryDelayMs(apiError(503, { 'retry-after': 'Sat, 28 Nov 2026 12:00:30 GMT' }), now),
      30_000,
    );
    assert.equal(serverRetryDelayMs(apiError(503, {}), now), undefined);
    assert.equal(serverRetryDelayMs(new Error('x'), now), undefined);
  });
});
