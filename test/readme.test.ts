import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { banner } from '../src/main/demo.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { eventually, testWorkspace } from './support/runtime.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The README's quick-start example must keep working: it is what a newcomer pastes first. */
describe('README quick start', () => {
  const app = useTestApp('sqlite', { workers: 2 });

  it('shows the same curl example the server prints, and that example qualifies a lead', async () => {
    const body = /-d '(\{"email".*\})'/.exec(readme)?.[1];
    assert.ok(body, 'the README has a curl -d example');
    const printed = banner('http://127.0.0.1:3000', 'data/leadloop.db', {
      workspaceId: 'ws_x',
      organisationId: 'org_x',
      apiKey: 'k',
      webhookSecret: 's',
      widgetKey: 'pk_x',
    });
    assert.ok(printed.includes(body), 'README and banner show the same example');
    const created = await testWorkspace(app.runtime, 'Readme');
    const accepted = await call(app.http.app, 'POST', '/v1/leads', { key: created.apiKey, body });
    assert.equal(accepted.status, 202);
    const lead = await eventually(async () => {
      const list = await call(app.http.app, 'GET', '/v1/leads', { key: created.apiKey });
      return (list.body.items as { status: string; score: number }[])[0];
    });
    assert.equal(lead.status, 'qualified');
  });

  it('names only npm scripts that exist', () => {
    const scripts = Object.keys(
      (
        JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
          scripts: Record<string, string>;
        }
      ).scripts,
    );
    for (const [, name] of readme.matchAll(/npm run ([a-z:]+)/g))
      assert.ok(scripts.includes(name as string), `npm run ${name}`);
  });
});
