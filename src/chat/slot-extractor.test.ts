import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOfflineExtractor } from './offline-extractor.ts';
import {
  createFallbackExtractor,
  type Extraction,
  type ExtractionContext,
  extractionSchema,
  type FallbackReason,
  type SlotExtractor,
} from './slot-extractor.ts';

const context: ExtractionContext = {
  fields: [
    { slot: 'budget', type: 'money', keywords: [], defaultCurrency: 'USD' },
    { slot: 'authority', type: 'role', keywords: [], subject: 'self' },
    {
      slot: 'plan',
      type: 'enum',
      keywords: [],
      options: [
        { value: 'pro', words: ['pro'] },
        { value: 'team', words: ['team'] },
      ],
    },
  ],
  expecting: 'budget',
  now: Date.UTC(2026, 10, 28),
  language: 'en',
  filled: {},
};

const model = (answer: (signal?: AbortSignal) => Promise<unknown>): SlotExtractor => ({
  name: 'fake-model',
  extract: (_text, _context, signal) => answer(signal) as Promise<Extraction>,
});

function withFallback(primary: SlotExtractor, timeoutMs = 50) {
  const reasons: FallbackReason[] = [];
  const extractor = createFallbackExtractor({
    primary,
    fallback: createOfflineExtractor(),
    timeoutMs,
    onFallback: (reason) => reasons.push(reason),
  });
  return { extractor, reasons };
}

describe('createFallbackExtractor', () => {
  it("returns the model's answer when it is valid for the slot schemas", async () => {
    const { extractor, reasons } = withFallback(
      model(async () => ({
        slots: { budget: { min: 10, max: 20, currency: 'EUR' }, authority: 'vp' },
        correction: false,
      })),
    );
    const result = await extractor.extract('whatever', context);
    assert.deepEqual(result.slots, { budget: { min: 10, max: 20, currency: 'EUR' }, authority: 'vp' });
    assert.deepEqual(reasons, []);
  });

  it('falls back to the offline extractor when the model output fails validation', async () => {
    const { extractor, reasons } = withFallback(model(async () => ({ slots: { authority: 'emperor' } })));
    const result = await extractor.extract('about 15000', context);
    assert.deepEqual(result.slots, {
      budget: { min: 15_000, max: 15_000, currency: 'USD', period: 'one_off' },
    });
    assert.deepEqual(reasons, ['invalid_output']);
  });

  it('rejects enum values that are not options and unknown slots', async () => {
    for (const slots of [{ plan: 'enterprise' }, { color: 'blue' }]) {
      const { extractor, reasons } = withFallback(model(async () => ({ slots })));
      await extractor.extract('about 15000', context);
      assert.deepEqual(reasons, ['invalid_output']);
    }
  });

  it('falls back when the model throws', async () => {
    const { extractor, reasons } = withFallback(
      model(async () => {
        throw new Error('rate limited');
      }),
    );
    const result = await extractor.extract('about 15000', context);
    assert.equal(result.slots.budget !== undefined, true);
    assert.deepEqual(reasons, ['error']);
  });

  it('falls back on timeout and aborts the model call', async () => {
    let aborted = false;
    const { extractor, reasons } = withFallback(
      model(
        (signal) =>
          new Promise((_resolve, reject) => {
            signal?.addEventListener('abort', () => {
              aborted = true;
              reject(signal.reason);
            });
          }),
      ),
      20,
    );
    const result = await extractor.extract('about 15000', context);
    assert.deepEqual(result.slots, {
      budget: { min: 15_000, max: 15_000, currency: 'USD', period: 'one_off' },
    });
    assert.deepEqual(reasons, ['timeout']);
    assert.equal(aborted, true);
  });

  it("propagates the caller's abort instead of falling back", async () => {
    const controller = new AbortController();
    const { extractor, reasons } = withFallback(
      model(
        (signal) =>
          new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
      ),
      1_000,
    );
    const pending = extractor.extract('about 15000', context, controller.signal);
    controller.abort(new Error('visitor left'));
    await assert.rejects(pending, /visitor left/);
    assert.deepEqual(reasons, []);
  });

  it('builds a schema with one optional property per slot', () => {
    const schema = extractionSchema(context);
    assert.equal(schema.safeParse({ slots: {} }).success, true);
    assert.equal(schema.safeParse({ slots: { budget: { min: 5, max: 1, currency: 'USD' } } }).success, false);
  });
});
