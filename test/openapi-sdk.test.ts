import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { generateSdk } from '../web/sdk/generate.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';

describe('OpenAPI for generators, and the SDK generated from it', () => {
  const app = useTestApp('sqlite');

  it('serves a document that swagger-parser validates, every $ref resolving from the root', async () => {
    const served = (await call(app.http.app, 'GET', '/openapi.json')).body;
    const text = JSON.stringify(served);
    assert.ok(!text.includes('#/$defs/'), 'no schema-local $defs references are left');
    await SwaggerParser.validate(structuredClone(served) as never);
    const schemas = (served.components as { schemas: Record<string, unknown> }).schemas;
    for (const shared of ['Problem', 'Lead', 'LeadDetail', 'AuditEntry'])
      assert.ok(schemas[shared], `components/schemas/${shared}`);
    // The recursive rule condition is one component that refers to itself.
    const recursive = Object.entries(schemas).find(([name, schema]) =>
      JSON.stringify(schema).includes(`"#/components/schemas/${name}"`),
    );
    assert.ok(recursive, 'a self-referring component (the rule condition)');
  });

  it('has committed SDK files that match the current API (run npm run sdk:generate)', async () => {
    const fresh = await generateSdk();
    const dir = join(import.meta.dirname, '..', 'web', 'sdk');
    assert.equal(
      readFileSync(join(dir, 'openapi.json'), 'utf8'),
      fresh.openapi,
      'web/sdk/openapi.json is stale',
    );
    assert.equal(readFileSync(join(dir, 'schema.d.ts'), 'utf8'), fresh.types, 'web/sdk/schema.d.ts is stale');
  });
});
