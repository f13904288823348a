import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import {
  airtableRow,
  createSafeHttp,
  googleSheetsRow,
  type OutboundError,
  upsertPipedriveRecord,
} from '../src/workflows/index.ts';
import { DIALECTS, eventually, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, type ReceivedRequest, startHttpSink } from './support/sinks.ts';
import { startWorkflowApp } from './support/workflow-fixtures.ts';

/**
 * Google Sheets, Airtable and Pipedrive connectors against a local server that answers as their
 * documented REST APIs do, asserting the exact requests; then a workflow whose loop writes one
 * sheet row per item and gathers the items, run by the engine.
 */

const LOCAL = { allow: ['127.0.0.1'] };
const ACTOR = { type: 'system' as const, id: 'test' };

/** The sheet `Leads` holds a header and one row (ann); appends and updates are recorded. */
function sheetsAnswer(request: ReceivedRequest, res: import('node:http').ServerResponse): void {
  const url = decodeURIComponent(request.url);
  res.writeHead(200, { 'content-type': 'application/json' });
  if (request.method === 'GET' && url.includes("'Empty'!"))
    return void res.end(JSON.stringify({ range: 'Empty!A1:Z1' }));
  if (request.method === 'GET')
    return void res.end(
      JSON.stringify({
        values: [
          ['Email', 'Name', 'Stage'],
          ['ann@example.com', 'Ann', 'new'],
        ],
      }),
    );
  if (url.includes(':append'))
    return void res.end(JSON.stringify({ updates: { updatedRange: 'Leads!A3:C3' } }));
  res.end('{}');
}

function airtableAnswer(request: ReceivedRequest, res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  if (request.method === 'GET')
    return void res.end(JSON.stringify({ records: [{ id: 'rec1', fields: { Email: 'ann@example.com' } }] }));
  if (request.method === 'PATCH')
    return void res.end(JSON.stringify({ records: [{ id: 'rec2', fields: {} }], createdRecords: ['rec2'] }));
  res.end(JSON.stringify({ records: [{ id: 'rec3', fields: {} }] }));
}

function pipedriveAnswer(request: ReceivedRequest, res: import('node:http').ServerResponse): void {
  res.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
  if (request.url.startsWith('/pd/v1/persons/search'))
    return void res.end(
      JSON.stringify({
        success: true,
        data: { items: request.url.includes('known') ? [{ result_score: 1, item: { id: 7 } }] : [] },
      }),
    );
  if (request.url.startsWith('/pd/v1/persons/'))
    return void res.end(
      JSON.stringify({ success: true, data: { id: Number(request.url.split('/').at(-1)) } }),
    );
  if (request.url.startsWith('/pd/v1/persons'))
    return void res.end(JSON.stringify({ success: true, data: { id: 8 } }));
  res.end(JSON.stringify({ success: true, data: { id: 'lead-uuid-1' } }));
}

describe('table and Pipedrive connectors', () => {
  let sink: HttpSink;
  const http = createSafeHttp();
  const deps = () => ({ http, policy: LOCAL });
  before(async () => {
    sink = await startHttpSink((request, res) => {
      if (request.url.startsWith('/gs/')) return sheetsAnswer(request, res);
      if (request.url.startsWith('/at/')) return airtableAnswer(request, res);
      return pipedriveAnswer(request, res);
    });
  });
  after(() => sink.close());
  const since = (n: number) => sink.requests.slice(n);

  it('appends a Google Sheets row in header order through values:append', async () => {
    const n = sink.requests.length;
    const result = await googleSheetsRow(deps(), {
      token: 'gs-token',
      baseUrl: `${sink.url}/gs`,
      document: 'sheet-123',
      table: 'Leads',
      operation: 'append',
      columns: { Name: 'Bob', Email: 'bob@example.com' },
    });
    const [read, append] = since(n);
    assert.equal(read?.method, 'GET');
    assert.equal(decodeURIComponent(read?.url ?? ''), "/gs/v4/spreadsheets/sheet-123/values/'Leads'!1:1");
    assert.equal(append?.method, 'POST');
    assert.equal(
      decodeURIComponent(append?.url ?? ''),
      "/gs/v4/spreadsheets/sheet-123/values/'Leads'!A1:append?valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS",
    );
    assert.equal(append?.headers.authorization, 'Bearer gs-token');
    assert.deepEqual(JSON.parse(append?.body ?? ''), {
      majorDimension: 'ROWS',
      values: [['bob@example.com', 'Bob', '']],
    });
    assert.deepEqual(result.summary, {
      table: 'google_sheets',
      sheet: 'Leads',
      range: 'Leads!A3:C3',
      created: true,
    });
  });

  it('updates the matching Google Sheets row in place, keeping the cells the step does not name', async () => {
    const n = sink.requests.length;
    const result = await googleSheetsRow(deps(), {
      token: 'gs-token',
      baseUrl: `${sink.url}/gs`,
      document: 'sheet-123',
      table: 'Leads',
      operation: 'upsert',
      matchOn: 'Email',
      columns: { Email: 'ann@example.com', Stage: 'qualified' },
    });
    const update = since(n).find((r) => r.method === 'PUT');
    assert.equal(
      decodeURIComponent(update?.url ?? ''),
      "/gs/v4/spreadsheets/sheet-123/values/'Leads'!A2:C2?valueInputOption=USER_ENTERED",
    );
    assert.deepEqual(JSON.parse(update?.body ?? '').values, [['ann@example.com', 'Ann', 'qualified']]);
    assert.equal(result.summary.row, 2);
    assert.equal(result.summary.created, false);
  });

  it('writes the header of an empty sheet first, and refuses a column the header lacks', async () => {
    const n = sink.requests.length;
    await googleSheetsRow(deps(), {
      token: 't',
      baseUrl: `${sink.url}/gs`,
      document: 's',
      table: 'Empty',
      operation: 'append',
      columns: { Email: 'a@example.com' },
    });
    const header = since(n).find((r) => r.method === 'PUT');
    assert.deepEqual(JSON.parse(header?.body ?? '').values, [['Email']]);
    await assert.rejects(
      googleSheetsRow(deps(), {
        token: 't',
        baseUrl: `${sink.url}/gs`,
        document: 's',
        table: 'Leads',
        operation: 'append',
        columns: { Phone: '1' },
      }),
      (e: OutboundError) => !e.retryable && /no column "Phone"/.test(e.message),
    );
  });

  it('looks rows up by column as header → cell objects', async () => {
    const result = await googleSheetsRow(deps(), {
      token: 't',
      baseUrl: `${sink.url}/gs`,
      document: 's',
      table: 'Leads',
      operation: 'lookup',
      matchOn: 'Email',
      columns: { Email: 'ann@example.com' },
    });
    assert.deepEqual(result.rows, [{ Email: 'ann@example.com', Name: 'Ann', Stage: 'new' }]);
  });

  it('upserts an Airtable record with performUpsert and searches with filterByFormula', async () => {
    const n = sink.requests.length;
    const written = await airtableRow(deps(), {
      token: 'pat-1',
      baseUrl: `${sink.url}/at`,
      document: 'appBase1',
      table: 'Leads table',
      operation: 'upsert',
      matchOn: 'Email',
      columns: { Email: 'bob@example.com', Name: 'Bob' },
    });
    const patch = since(n)[0];
    assert.equal(patch?.method, 'PATCH');
    assert.equal(patch?.url, '/at/v0/appBase1/Leads%20table');
    assert.equal(patch?.headers.authorization, 'Bearer pat-1');
    assert.deepEqual(JSON.parse(patch?.body ?? ''), {
      performUpsert: { fieldsToMergeOn: ['Email'] },
      records: [{ fields: { Email: 'bob@example.com', Name: 'Bob' } }],
      typecast: true,
    });
    assert.deepEqual(written.summary, { table: 'airtable', name: 'Leads table', id: 'rec2', created: true });

    const found = await airtableRow(deps(), {
      token: 'pat-1',
      baseUrl: `${sink.url}/at`,
      document: 'appBase1',
      table: 'Leads',
      operation: 'lookup',
      matchOn: 'Email',
      columns: { Email: 'say "hi"' },
    });
    const search = new URL(`http://x${since(n)[1]?.url}`);
    assert.equal(search.searchParams.get('filterByFormula'), '{Email} = "say \\"hi\\""');
    assert.equal(search.searchParams.get('maxRecords'), '100');
    assert.deepEqual(found.rows, [{ id: 'rec1', Email: 'ann@example.com' }]);
  });

  it('Pipedrive: finds the person by e-mail, creates one when absent, then the lead for that person', async () => {
    const n = sink.requests.length;
    const lead = await upsertPipedriveRecord(deps(), {
      token: 'pd-token',
      baseUrl: `${sink.url}/pd`,
      object: 'lead',
      record: { email: 'new@example.com', properties: { name: 'Nia', title: 'Website lead' } },
    });
    const [search, person, created] = since(n);
    assert.equal(search?.method, 'GET');
    const q = new URL(`http://x${search?.url}`).searchParams;
    assert.deepEqual(
      [q.get('term'), q.get('fields'), q.get('exact_match')],
      ['new@example.com', 'email', 'true'],
    );
    assert.equal(search?.headers['x-api-token'], 'pd-token');
    assert.ok(!search?.url.includes('pd-token'), 'the token never travels in the URL');
    assert.equal(person?.url, '/pd/v1/persons');
    assert.deepEqual(JSON.parse(person?.body ?? ''), {
      name: 'Nia',
      email: [{ value: 'new@example.com', primary: true, label: 'work' }],
    });
    assert.equal(created?.url, '/pd/v1/leads');
    assert.deepEqual(JSON.parse(created?.body ?? ''), { title: 'Website lead', person_id: 8 });
    assert.deepEqual(lead.summary, {
      crm: 'pipedrive',
      object: 'lead',
      id: 'lead-uuid-1',
      personId: 8,
      created: true,
    });

    const m = sink.requests.length;
    const known = await upsertPipedriveRecord(deps(), {
      token: 'pd-token',
      baseUrl: `${sink.url}/pd`,
      object: 'contact',
      record: { email: 'known@example.com', properties: { name: 'Kai', phone: '+1 555' } },
    });
    const update = since(m)[1];
    assert.equal(update?.method, 'PUT');
    assert.equal(update?.url, '/pd/v1/persons/7');
    assert.deepEqual(JSON.parse(update?.body ?? ''), { phone: '+1 555', name: 'Kai' });
    assert.equal(known.summary.created, false);

    const k = sink.requests.length;
    await upsertPipedriveRecord(deps(), {
      token: 'pd-token',
      baseUrl: `${sink.url}/pd`,
      object: 'note',
      record: { email: 'known@example.com', properties: { content: 'Asked for a demo' } },
    });
    const note = since(k).at(-1);
    assert.equal(note?.url, '/pd/v1/notes');
    assert.deepEqual(JSON.parse(note?.body ?? ''), { content: 'Asked for a demo', person_id: 7 });
  });
});

for (const dialect of DIALECTS) {
  describe(`an item loop writing sheet rows, run by the engine (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let sink: HttpSink;
    const ws = { workspaceId: '', apiKey: '' };
    before(async () => {
      sink = await startHttpSink(sheetsAnswer);
      const app = await startWorkflowApp(dialect, { workers: 2 });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
      await inWorkspace(ws.workspaceId, () =>
        runtime.workflows.credentials.put(runtime.store.db, { workspaceId: ws.workspaceId }, 'sheets', {
          kind: 'google_sheets',
          token: 'gs-token',
          baseUrl: sink.url,
        }),
      );
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await sink.close();
    });

    it('appends one row per item, gathers the items, and renders the summary after the last', () =>
      inWorkspace(ws.workspaceId, async () => {
        const created = await runtime.workflows.service.create(
          ws,
          {
            schemaVersion: 1,
            name: 'Rows per attendee',
            triggers: [{ type: 'manual' }],
            start: 'each',
            steps: [
              {
                id: 'each',
                type: 'loop',
                over: 'trigger.people',
                as: 'person',
                spread: true,
                maxIterations: 10,
                body: 'row',
                next: 'summary',
              },
              {
                id: 'row',
                type: 'table_row',
                provider: 'google_sheets',
                operation: 'append',
                document: 'sheet-123',
                table: 'Leads',
                columns: { Email: '{{vars.email}}', Name: '{{vars.name}}' },
                credential: 'sheets',
                next: 'gather',
              },
              { id: 'gather', type: 'collect', append: { emails: 'vars.email' }, loop: 'each', next: 'each' },
              {
                id: 'summary',
                type: 'render',
                format: 'markdown_to_html',
                template: '**Added:** {{#vars.emails}}{{.}} {{/vars.emails}}',
                saveAs: 'summary',
              },
            ],
          },
          ACTOR,
        );
        const people = [
          { email: 'a@example.com', name: 'A' },
          { email: 'b@example.com', name: 'B' },
        ];
        const { runId } = await runtime.workflows.service.run(
          ws,
          created.id,
          { leadId: null, data: { people } },
          ACTOR,
        );
        const run = await eventually(async () => {
          const r = await runtime.workflows.service.getRun(ws, runId);
          return r.status === 'completed' || r.status === 'failed' ? r : undefined;
        });
        assert.equal(run.status, 'completed', JSON.stringify(run.steps));
        const appends = sink.requests.filter((r) => r.url.includes('%3Aappend') || r.url.includes(':append'));
        assert.deepEqual(
          appends.map((r) => JSON.parse(r.body).values[0]),
          [
            ['a@example.com', 'A', ''],
            ['b@example.com', 'B', ''],
          ],
        );
        assert.equal(
          new Set(run.steps.filter((s) => s.stepId === 'row').map((s) => s.stepKey)).size,
          2,
          'each item is its own step visit (its own idempotency key)',
        );
        const summary = run.steps.find((s) => s.stepId === 'summary');
        assert.equal(
          (summary?.output as Record<string, unknown> | undefined)?.response,
          '<p><strong>Added:</strong> a@example.com b@example.com</p>',
        );
      }));
  });
}
