import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { TENANT_TABLES } from '../src/store/index.ts';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { eventually, testWorkspace } from './support/runtime.ts';

/**
 * Issue 12's fuzz run, sized for CI: random bodies (JSON of any shape, near-valid leads and
 * settings, malformed text) against every write route of the catalog, as an admin of the
 * workspace. No answer may be a 5xx, and a refused request (4xx) must leave the database exactly
 * as it was: no partial write.
 */
const BODIES_PER_ROUTE = Number(process.env.FUZZ_BODIES_PER_ROUTE ?? 150);

const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.emailAddress(),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'https://a.example', 'not a url', '\u0000', '__proto__'),
);
const keys = fc.oneof(
  fc.constantFrom(
    'email',
    'phone',
    'name',
    'company',
    'title',
    'consent',
    'attributes',
    'utm',
    'rateLimit',
    'widget',
    'allowedOrigins',
    'perSecond',
    'burst',
    'threshold',
    'rules',
    'type',
    'leadId',
    'segment',
    'reason',
    'verdict',
    'output',
    'enabled',
    'text',
    'widgetKey',
    'scope',
    'label',
    'converted',
    'overlapSeconds',
    'autoRetrain',
    'questions',
    'purposes',
    'timestamp',
    'method',
    'textVersion',
    'windowDays',
  ),
  fc.string({ maxLength: 12 }),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keys, tie('value'), { maxKeys: 6 }),
  ),
})).value;
const body = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(keys, json, { maxKeys: 8 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: json.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', '{', '{"email":', '[]', 'null', '{"__proto__":{"x":1}}') },
);

describe('fuzzed bodies on every write route', () => {
  const app = useTestApp('sqlite');
  const ids: Record<string, string> = {};
  let key = '';

  /** Every table's row count and the fields refused requests could touch, in one statement. */
  async function fingerprint(): Promise<string> {
    const counts = [...TENANT_TABLES, 'workspaces', 'api_keys', 'widget_keys', 'organisations']
      .map((t) => `(select count(*) from ${t}) as "${t}"`)
      .join(', ');
    const { rows } = await sql
      .raw(
        `select ${counts}, (select group_concat(settings) from workspaces) as settings,
          (select max(updated_at) from leads) as leads_updated, (select sum(seq) from audit_heads) as audit,
          (select group_concat(status) from council_decisions) as decisions,
          (select group_concat(version) from scoring_rules) as rules`,
      )
      .execute(app.runtime.store.db);
    return JSON.stringify(rows[0]);
  }

  before(async () => {
    const created = await testWorkspace(app.runtime, 'Fuzz');
    key = created.apiKey;
    app.runtime.startWorkers(1);
    const accepted = await call(app.http.app, 'POST', '/v1/leads', {
      key,
      body: { email: 'fuzz@acme.example.com', title: 'CEO', company: 'Acme' },
    });
    ids.lead = await eventually(async () => {
      const event = await call(app.http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key });
      return (event.body.leadId as string | null) ?? undefined;
    });
    const asked = await call(app.http.app, 'POST', '/v1/council/questions', {
      key,
      body: { type: 'lead.next_action', leadId: ids.lead },
    });
    ids.decision = asked.body.id as string;
    const chat = await call(app.http.app, 'POST', '/v1/chat/sessions', {
      body: { widgetKey: created.widgetKey },
    });
    ids.session = chat.body.sessionId as string;
    await app.runtime.stopWorkers();
  });

  it(`answers ${BODIES_PER_ROUTE} random bodies per write route without a 5xx or a partial write`, async () => {
    const routes = app.http.catalog.filter((r) => r.method !== 'GET');
    assert.ok(routes.length >= 15, `${routes.length} write routes`);
    const fill = (url: string) =>
      url
        .replace(':workspaceId', ids.workspace as string)
        .replace(
          ':id',
          url.includes('/chat/')
            ? (ids.session as string)
            : url.includes('/council/decisions')
              ? (ids.decision as string)
              : url.includes('/council/agents') || url.includes('/playbooks')
                ? 'fuzz-agent'
                : url.includes('identity-claims')
                  ? `idc_${'0'.repeat(26)}`
                  : (ids.lead as string),
        )
        .replace(':version', '1');
    ids.workspace = (await call(app.http.app, 'GET', '/v1/workspace', { key })).body.id as string;
    let sent = 0;
    const statuses = new Map<number, number>();
    for (const [index, route] of routes.entries()) {
      const samples = fc.sample(body, { numRuns: BODIES_PER_ROUTE, seed: 12 });
      for (const payload of samples) {
        const before = await fingerprint();
        const response = await app.http.app.inject({
          method: route.method,
          url: fill(route.url),
          // One address per route: the unsigned webhook bodies' failures throttle only their own.
          remoteAddress: `10.0.${index}.1`,
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'x-widget-key': 'pk_fuzzfuzzfuzzfuzz',
          },
          payload,
        });
        sent++;
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        assert.ok(
          response.statusCode < 500,
          `${route.method} ${route.url} answered ${response.statusCode} to ${payload.slice(0, 300)}: ${response.body.slice(0, 300)}`,
        );
        if (response.statusCode >= 400)
          assert.equal(
            await fingerprint(),
            before,
            `${route.method} ${route.url} refused (${response.statusCode}) but wrote: ${payload.slice(0, 300)}`,
          );
      }
    }
    // Recorded for the report: how many bodies, and how they were answered.
    console.log(
      `fuzz: ${sent} bodies on ${routes.length} write routes; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
