import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { signWebhook } from '../src/ingest/index.ts';
import { useTestApp } from './support/app.ts';
import { call, sendWebhook } from './support/http.ts';
import { DIALECTS, eventually, testWorkspace } from './support/runtime.ts';

const lead = {
  email: 'grace@navy.example.org',
  name: 'Grace Hopper',
  title: 'Director of Engineering',
  company: 'Navy',
};

for (const dialect of DIALECTS) {
  describe(`ingestion (${dialect})`, () => {
    const app = useTestApp(dialect);
    let ws: { workspaceId: string; apiKey: string; webhookSecret: string };

    before(async () => {
      ws = await testWorkspace(app.runtime, 'Acme');
    });

    const count = async (table: 'events' | 'jobs' | 'idempotency_keys') =>
      Number(
        (
          await app.runtime.inspect
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('accepts a signed webhook with 202 and stores the event and its job before answering', async () => {
      const response = await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, lead);
      assert.equal(response.status, 202);
      const eventId = response.body.eventId as string;
      assert.match(eventId, /^evt_/);
      const stored = await app.runtime.inspect
        .selectFrom('events')
        .selectAll()
        .where('id', '=', eventId)
        .executeTakeFirstOrThrow();
      assert.equal(stored.status, 'accepted');
      assert.equal(stored.workspace_id, ws.workspaceId);
      const job = await app.runtime.inspect
        .selectFrom('jobs')
        .selectAll()
        .where('payload', 'like', `%${eventId}%`)
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(job.payload), { eventId });
    });

    it('answers a replayed webhook-id with the original response and stores nothing new', async () => {
      const first = await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, lead, {
        id: 'msg_replay_1',
      });
      const events = await count('events');
      const replay = await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, lead, {
        id: 'msg_replay_1',
      });
      assert.equal(replay.status, 202);
      assert.deepEqual(replay.body, first.body);
      assert.equal(replay.headers['webhook-replayed'], 'true');
      assert.equal(await count('events'), events);
    });

    it('rejects a bad signature, an expired timestamp and missing headers with 401 naming the header', async () => {
      const raw = JSON.stringify(lead);
      const now = Math.floor(Date.now() / 1000);
      const forged = await app.http.app.inject({
        method: 'POST',
        url: `/v1/webhooks/${ws.workspaceId}/leads`,
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_x',
          'webhook-timestamp': String(now),
          'webhook-signature': signWebhook('whsec_d3Jvbmcgc2VjcmV0IGZvciB0ZXN0aW5nIQ==', 'msg_x', now, raw),
        },
        payload: raw,
      });
      assert.equal(forged.statusCode, 401);
      assert.equal(forged.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(JSON.parse(forged.body).errors[0].field, 'header.webhook-signature');

      const old = await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, lead, {
        timestamp: now - 301,
      });
      assert.equal(old.status, 401);
      assert.equal(old.body.errors?.[0]?.field, 'header.webhook-timestamp');

      const missing = await app.http.app.inject({
        method: 'POST',
        url: `/v1/webhooks/${ws.workspaceId}/leads`,
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
      assert.equal(missing.statusCode, 401);
      assert.equal(JSON.parse(missing.body).errors[0].field, 'header.webhook-id');
    });

    it('answers 404 for an unknown workspace', async () => {
      const response = await sendWebhook(
        app.http.app,
        'ws_01M8GMDSZ7A0KEFJKE1S8CK68M',
        ws.webhookSecret,
        lead,
      );
      assert.equal(response.status, 404);
      assert.equal(response.body.errors?.[0]?.field, 'path.workspaceId');
    });

    it('keeps verifying the previous secret during a rotation overlap, and stops with no overlap', async () => {
      const rotate = (overlapSeconds: number) =>
        app.runtime.tenants.rotateSecret({
          workspaceId: ws.workspaceId,
          overlapSeconds,
          actor: { type: 'system', id: 'test' },
        });
      const statusWith = async (secret: string) =>
        (await sendWebhook(app.http.app, ws.workspaceId, secret, lead)).status;
      const rotated = await rotate(3600);
      assert.equal(await statusWith(ws.webhookSecret), 202);
      assert.equal(await statusWith(rotated.secret), 202);
      const again = await rotate(0);
      assert.equal(await statusWith(rotated.secret), 401);
      assert.equal(await statusWith(ws.webhookSecret), 401);
      assert.equal(await statusWith(again.secret), 202);
      ws.webhookSecret = again.secret;
    });

    it('implements Idempotency-Key: same body replays, another body is 422', async () => {
      const headers = { 'idempotency-key': 'order-42' };
      const first = await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body: lead, headers });
      assert.equal(first.status, 202);
      const events = await count('events');
      const replay = await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body: lead, headers });
      assert.equal(replay.status, 202);
      assert.deepEqual(replay.body, first.body);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      const other = await call(app.http.app, 'POST', '/v1/leads', {
        key: ws.apiKey,
        body: { ...lead, name: 'Someone Else' },
        headers,
      });
      assert.equal(other.status, 422);
      assert.equal(other.body.errors?.[0]?.field, 'header.idempotency-key');
      assert.equal(await count('events'), events);
    });

    it('answers 409 to a second request with the same key while the first is in flight', async () => {
      const headers = { 'idempotency-key': 'concurrent-1' };
      const [a, b] = await Promise.all([
        call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body: lead, headers }),
        call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body: lead, headers }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [202, 409]);
      const conflict = a.status === 409 ? a : b;
      assert.equal(conflict.headers['retry-after'], '1');
    });

    it('gives each kind of bad input its own problem+json answer and writes nothing', async () => {
      const before = {
        events: await count('events'),
        jobs: await count('jobs'),
        keys: await count('idempotency_keys'),
      };
      const cases: [string, Parameters<typeof call>[3], number, string][] = [
        [
          'malformed JSON',
          {
            key: ws.apiKey,
            body: '{"email": ',
            headers: { 'idempotency-key': 'bad-1' },
          },
          400,
          'body',
        ],
        ['wrong type', { key: ws.apiKey, body: { email: 42 } }, 400, 'body.email'],
        [
          'unknown field',
          {
            key: ws.apiKey,
            body: { email: 'a@b.co', emial: 'x' },
          },
          400,
          'body.emial',
        ],
        ['invalid email', { key: ws.apiKey, body: { email: 'nope' } }, 400, 'body.email'],
        ['invalid phone', { key: ws.apiKey, body: { phone: '12' } }, 400, 'body.phone'],
        ['neither email nor phone', { key: ws.apiKey, body: { name: 'x' } }, 400, 'body.email'],
        [
          'bad consent timestamp',
          {
            key: ws.apiKey,
            body: {
              email: 'a@b.co',
              consent: { purposes: ['marketing'], textVersion: 'v1', timestamp: 'yesterday', method: 'form' },
            },
          },
          400,
          'body.consent.timestamp',
        ],
        [
          'not JSON',
          {
            key: ws.apiKey,
            body: 'email=a@b.co',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
          415,
          'header.content-type',
        ],
        [
          'too large',
          {
            key: ws.apiKey,
            body: { email: 'a@b.co', attributes: { blob: 'x'.repeat(300 * 1024) } },
          },
          413,
          'body',
        ],
        ['no key', { body: lead }, 401, 'header.authorization'],
        ['unknown key', { key: 'll_admin_nope', body: lead }, 401, 'header.authorization'],
      ];
      for (const [name, request, status, field] of cases) {
        const response = await call(app.http.app, 'POST', '/v1/leads', request);
        assert.equal(response.status, status, `${name}: ${JSON.stringify(response.body)}`);
        assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8', name);
        assert.equal(response.body.status, status, name);
        assert.ok(
          response.body.errors?.some((e) => e.field === field),
          `${name}: expected field ${field} in ${JSON.stringify(response.body.errors)}`,
        );
        assert.equal(typeof response.body.detail, 'string');
      }
      assert.deepEqual(
        { events: await count('events'), jobs: await count('jobs'), keys: await count('idempotency_keys') },
        before,
      );
    });

    it('says where custom data goes when a lead has an unknown field', async () => {
      const response = await call(app.http.app, 'POST', '/v1/leads', {
        key: ws.apiKey,
        body: { email: 'a@b.co', industry: 'saas' },
      });
      assert.equal(response.status, 400);
      const issue = response.body.errors?.find((e) => e.field === 'body.industry');
      assert.match(issue?.reason ?? '', /^is not a known field; .*send custom fields inside attributes/);
      assert.match(
        issue?.reason ?? '',
        /email, name, phone, company, title, country, source, utm, consent, attributes/,
      );
    });

    it('refuses a read-only key on the ingest route with 403', async () => {
      const reader = await app.runtime.tenants.createApiKey({
        workspaceId: ws.workspaceId,
        scope: 'read',
        actor: { type: 'system', id: 'test' },
      });
      const response = await call(app.http.app, 'POST', '/v1/leads', { key: reader.key, body: lead });
      assert.equal(response.status, 403);
      assert.equal(response.body.code, 'forbidden');
    });

    it('rate-limits a workspace with 429 and Retry-After, without affecting another workspace', async () => {
      const small = await testWorkspace(app.runtime, 'Small');
      await app.runtime.tenants.updateSettings(
        small.workspaceId,
        { rateLimit: { perSecond: 1, burst: 2 } },
        { type: 'system', id: 'test' },
      );
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await call(app.http.app, 'POST', '/v1/leads', { key: small.apiKey, body: lead })).status,
        );
      assert.deepEqual(statuses, [202, 202, 429, 429]);
      const limited = await call(app.http.app, 'POST', '/v1/leads', { key: small.apiKey, body: lead });
      assert.equal(limited.headers['retry-after'], '1');
      assert.equal(limited.body.code, 'rate_limited');
      assert.equal(
        (await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body: lead })).status,
        202,
      );
    });

    it('answers 503 with Retry-After while starting or draining, and stores nothing', async () => {
      const events = await count('events');
      for (const state of ['starting', 'draining'] as const) {
        app.runtime.lifecycle.set(state);
        const api = await call(app.http.app, 'POST', '/v1/leads', { key: ws.apiKey, body: lead });
        const hook = await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, lead);
        assert.equal(api.status, 503);
        assert.equal(hook.status, 503);
        assert.equal(api.headers['retry-after'], '5');
        const ready = await call(app.http.app, 'GET', '/readyz');
        assert.equal(ready.status, 503);
      }
      app.runtime.lifecycle.set('ready');
      assert.equal(await count('events'), events);
      assert.equal((await call(app.http.app, 'GET', '/readyz')).status, 200);
    });

    it('processes accepted events: GET /v1/events/{id} moves from accepted to processed with the lead id', async () => {
      const accepted = await call(app.http.app, 'POST', '/v1/leads', {
        key: ws.apiKey,
        body: { email: 'status@check.example.com' },
      });
      const eventId = accepted.body.eventId as string;
      const before = await call(app.http.app, 'GET', `/v1/events/${eventId}`, { key: ws.apiKey });
      assert.equal(before.body.status, 'accepted');
      assert.equal(before.body.leadId, null);
      app.runtime.startWorkers(4);
      const processed = await eventually(async () => {
        const response = await call(app.http.app, 'GET', `/v1/events/${eventId}`, { key: ws.apiKey });
        return response.body.status === 'processed' ? response : undefined;
      });
      assert.match(processed.body.leadId as string, /^lead_/);
      await app.runtime.stopWorkers();
    });
  });
}
