import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import { signWebhook } from '../src/ingest/index.ts';
import { useTestApp } from './support/app.ts';
import { call, json } from './support/http.ts';

/** The attack run's HTTP findings (issue 12), each reproduced against a running app. */
const SYSTEM = { type: 'system' as const, id: 'abuse-test' };
const METRICS_TOKEN = 'metrics-token-0123456789';
const lead = (email: string) => ({ email, title: 'CEO', company: 'Acme' });

describe('abuse paths', () => {
  const app = useTestApp('sqlite', { runtime: { config: { LEADLOOP_METRICS_TOKEN: METRICS_TOKEN } } });
  const ws = { id: '', key: '', secret: '', widget: '' };

  function webhook(options: { from: string; secret?: string; id?: string; workspaceId?: string }) {
    const raw = JSON.stringify(lead(`hook-${Math.random()}@acme.example.com`));
    const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    return app.http.app
      .inject({
        method: 'POST',
        url: `/v1/webhooks/${options.workspaceId ?? ws.id}/leads`,
        remoteAddress: options.from,
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': options.secret
            ? signWebhook(options.secret, id, timestamp, raw)
            : 'v1,bm90IGEgc2lnbmF0dXJl',
        },
        payload: raw,
      })
      .then(json);
  }

  before(async () => {
    const created = await app.runtime.tenants.createWorkspace({ name: 'Target', actor: SYSTEM });
    Object.assign(ws, {
      id: created.workspace.id,
      key: created.apiKey,
      secret: created.webhookSecret,
      widget: created.widgetKey,
    });
  });

  it('unsigned webhooks throttle their sender, not the workspace: its real webhooks and API still answer 202', async () => {
    await app.runtime.tenants.updateSettings(ws.id, { rateLimit: { perSecond: 1, burst: 3 } }, SYSTEM);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const { status } = await webhook({ from: '203.0.113.66' });
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    assert.equal(statuses.get(401), 30, 'the address’s failure budget');
    assert.equal(statuses.get(429), 170, 'then its own bucket refuses it');
    const real = await webhook({ from: '198.51.100.7', secret: ws.secret });
    assert.equal(real.status, 202, JSON.stringify(real.body));
    const api = await app.http.app
      .inject({
        method: 'POST',
        url: '/v1/leads',
        remoteAddress: '198.51.100.8',
        headers: { authorization: `Bearer ${ws.key}`, 'content-type': 'application/json' },
        payload: JSON.stringify(lead('api@acme.example.com')),
      })
      .then(json);
    assert.equal(api.status, 202, JSON.stringify(api.body));
    await app.runtime.tenants.updateSettings(ws.id, {}, SYSTEM);
  });

  it('unknown API keys are limited per client address, before any lookup', async () => {
    const from = '203.0.113.9';
    const answers: number[] = [];
    for (let i = 0; i < 35; i++) {
      const response = await app.http.app.inject({
        method: 'GET',
        url: '/v1/leads',
        remoteAddress: from,
        headers: { authorization: `Bearer ll_admin_guess${i}` },
      });
      answers.push(response.statusCode);
    }
    assert.deepEqual([...new Set(answers.slice(0, 30))], [401]);
    assert.deepEqual([...new Set(answers.slice(30))], [429]);
    const other = await app.http.app.inject({
      method: 'GET',
      url: '/v1/leads',
      remoteAddress: '198.51.100.9',
      headers: { authorization: `Bearer ${ws.key}` },
    });
    assert.equal(other.statusCode, 200);
  });

  it('checks the workspace id in a webhook URL against its format first: no commas reach the data scope', async () => {
    for (const bad of [`${ws.id},ws_01ANOTHERWORKSPACE0000000000`, 'x'.repeat(64), 'ws_short']) {
      const answer = await webhook({
        from: '198.51.100.20',
        secret: ws.secret,
        workspaceId: encodeURIComponent(bad),
      });
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.body.errors?.[0]?.field, 'path.workspaceId');
    }
  });

  it('rejects a 15 KB webhook-id with 400 naming the header, storing nothing', async () => {
    const answer = await webhook({ from: '198.51.100.21', secret: ws.secret, id: 'm'.repeat(15_000) });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.errors?.[0]?.field, 'header.webhook-id');
  });

  it('answers headers over 16 KiB with a 431 in problem+json', async () => {
    const address = await app.http.app.listen({ port: 0, host: '127.0.0.1' });
    const url = new URL('/v1/leads', address);
    const { status, type, body } = await new Promise<{ status: number; type: string; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(url, { headers: { 'x-padding': 'p'.repeat(20_000) } }, (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    assert.equal(status, 431);
    assert.match(type, /application\/problem\+json/);
    assert.equal(JSON.parse(body).status, 431);
  });

  it('answers an invalid widget origin in the settings with 400 naming the field', async () => {
    const answer = await call(app.http.app, 'PUT', '/v1/workspace/settings', {
      key: ws.key,
      body: { widget: { allowedOrigins: ['not a url'] } },
    });
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.match(answer.body.errors?.[0]?.field ?? '', /^body\.widget\.allowedOrigins\.0/);
  });

  it('enforces the widget origin allow-list on the poll route too', async () => {
    const started = await call(app.http.app, 'POST', '/v1/chat/sessions', {
      body: { widgetKey: ws.widget },
      headers: { origin: 'https://shop.example' },
    });
    assert.equal(started.status, 201);
    await app.runtime.tenants.updateSettings(
      ws.id,
      { widget: { allowedOrigins: ['https://shop.example'] } },
      SYSTEM,
    );
    const poll = (origin: string) =>
      call(app.http.app, 'GET', `/v1/chat/sessions/${started.body.sessionId}/messages`, {
        headers: { origin, 'x-widget-key': ws.widget },
      });
    assert.equal((await poll('https://shop.example')).status, 200);
    const foreign = await poll('https://evil.example');
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.errors?.[0]?.field, 'header.origin');
    await app.runtime.tenants.updateSettings(ws.id, {}, SYSTEM);
  });

  it('serves /metrics only with the token, without workspace ids unless asked', async () => {
    const asked = await call(app.http.app, 'POST', '/v1/council/questions', {
      key: ws.key,
      body: { type: 'segment.strategy', segment: { industry: 'software' } },
    });
    assert.ok(asked.status < 300, JSON.stringify(asked.body));
    assert.equal((await app.http.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
    const scrape = await app.http.app.inject({ method: 'GET', url: '/metrics', headers: auth });
    assert.equal(scrape.statusCode, 200);
    assert.match(scrape.body, /leadloop_http_requests_total/);
    // The council question above is in the server's latency histogram under its route.
    const answered =
      /^leadloop_http_request_duration_seconds_count\{route="\/v1\/council\/questions",method="POST"\} (\d+)$/m.exec(
        scrape.body,
      );
    assert.equal(answered?.[1], '1', scrape.body.slice(0, 400));
    assert.ok(!scrape.body.includes(ws.id), 'a workspace id in the default scrape');
    const detailed = await app.http.app.inject({
      method: 'GET',
      url: '/metrics?workspaces=true',
      headers: auth,
    });
    assert.ok(detailed.body.includes(ws.id), 'per-workspace series when asked');
  });

  it('caps open event streams per key, and stream ids are opaque cursors of one workspace', async () => {
    const other = await app.runtime.tenants.createWorkspace({ name: 'Other', actor: SYSTEM });
    await inWorkspace(other.workspace.id, () =>
      app.runtime.store.transaction((trx) =>
        app.runtime.events.append(trx, other.workspace.id, [
          { type: 'lead.created', subject: 'lead_x', data: {} },
        ]),
      ),
    );
    const address = await app.http.app
      .listen({ port: 0, host: '127.0.0.1' })
      .catch(() => app.http.app.server.address());
    const base =
      typeof address === 'string' ? address : `http://127.0.0.1:${(address as { port: number }).port}`;
    const controller = new AbortController();
    const open = (key: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/events/stream?after=0`, {
        headers: { authorization: `Bearer ${key}`, ...headers },
        signal: controller.signal,
      });
    const streams = [];
    for (let i = 0; i < 10; i++) streams.push(await open(ws.key));
    assert.deepEqual(
      streams.map((s) => s.status),
      Array(10).fill(200),
    );
    const eleventh = await open(ws.key);
    assert.equal(eleventh.status, 429);
    assert.match(eleventh.headers.get('content-type') ?? '', /problem\+json/);
    // The other workspace's stream: its first event id, presented to this workspace's stream.
    const otherStream = await open(other.apiKey);
    const reader = (otherStream.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/id: (\S+)/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    const foreignId = /id: (\S+)/.exec(text)?.[1] as string;
    assert.doesNotMatch(foreignId, /^\d+$/, 'ids are not bare positions');
    controller.abort();
    app.http.closeStreams();
    await new Promise((r) => setTimeout(r, 50));
    const resumed = await fetch(`${base}/v1/events/stream`, {
      headers: { authorization: `Bearer ${ws.key}`, 'last-event-id': foreignId },
    });
    assert.equal(resumed.status, 400);
    assert.equal(
      ((await resumed.json()) as { errors: { field: string }[] }).errors[0]?.field,
      'header.last-event-id',
    );
  });
});
