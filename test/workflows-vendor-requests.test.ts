import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { importN8nWorkflow, type Workflow } from '../src/workflows/index.ts';
import { exportN8nWorkflow } from '../src/workflows/n8n/index.ts';
import { DIALECTS, stopTestApp, type TestRuntime } from './support/runtime.ts';
import { type HttpSink, type ReceivedRequest, startHttpSink } from './support/sinks.ts';
import { runToEnd, startWorkflowApp } from './support/workflow-fixtures.ts';

/**
 * n8n HubSpot and Pipedrive reads and LinkedIn posts, imported as `http_request` steps and run by
 * the engine against one local server that answers only requests in each vendor's documented
 * shape (HubSpot CRM v3 search, Pipedrive v1 search, LinkedIn Posts API) and 400 otherwise.
 */

const ACTOR = { type: 'system' as const, id: 'test' };
const ORIGINS = [
  'https://api.hubapi.com',
  'https://api.pipedrive.com',
  'https://api.linkedin.com',
  'https://slack.com',
  'https://www.example.com',
];

const n8nWorkflow = {
  name: 'Enrich and announce',
  nodes: [
    { name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
    {
      name: 'Find contact',
      type: 'n8n-nodes-base.hubspot',
      typeVersion: 2.1,
      parameters: {
        operation: 'search',
        authentication: 'appToken',
        filterGroupsUi: {
          filterGroupsValues: [
            {
              filtersUi: {
                filterValues: [{ propertyName: 'email|string', value: '={{ $json.trigger.email }}' }],
              },
            },
          ],
        },
        additionalFields: {
          properties: ['firstname', 'email'],
          sortBy: 'createdate',
          direction: 'ASCENDING',
        },
      },
    },
    {
      name: 'Find person',
      type: 'n8n-nodes-base.pipedrive',
      typeVersion: 1,
      parameters: {
        resource: 'person',
        operation: 'search',
        term: '={{ $json.trigger.email }}',
        limit: 1,
        additionalFields: { fields: 'email' },
      },
    },
    {
      name: 'Announce',
      type: 'n8n-nodes-base.linkedIn',
      typeVersion: 1,
      parameters: {
        postAs: 'organization',
        organization: '12345678',
        text: '=Welcome {{ $json.trigger.company }}',
        additionalFields: {},
      },
    },
    {
      name: 'Fetch page',
      type: 'n8n-nodes-base.httpRequest',
      typeVersion: 4.2,
      parameters: { url: 'https://www.example.com/news', options: {} },
    },
    {
      name: 'Scrape',
      type: 'n8n-nodes-base.html',
      typeVersion: 1.2,
      parameters: {
        operation: 'extractHtmlContent',
        extractionValues: {
          values: [
            { key: 'headline', cssSelector: 'h1', skipSelectors: '.ad' },
            {
              key: 'links',
              cssSelector: 'a',
              returnValue: 'attribute',
              attribute: 'href',
              returnArray: true,
            },
          ],
        },
        options: { cleanUpText: true },
      },
    },
    {
      name: 'Mark handled',
      type: 'n8n-nodes-base.slack',
      typeVersion: 2.2,
      parameters: {
        operation: 'update',
        channelId: { __rl: true, mode: 'id', value: 'C080KBCK1TL' },
        ts: '={{ $json.trigger.ts }}',
        text: '=Handled: {{ $json.trigger.company }} ({{ $json.headline }})',
        otherOptions: {},
        updateFields: {},
      },
    },
    {
      name: 'React',
      type: 'n8n-nodes-base.slack',
      typeVersion: 2.2,
      parameters: {
        resource: 'reaction',
        name: 'white_check_mark',
        channelId: { __rl: true, mode: 'id', value: 'C080KBCK1TL' },
        timestamp: '={{ $json.trigger.ts }}',
      },
    },
  ],
  connections: {
    Start: { main: [[{ node: 'Find contact', type: 'main', index: 0 }]] },
    'Find contact': { main: [[{ node: 'Find person', type: 'main', index: 0 }]] },
    'Find person': { main: [[{ node: 'Announce', type: 'main', index: 0 }]] },
    Announce: { main: [[{ node: 'Fetch page', type: 'main', index: 0 }]] },
    'Fetch page': { main: [[{ node: 'Scrape', type: 'main', index: 0 }]] },
    Scrape: { main: [[{ node: 'Mark handled', type: 'main', index: 0 }]] },
    'Mark handled': { main: [[{ node: 'React', type: 'main', index: 0 }]] },
  },
};

/** Answers as the vendors do when the request has their documented shape; 400 naming the flaw otherwise. */
function vendorAnswer(request: ReceivedRequest, res: import('node:http').ServerResponse) {
  const url = new URL(`http://x${request.url}`);
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const flaw = (why: string) => json(400, { message: why });
  if (request.method === 'POST' && url.pathname === '/crm/v3/objects/contacts/search') {
    if (request.headers.authorization !== 'Bearer hs-token') return flaw('bearer token');
    const body = JSON.parse(request.body) as Record<string, unknown>;
    const filter = (body.filterGroups as { filters: Record<string, unknown>[] }[] | undefined)?.[0]
      ?.filters?.[0];
    if (filter?.propertyName !== 'email' || filter.operator !== 'EQ' || typeof filter.value !== 'string')
      return flaw('filterGroups[].filters[] of { propertyName, operator, value }');
    return json(200, {
      total: 1,
      results: [{ id: '501', properties: { email: filter.value, firstname: 'Ann' } }],
    });
  }
  if (request.method === 'GET' && url.pathname === '/v1/persons/search') {
    if (request.headers['x-api-token'] !== 'pd-token') return flaw('x-api-token');
    if (!url.searchParams.get('term')) return flaw('term');
    return json(200, {
      success: true,
      data: {
        items: [{ result_score: 1, item: { id: 7, name: 'Ann', emails: [url.searchParams.get('term')] } }],
      },
    });
  }
  if (request.method === 'POST' && url.pathname === '/rest/posts') {
    if (request.headers.authorization !== 'Bearer li-token') return flaw('bearer token');
    if (!/^\d{6}$/.test(String(request.headers['linkedin-version']))) return flaw('LinkedIn-Version');
    if (request.headers['x-restli-protocol-version'] !== '2.0.0') return flaw('X-Restli-Protocol-Version');
    const body = JSON.parse(request.body) as Record<string, unknown>;
    if (!/^urn:li:(person|organization):\w+$/.test(String(body.author))) return flaw('author URN');
    if (body.lifecycleState !== 'PUBLISHED' || !['PUBLIC', 'CONNECTIONS'].includes(String(body.visibility)))
      return flaw('lifecycleState / visibility');
    if ((body.distribution as Record<string, unknown> | undefined)?.feedDistribution !== 'MAIN_FEED')
      return flaw('distribution.feedDistribution');
    res.writeHead(201, { 'x-restli-id': 'urn:li:share:6844785523593134080' });
    return void res.end();
  }
  if (request.method === 'GET' && url.pathname === '/news') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return void res.end(
      '<html><body><h1>Big\n  news <span class="ad">AD</span></h1><a href="/one">1</a><a href="/two">2</a></body></html>',
    );
  }
  if (request.method === 'POST' && url.pathname.startsWith('/api/')) {
    if (request.headers.authorization !== 'Bearer xoxb-test') return flaw('bearer token');
    if (!String(request.headers['content-type']).startsWith('application/json')) return flaw('JSON body');
    const body = JSON.parse(request.body) as Record<string, unknown>;
    const required = {
      '/api/chat.update': ['channel', 'ts', 'text'],
      '/api/reactions.add': ['channel', 'name', 'timestamp'],
    }[url.pathname];
    if (!required) return flaw(`no such method ${url.pathname}`);
    if (!required.every((k) => typeof body[k] === 'string' && body[k] !== ''))
      return flaw(required.join(', '));
    return json(200, { ok: true, channel: body.channel, ts: body.ts ?? body.timestamp });
  }
  flaw(`no such endpoint ${request.method} ${url.pathname}`);
}

describe('n8n vendor reads, LinkedIn posts and Slack Web API calls imported as HTTP requests', () => {
  it('maps each node to its vendor request and says what differs from n8n', () => {
    const imported = importN8nWorkflow(n8nWorkflow);
    assert.ok(imported.ok);
    const byName = new Map(imported.report.nodes.map((n) => [n.name, n]));
    for (const name of ['Find contact', 'Find person', 'Announce', 'Mark handled', 'React']) {
      assert.equal(byName.get(name)?.outcome, 'approximated', name);
      assert.ok(
        byName.get(name)?.reasons.some((r) => r.includes('credential')),
        `${name} names its credential`,
      );
    }
    const steps = imported.workflow.steps;
    const hubspot = steps.find((s) => s.id === byName.get('Find contact')?.step);
    assert.deepEqual(hubspot && { ...hubspot, id: 'x', next: undefined }, {
      id: 'x',
      name: 'Find contact',
      next: undefined,
      type: 'http_request',
      method: 'POST',
      url: 'https://api.hubapi.com/crm/v3/objects/contacts/search',
      credential: 'hubspot_token',
      sharing: 'service_provider',
      headers: { accept: 'application/json' },
      saveAs: 'find_contact',
      body: {
        filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: '{{trigger.email}}' }] }],
        properties: ['firstname', 'email'],
        sorts: [{ propertyName: 'createdate', direction: 'ASCENDING' }],
        limit: 100,
      },
    });
    const pipedrive = steps.find((s) => s.id === byName.get('Find person')?.step);
    assert.equal(
      pipedrive?.type === 'http_request' && pipedrive.url,
      'https://api.pipedrive.com/v1/persons/search',
    );
    assert.deepEqual(pipedrive?.type === 'http_request' && pipedrive.query, {
      term: '{{trigger.email}}',
      fields: 'email',
      limit: '1',
    });
  });

  it('maps HTML extraction to html_extract and exports it back to the same n8n node', () => {
    const imported = importN8nWorkflow(n8nWorkflow);
    assert.ok(imported.ok);
    const scrape = imported.report.nodes.find((n) => n.name === 'Scrape');
    assert.equal(scrape?.outcome, 'approximated');
    assert.match(scrape?.reasons.join(' ') ?? '', /read from vars\.data/);
    const step = imported.workflow.steps.find((s) => s.id === scrape?.step);
    assert.deepEqual(step?.type === 'html_extract' && [step.source, step.extract, step.cleanUpText], [
      'vars.data',
      [
        { key: 'headline', selector: 'h1', value: 'text', skip: '.ad' },
        { key: 'links', selector: 'a', value: 'attribute', attribute: 'href', all: true },
      ],
      true,
    ]);
    const exported = exportN8nWorkflow(imported.workflow);
    const node = (
      exported.workflow.nodes as { name: string; type: string; parameters: Record<string, unknown> }[]
    ).find((n) => n.name === 'Scrape');
    assert.equal(node?.type, 'n8n-nodes-base.html');
    assert.equal(node?.parameters.operation, 'extractHtmlContent');
    assert.ok(!exported.report.embedded.includes(step?.id ?? ''), 'expressed in n8n parameters, not notes');
    const back = importN8nWorkflow(JSON.parse(JSON.stringify(exported.workflow)));
    assert.ok(back.ok);
    assert.deepEqual(
      back.workflow.steps.find((s) => s.type === 'html_extract'),
      imported.workflow.steps.find((s) => s.type === 'html_extract'),
    );
  });

  it('keeps image posts and filters the CRM search lacks unmapped, with the reason', () => {
    const imported = importN8nWorkflow({
      nodes: [
        {
          name: 'Image post',
          type: 'n8n-nodes-base.linkedIn',
          typeVersion: 1,
          parameters: { person: 'abc', text: 'x', shareMediaCategory: 'IMAGE' },
        },
        {
          name: 'Between',
          type: 'n8n-nodes-base.hubspot',
          typeVersion: 2,
          parameters: {
            operation: 'search',
            filterGroupsUi: {
              filterGroupsValues: [
                {
                  filtersUi: { filterValues: [{ propertyName: 'createdate|datetime', operator: 'BETWEEN' }] },
                },
              ],
            },
          },
        },
      ],
      connections: {},
    });
    assert.ok(imported.ok);
    const [image, between] = imported.report.nodes;
    assert.equal(image?.outcome, 'unmapped');
    assert.match(image?.reasons[0] ?? '', /uploads the image first/);
    assert.equal(between?.outcome, 'unmapped');
    assert.match(between?.reasons[0] ?? '', /createdate BETWEEN/);
  });
});

for (const dialect of DIALECTS) {
  describe(`imported vendor requests run by the engine (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let sink: HttpSink;
    const ws = { workspaceId: '', apiKey: '' };
    before(async () => {
      sink = await startHttpSink(vendorAnswer);
      const app = await startWorkflowApp(dialect, { workers: 2 });
      ({ runtime, http } = app);
      Object.assign(ws, app.ws);
      const scope = { workspaceId: ws.workspaceId };
      await inWorkspace(ws.workspaceId, async () => {
        const put = runtime.workflows.credentials.put.bind(runtime.workflows.credentials);
        await put(runtime.store.db, scope, 'hubspot_token', { kind: 'bearer_token', token: 'hs-token' });
        await put(runtime.store.db, scope, 'pipedrive_token', {
          kind: 'header',
          name: 'x-api-token',
          value: 'pd-token',
        });
        await put(runtime.store.db, scope, 'linkedin_token', { kind: 'bearer_token', token: 'li-token' });
        await put(runtime.store.db, scope, 'slack_token', { kind: 'bearer_token', token: 'xoxb-test' });
      });
    });
    after(async () => {
      await stopTestApp({ runtime, http });
      await sink.close();
    });

    it('sends the documented requests and keeps the answers for later steps', () =>
      inWorkspace(ws.workspaceId, async () => {
        const imported = importN8nWorkflow(n8nWorkflow);
        assert.ok(imported.ok);
        // The vendors' hosts are pointed at the local server; everything else is as imported.
        let text = JSON.stringify(imported.workflow);
        for (const origin of ORIGINS) text = text.split(origin).join(sink.url);
        const workflow = JSON.parse(text) as Workflow;
        // A post is a third party: the verifier asks for the CCPA sale/share guard, which the user
        // adds after import; it is not what this test is about.
        for (const s of workflow.steps)
          if (s.type === 'http_request' && !s.sharing) s.sharing = 'service_provider';
        // As the import report says: the fetching step saves its response where the extraction reads.
        const fetchId = imported.report.nodes.find((n) => n.name === 'Fetch page')?.step;
        for (const s of workflow.steps) if (s.type === 'http_request' && s.id === fetchId) s.saveAs = 'data';
        const created = await runtime.workflows.service.create(ws, workflow, ACTOR);
        const run = await runToEnd(runtime, ws, created.id, {
          leadId: null,
          data: { email: 'ann@example.com', company: 'Initech', ts: '1405894322.002768' },
        });
        assert.equal(run.status, 'completed', JSON.stringify(run.steps));
        const outputs = run.steps.map((s) => s.output as Record<string, unknown>);
        const hubspot = outputs.find((o) => o?.saveAs === 'find_contact');
        assert.deepEqual((hubspot?.response as { results?: unknown[] } | undefined)?.results, [
          { id: '501', properties: { email: 'ann@example.com', firstname: 'Ann' } },
        ]);
        const person = outputs.find((o) => o?.saveAs === 'find_person');
        assert.equal(
          (person?.response as { data: { items: { item: { id: number } }[] } } | undefined)?.data.items[0]
            ?.item.id,
          7,
        );
        const post = sink.requests.find((r) => r.url === '/rest/posts');
        assert.deepEqual(JSON.parse(post?.body ?? '{}'), {
          author: 'urn:li:organization:12345678',
          commentary: 'Welcome Initech',
          visibility: 'PUBLIC',
          distribution: {
            feedDistribution: 'MAIN_FEED',
            targetEntities: [],
            thirdPartyDistributionChannels: [],
          },
          lifecycleState: 'PUBLISHED',
          isReshareDisabledByAuthor: false,
        });
        assert.deepEqual(JSON.parse(sink.requests.find((r) => r.url === '/api/chat.update')?.body ?? '{}'), {
          channel: 'C080KBCK1TL',
          ts: '1405894322.002768',
          text: 'Handled: Initech (Big news)',
        });
        assert.deepEqual(
          JSON.parse(sink.requests.find((r) => r.url === '/api/reactions.add')?.body ?? '{}'),
          {
            channel: 'C080KBCK1TL',
            name: 'white_check_mark',
            timestamp: '1405894322.002768',
          },
        );
        const scraped = outputs.find((o) => o && 'htmlLength' in o);
        assert.deepEqual(scraped?.vars, { headline: 'Big news', links: ['/one', '/two'] });
        const search = sink.requests.find((r) => r.url.startsWith('/v1/persons/search'));
        assert.equal(new URL(`http://x${search?.url}`).searchParams.get('term'), 'ann@example.com');
      }));
  });
}
