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
import { DIALECTS, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, type ReceivedRequest, startHttpSink } from './support/sinks.ts';
import { defineWorkflow } from './support/workflow-definition.ts';
import { runToEnd, startWorkflowApp, submitLeadAndWait } from './support/workflow-fixtures.ts';

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

/**
 * A sheet that keeps its rows. The first append is applied and then answered 500, as when the
 * answer is lost after Google wrote the row; later appends answer normally.
 */
function statefulSheet() {
  const grid: string[][] = [['Email', 'Name']];
  let appends = 0;
  const answer = (request: ReceivedRequest, res: import('node:http').ServerResponse) => {
    const body = request.body ? (JSON.parse(request.body) as { range?: string; values?: string[][] }) : {};
    if (request.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ values: grid }));
    }
    if (request.method === 'PUT') {
      const cell = /!([A-Z]+)1$/.exec(body.range ?? '');
      if (cell?.[1]) (grid[0] as string[])[cell[1].charCodeAt(0) - 65] = body.values?.[0]?.[0] ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{}');
    }
    grid.push(...(body.values ?? []));
    appends += 1;
    res.writeHead(appends === 1 ? 500 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(appends === 1 ? { error: { code: 500 } } : { updates: {} }));
  };
  return { grid, answer };
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
  type RowInput = Parameters<typeof googleSheetsRow>[1];
  type Defaulted = 'token' | 'baseUrl' | 'document' | 'table';
  /** Calls a table connector at `path` of the local sink, with `defaults` for what the call leaves out. */
  const tableAt =
    (
      connector: typeof googleSheetsRow,
      path: string,
      defaults: Pick<RowInput, 'token' | 'document' | 'table'>,
    ) =>
    (input: Omit<RowInput, Defaulted> & Partial<Pick<RowInput, Defaulted>>) =>
      connector(deps(), { ...defaults, baseUrl: `${sink.url}${path}`, ...input });
  /** The sheet `Leads` of document sheet-123, as gs-token. */
  const sheetRow = tableAt(googleSheetsRow, '/gs', {
    token: 'gs-token',
    document: 'sheet-123',
    table: 'Leads',
  });
  /** The Airtable table `Leads` of base appBase1, as pat-1. */
  const airtableRecord = tableAt(airtableRow, '/at', {
    token: 'pat-1',
    document: 'appBase1',
    table: 'Leads',
  });
  /** A Pipedrive `object` for the person `record` names, against the local Pipedrive, as pd-token. */
  const pipedrive = (
    object: Parameters<typeof upsertPipedriveRecord>[1]['object'],
    record: Parameters<typeof upsertPipedriveRecord>[1]['record'],
  ) => upsertPipedriveRecord(deps(), { token: 'pd-token', baseUrl: `${sink.url}/pd`, object, record });

  it('appends a Google Sheets row in header order through values:append', async () => {
    const n = sink.requests.length;
    const result = await sheetRow({
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
    const result = await sheetRow({
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
    await sheetRow({ table: 'Empty', operation: 'append', columns: { Email: 'a@example.com' } });
    const header = since(n).find((r) => r.method === 'PUT');
    assert.deepEqual(JSON.parse(header?.body ?? '').values, [['Email']]);
    await assert.rejects(
      sheetRow({ operation: 'append', columns: { Phone: '1' } }),
      (e: OutboundError) => !e.retryable && /no column "Phone"/.test(e.message),
    );
  });

  it('looks rows up by column as header → cell objects', async () => {
    const result = await sheetRow({
      operation: 'lookup',
      matchOn: 'Email',
      columns: { Email: 'ann@example.com' },
    });
    assert.deepEqual(result.rows, [{ Email: 'ann@example.com', Name: 'Ann', Stage: 'new' }]);
  });

  it('upserts an Airtable record with performUpsert and searches with filterByFormula', async () => {
    const n = sink.requests.length;
    const written = await airtableRecord({
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

    const found = await airtableRecord({
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
    const lead = await pipedrive('lead', {
      email: 'new@example.com',
      properties: { name: 'Nia', title: 'Website lead' },
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
    const known = await pipedrive('contact', {
      email: 'known@example.com',
      properties: { name: 'Kai', phone: '+1 555' },
    });
    const update = since(m)[1];
    assert.equal(update?.method, 'PUT');
    assert.equal(update?.url, '/pd/v1/persons/7');
    assert.deepEqual(JSON.parse(update?.body ?? ''), { phone: '+1 555', name: 'Kai' });
    assert.equal(known.summary.created, false);

    const k = sink.requests.length;
    await pipedrive('note', { email: 'known@example.com', properties: { content: 'Asked for a demo' } });
    const note = since(k).at(-1);
    assert.equal(note?.url, '/pd/v1/notes');
    assert.deepEqual(JSON.parse(note?.body ?? ''), { content: 'Asked for a demo', person_id: 7 });
  });

  it('a keyed Airtable append is an upsert merged on the key field', async () => {
    const n = sink.requests.length;
    const written = await airtableRecord({
      operation: 'append',
      columns: { Email: 'bob@example.com' },
      idempotency: { key: 'run-1:row', column: 'leadloop_key' },
    });
    const patch = since(n)[0];
    assert.equal(patch?.method, 'PATCH');
    assert.deepEqual(JSON.parse(patch?.body ?? ''), {
      performUpsert: { fieldsToMergeOn: ['leadloop_key'] },
      records: [{ fields: { Email: 'bob@example.com', leadloop_key: 'run-1:row' } }],
      typecast: true,
    });
    assert.equal(written.summary.created, true);
  });
});

/**
 * Pipedrive that keeps its notes, deals and leads. The first creation of each is applied and then
 * answered 500 (the answer lost); the deal search matches the custom field's value exactly; the
 * person's deals and leads are listed as the v1 API pages them (100 a page; `origin_id` is what
 * the creation set, else null; 150 unrelated deals come first so the match is on page two).
 */
function statefulPipedrive() {
  type Row = {
    id: number | string;
    title: string;
    person_id: number;
    origin_id?: unknown;
    [field: string]: unknown;
  };
  const notes: { id: number; content: string; person_id: number }[] = [];
  const deals: Row[] = [];
  const leads: Row[] = [];
  const unrelated: Row[] = Array.from({ length: 150 }, (_, i) => ({
    id: 1000 + i,
    title: `Older ${i}`,
    person_id: 7,
    origin_id: null,
  }));
  const answer = (request: ReceivedRequest, res: import('node:http').ServerResponse) => {
    const url = new URL(`http://x${request.url}`);
    const send = (status: number, data: unknown, additional?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          success: status < 300,
          data,
          ...(additional ? { additional_data: additional } : {}),
        }),
      );
    };
    const page = (rows: Row[]) => {
      const start = Number(url.searchParams.get('start') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      return { rows: rows.slice(start, start + limit), more: start + limit < rows.length, start, limit };
    };
    if (url.pathname === '/v1/persons/search') return send(200, { items: [{ item: { id: 7 } }] });
    if (url.pathname === '/v1/persons/7/deals' && request.method === 'GET') {
      assert.equal(url.searchParams.get('status'), 'all_not_deleted');
      const all = [
        ...unrelated,
        ...deals.filter((d) => d.person_id === 7).map((d) => ({ origin_id: null, ...d })),
      ];
      const p = page(all);
      return send(200, p.rows, {
        pagination: { start: p.start, limit: p.limit, more_items_in_collection: p.more },
      });
    }
    if (url.pathname === '/v1/leads' && request.method === 'GET') {
      const all = [...unrelated, ...leads].filter(
        (l) => String(l.person_id) === url.searchParams.get('person_id'),
      );
      const p = page(all.map((l) => ({ origin_id: null, ...l })));
      return send(200, p.rows, { start: p.start, limit: p.limit, more_items_in_collection: p.more });
    }
    if (url.pathname === '/v1/persons/7') return send(200, { id: 7 });
    if (url.pathname === '/v1/notes' && request.method === 'GET')
      return send(
        200,
        notes.filter((n) => String(n.person_id) === url.searchParams.get('person_id')),
      );
    if (url.pathname === '/v1/deals/search') {
      const term = url.searchParams.get('term');
      const hit = deals.find(
        (d) => d.dealKey === term && String(d.person_id) === url.searchParams.get('person_id'),
      );
      return send(200, { items: hit ? [{ item: { id: hit.id } }] : [] });
    }
    const body = JSON.parse(request.body) as Record<string, unknown>;
    if (url.pathname === '/v1/notes') {
      notes.push({ ...(body as { content: string; person_id: number }), id: notes.length + 1 });
      return send(notes.length === 1 ? 500 : 201, { id: notes.length });
    }
    if (url.pathname === '/v1/leads') {
      leads.push({ ...(body as { title: string; person_id: number }), id: `lead-${leads.length + 1}` });
      return send(leads.length === 1 ? 500 : 201, { id: `lead-${leads.length}` });
    }
    deals.push({ ...(body as { title: string; person_id: number }), id: deals.length + 1 });
    return send(deals.length === 1 ? 500 : 201, { id: deals.length });
  };
  return { notes, deals, leads, answer };
}

/** A fresh {@link statefulPipedrive} behind a local sink for the suite (call it inside `describe`). */
function useStatefulPipedrive(): { sink: HttpSink; state: ReturnType<typeof statefulPipedrive> } {
  const pd = {} as { sink: HttpSink; state: ReturnType<typeof statefulPipedrive> };
  before(async () => {
    pd.state = statefulPipedrive();
    pd.sink = await startHttpSink(pd.state.answer);
  });
  after(() => pd.sink.close());
  return pd;
}

describe('Pipedrive creations keyed by the step', () => {
  const http = createSafeHttp();
  const pd = useStatefulPipedrive();

  for (const object of ['note', 'deal'] as const)
    it(`a ${object} whose first answer was lost is found by its key on the retry, not created twice`, async () => {
      const write = () =>
        upsertPipedriveRecord(
          { http, policy: LOCAL },
          {
            token: 'pd',
            baseUrl: pd.sink.url,
            object,
            keyField: 'dealKey',
            idempotencyKey: `run-9:${object}`,
            record: {
              email: 'known@example.com',
              properties: { title: 'Demo', content: 'Asked for a demo' },
            },
          },
        );
      await assert.rejects(write(), (e: OutboundError) => e.retryable);
      const retried = await write();
      assert.equal(retried.summary.created, false);
      assert.equal(retried.summary.replayed, true);
      assert.equal(retried.summary.id, 1);
      const rows = object === 'note' ? pd.state.notes : pd.state.deals;
      assert.equal(rows.length, 1, `exactly one ${object}`);
      if (object === 'note') assert.match(pd.state.notes[0]?.content ?? '', /leadloop_key: run-9:note$/);
    });
});

describe('Pipedrive leads and deals keyed by origin_id, without a key field', () => {
  const http = createSafeHttp();
  const pd = useStatefulPipedrive();

  for (const object of ['lead', 'deal'] as const)
    it(`a ${object} whose first answer was lost is found among the person's ${object}s on the retry`, async () => {
      const write = (key: string) =>
        upsertPipedriveRecord(
          { http, policy: LOCAL },
          {
            token: 'pd',
            baseUrl: pd.sink.url,
            object,
            idempotencyKey: key,
            record: { email: 'known@example.com', properties: { title: 'Demo' } },
          },
        );
      await assert.rejects(write(`run-4:${object}`), (e: OutboundError) => e.retryable);
      const retried = await write(`run-4:${object}`);
      const rows = object === 'lead' ? pd.state.leads : pd.state.deals;
      assert.equal(rows.length, 1, `exactly one ${object}`);
      assert.equal(rows[0]?.origin_id, `run-4:${object}`, 'the creation carried the key as origin_id');
      assert.equal(rows[0]?.title, 'Demo');
      assert.deepEqual(
        { id: retried.summary.id, created: retried.summary.created, replayed: retried.summary.replayed },
        { id: rows[0]?.id, created: false, replayed: true },
      );
      const other = await write(`run-5:${object}`);
      assert.equal(other.summary.created, true, 'another step (another key) creates its own');
      assert.equal(rows.length, 2);
      const listed = pd.sink.requests.filter((r) =>
        r.url.startsWith(object === 'lead' ? '/v1/leads?' : '/v1/persons/7/deals?'),
      );
      assert.ok(
        listed.some((r) => r.url.includes('start=100')),
        'the listing was paged past the 150 older records',
      );
      assert.ok(
        pd.sink.requests.every((r) => !r.url.includes('/search?term=run-')),
        'no custom-field search without keyField',
      );
    });
});

for (const dialect of DIALECTS) {
  describe(`sheet rows and Pipedrive deals written by the engine (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let sink: HttpSink;
    let lossySink: HttpSink;
    const lossy = statefulSheet();
    const ws = { workspaceId: '', apiKey: '' };
    /** Stores a credential named `name` for `kind`'s connector at `baseUrl` (runs inside the workspace). */
    const putCredential = (
      name: string,
      kind: 'google_sheets' | 'pipedrive',
      token: string,
      baseUrl: string,
    ) =>
      runtime.workflows.credentials.put(runtime.store.db, { workspaceId: ws.workspaceId }, name, {
        kind,
        token,
        baseUrl,
      });
    /** Creates the one-step workflow and runs it to its end with `input`. */
    const runOnce = async (
      name: string,
      step: Record<string, unknown> & { id: string },
      input: { leadId: string | null; data?: Record<string, unknown> },
    ) => {
      const created = await runtime.workflows.service.create(ws, defineWorkflow(name, [step]), ACTOR);
      return runToEnd(runtime, ws, created.id, input);
    };
    before(async () => {
      sink = await startHttpSink(sheetsAnswer);
      lossySink = await startHttpSink(lossy.answer);
      const app = await startWorkflowApp(dialect, { workers: 2 });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
      await inWorkspace(ws.workspaceId, () => putCredential('sheets', 'google_sheets', 'gs-token', sink.url));
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await sink.close();
      await lossySink.close();
    });

    it('a retried append whose first answer was lost leaves exactly one row', () =>
      inWorkspace(ws.workspaceId, async () => {
        await putCredential('lossy', 'google_sheets', 'gs-token', lossySink.url);
        const run = await runOnce(
          'One row, answer lost',
          {
            id: 'row',
            type: 'table_row',
            provider: 'google_sheets',
            operation: 'append',
            document: 'sheet-1',
            table: 'Leads',
            columns: { Email: 'c@example.com', Name: 'C' },
            credential: 'lossy',
            retry: { maxAttempts: 3, backoffMs: 10 },
          },
          { leadId: null, data: {} },
        );
        assert.equal(run.status, 'completed', JSON.stringify(run.steps));
        const row = run.steps.find((s) => s.stepId === 'row');
        assert.equal(row?.attempts, 2, 'the first attempt failed on the lost answer and was retried');
        assert.deepEqual(lossy.grid, [
          ['Email', 'Name', 'leadloop_key'],
          ['c@example.com', 'C', `${run.id}:${row?.stepKey}`],
        ]);
      }));

    it('a retried Pipedrive deal without a key field whose first answer was lost leaves exactly one deal', () =>
      inWorkspace(ws.workspaceId, async () => {
        const pd = statefulPipedrive();
        const pdSink = await startHttpSink(pd.answer);
        try {
          await putCredential('pd', 'pipedrive', 'pd-token', pdSink.url);
          const leadId = await submitLeadAndWait({ runtime, http }, ws, {
            email: 'known@example.com',
            name: 'Known',
            country: 'US',
          });
          const run = await runOnce(
            'One deal, answer lost',
            {
              id: 'deal',
              type: 'crm_upsert',
              provider: 'pipedrive',
              object: 'deal',
              fields: { title: 'Demo request' },
              credential: 'pd',
              retry: { maxAttempts: 3, backoffMs: 10 },
            },
            { leadId },
          );
          assert.equal(run.status, 'completed', JSON.stringify(run.steps));
          const step = run.steps.find((s) => s.stepId === 'deal');
          assert.equal(step?.attempts, 2, 'the first attempt failed on the lost answer and was retried');
          assert.equal(pd.deals.length, 1, JSON.stringify(pd.deals));
          assert.equal(pd.deals[0]?.origin_id, `${run.id}:${step?.stepKey}`);
          assert.equal((step?.output as Record<string, unknown> | undefined)?.replayed, true);
        } finally {
          await pdSink.close();
        }
      }));

    it('appends one row per item, gathers the items, and renders the summary after the last', () =>
      inWorkspace(ws.workspaceId, async () => {
        const created = await runtime.workflows.service.create(
          ws,
          defineWorkflow('Rows per attendee', [
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
          ]),
          ACTOR,
        );
        const people = [
          { email: 'a@example.com', name: 'A' },
          { email: 'b@example.com', name: 'B' },
        ];
        const run = await runToEnd(runtime, ws, created.id, { leadId: null, data: { people } });
        assert.equal(run.status, 'completed', JSON.stringify(run.steps));
        const appends = sink.requests.filter((r) => r.url.includes('%3Aappend') || r.url.includes(':append'));
        const rowKeys = run.steps.filter((s) => s.stepId === 'row').map((s) => `${run.id}:${s.stepKey}`);
        assert.deepEqual(
          appends.map((r) => JSON.parse(r.body).values[0]),
          [
            ['a@example.com', 'A', '', rowKeys[0]],
            ['b@example.com', 'B', '', rowKeys[1]],
          ],
          'each row carries its step visit idempotency key in the added key column',
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
