import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { leadDetailSchema, leadListSchema } from '../src/http/schemas.ts';
import { leadInputSchema } from '../src/leads/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { eventually, testWorkspace } from './support/runtime.ts';

describe('OpenAPI document and docs page', () => {
  const app = useTestApp('sqlite');

  it('describes every registered route, from the schemas that validate requests', async () => {
    const response = await call(app.http.app, 'GET', '/openapi.json');
    assert.equal(response.status, 200);
    const doc = response.body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { operationId: string; requestBody?: { content: Record<string, { schema: unknown }> } }
        >
      >;
    };
    assert.equal(doc.openapi, '3.1.0');
    const operations = Object.values(doc.paths).flatMap((p) => Object.values(p));
    const ids = operations.map((o) => o.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
    assert.deepEqual(ids.sort(), app.http.catalog.map((r) => r.operationId).sort());
    const createLead = doc.paths['/v1/leads']?.post;
    const { $schema: _s, ...expected } = z.toJSONSchema(leadInputSchema, { io: 'input' }) as Record<
      string,
      unknown
    >;
    assert.deepEqual(createLead?.requestBody?.content['application/json']?.schema, expected);
    assert.ok(doc.paths['/v1/leads/{id}']?.get, 'path parameters use OpenAPI syntax');
  });

  it('serves a docs page', async () => {
    const page = await app.http.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
  });

  it('answers with bodies that match the documented response schemas', async () => {
    const created = await testWorkspace(app.runtime, 'Docs');
    app.runtime.startWorkers(1);
    const accepted = await call(app.http.app, 'POST', '/v1/leads', {
      key: created.apiKey,
      body: {
        email: 'schema@check.example.com',
        consent: {
          purposes: ['marketing'],
          textVersion: 'v1',
          timestamp: '2026-11-01T00:00:00Z',
          method: 'form',
        },
      },
    });
    const leadId = await eventually(
      async () =>
        ((await call(app.http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: created.apiKey }))
          .body.leadId as string | null) ?? undefined,
    );
    leadDetailSchema.parse(
      (await call(app.http.app, 'GET', `/v1/leads/${leadId}`, { key: created.apiKey })).body,
    );
    leadListSchema.parse((await call(app.http.app, 'GET', '/v1/leads', { key: created.apiKey })).body);
  });
});
