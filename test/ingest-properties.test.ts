import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { signWebhook } from '../src/ingest/index.ts';
import { useTestApp } from './support/app.ts';
import { testWorkspace } from './support/runtime.ts';

const fieldValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.emailAddress(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
const leadish = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'email',
      'name',
      'phone',
      'company',
      'title',
      'country',
      'source',
      'utm',
      'consent',
      'attributes',
    ),
    fc.string(),
  ),
  fieldValue,
  { maxKeys: 8 },
);
const body = fc.oneof(
  leadish.map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constant(''),
  fc.constant('{"email": "a@b.co"'),
  fc.json(),
);

describe('ingest routes under arbitrary input (property)', () => {
  const app = useTestApp('sqlite');
  let ws: { workspaceId: string; apiKey: string; webhookSecret: string };
  const count = async () =>
    Number(
      (
        await app.runtime.inspect
          .selectFrom('events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  before(async () => {
    ws = await testWorkspace(app.runtime, 'Props');
    await app.runtime.tenants.updateSettings(
      ws.workspaceId,
      { rateLimit: { perSecond: 100_000, burst: 100_000 } },
      { type: 'system', id: 'test' },
    );
  });

  it('POST /v1/leads never answers 5xx, and stores exactly one event per 202 and none otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.option(fc.string({ maxLength: 300 })),
        fc.constantFrom('application/json', 'text/plain', 'application/vnd.api+json'),
        async (payload, key, type) => {
          const before = await count();
          const headers: Record<string, string> = {
            authorization: `Bearer ${ws.apiKey}`,
            'content-type': type,
          };
          if (key !== null) headers['idempotency-key'] = key;
          const response = await app.http.app.inject({ method: 'POST', url: '/v1/leads', headers, payload });
          assert.ok(response.statusCode < 500, `${response.statusCode}: ${response.body}`);
          const after = await count();
          if (response.statusCode === 202 && response.headers['idempotent-replayed'] !== 'true')
            assert.equal(after, before + 1);
          else assert.equal(after, before, `${response.statusCode} wrote an event`);
          if (response.statusCode >= 400)
            assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the webhook route never answers 5xx for arbitrary headers and bodies, and writes only when the signature is valid', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.string({ maxLength: 60 }),
        fc.oneof(fc.string({ maxLength: 15 }), fc.integer().map(String)),
        fc.boolean(),
        async (payload, id, timestamp, sign) => {
          const before = await count();
          const now = String(Math.floor(Date.now() / 1000));
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'webhook-id': id || 'x',
            'webhook-timestamp': sign ? now : timestamp,
          };
          headers['webhook-signature'] = sign
            ? signWebhook(ws.webhookSecret, id || 'x', Number(now), payload)
            : `v1,${Buffer.from(payload.slice(0, 20)).toString('base64')}`;
          const response = await app.http.app.inject({
            method: 'POST',
            url: `/v1/webhooks/${ws.workspaceId}/leads`,
            headers,
            payload,
          });
          assert.ok(response.statusCode < 500, `${response.statusCode}: ${response.body}`);
          if (!sign) assert.equal(response.statusCode === 202, false);
          const after = await count();
          if (response.statusCode === 202 && response.headers['webhook-replayed'] !== 'true')
            assert.equal(after, before + 1);
          else assert.equal(after, before);
        },
      ),
      { numRuns: 150 },
    );
  });
});
