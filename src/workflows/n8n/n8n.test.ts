import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../../core/index.ts';
import { parseWorkflow, type Workflow } from '../dsl/index.ts';
import { assignMailAwaitReply } from '../testing/speed-to-lead.ts';
import { exportN8nWorkflow } from './export.ts';
import { importN8nFilesDetailed } from './files.ts';
import { importN8nWorkflow } from './import.ts';

// The corpus sits beside the repository (`../shared/data/n8n-workflows`); N8N_CORPUS overrides it.
const CORPUS =
  process.env.N8N_CORPUS ?? join(import.meta.dirname, '../../../../shared/data/n8n-workflows/workflows');

const leadFlow = {
  name: 'Inbound lead',
  nodes: [
    {
      id: '1',
      name: 'Webhook',
      type: 'n8n-nodes-base.webhook',
      typeVersion: 2,
      position: [0, 0],
      parameters: { path: 'new-lead', httpMethod: 'POST' },
      webhookId: 'w1',
    },
    {
      id: '2',
      name: 'Is hot?',
      type: 'n8n-nodes-base.if',
      typeVersion: 2.2,
      position: [200, 0],
      parameters: {
        conditions: {
          combinator: 'and',
          conditions: [
            {
              id: 'a',
              leftValue: '={{ $json.body.score }}',
              rightValue: 70,
              operator: { type: 'number', operation: 'gte' },
            },
          ],
        },
      },
    },
    {
      id: '3',
      name: 'HubSpot',
      type: 'n8n-nodes-base.hubspot',
      typeVersion: 2,
      position: [400, 0],
      parameters: {
        resource: 'contact',
        operation: 'upsert',
        email: "={{ $('Webhook').item.json.body.email }}",
        additionalFields: { jobTitle: '={{ $json.body.title }}' },
      },
    },
    {
      id: '4',
      name: 'Send Email',
      type: 'n8n-nodes-base.emailSend',
      typeVersion: 2.1,
      position: [400, 200],
      parameters: {
        toEmail: '={{ $json.body.email }}',
        subject: 'Thanks {{ $json.body.name }}',
        text: '=Hi {{ $json.body.name }}',
        fromEmail: 'hello@acme.test',
      },
    },
    {
      id: '5',
      name: 'Code',
      type: 'n8n-nodes-base.code',
      typeVersion: 2,
      position: [600, 0],
      parameters: { jsCode: 'return items;' },
    },
    {
      id: '6',
      name: 'Note',
      type: 'n8n-nodes-base.stickyNote',
      typeVersion: 1,
      position: [0, -200],
      parameters: { content: 'Routing', width: 300, height: 200 },
    },
    {
      id: '7',
      name: 'Wait',
      type: 'n8n-nodes-base.wait',
      typeVersion: 1.1,
      position: [600, 200],
      parameters: { amount: 2, unit: 'days' },
    },
  ],
  connections: {
    Webhook: { main: [[{ node: 'Is hot?', type: 'main', index: 0 }]] },
    'Is hot?': {
      main: [[{ node: 'HubSpot', type: 'main', index: 0 }], [{ node: 'Wait', type: 'main', index: 0 }]],
    },
    HubSpot: { main: [[{ node: 'Code', type: 'main', index: 0 }]] },
    Wait: { main: [[{ node: 'Send Email', type: 'main', index: 0 }]] },
  },
  settings: { executionOrder: 'v1', timezone: 'Europe/Berlin' },
};

describe('n8n import', () => {
  test('maps triggers, conditions, CRM, e-mail, waits and notes, keeps Code as an opaque step and reports each node', () => {
    const result = importN8nWorkflow(leadFlow);
    assert.ok(result.ok, JSON.stringify(result));
    const { workflow, report } = result;
    assert.deepEqual(workflow.triggers, [{ type: 'webhook', path: 'new-lead' }]);
    assert.equal(workflow.start, 'Is-hot');
    const byId = new Map(workflow.steps.map((s) => [s.id, s]));
    assert.deepEqual(byId.get('Is-hot'), {
      id: 'Is-hot',
      name: 'Is hot?',
      type: 'condition',
      when: { field: 'vars.body.score', op: 'gte', value: 70 },
      onTrue: 'HubSpot',
      onFalse: 'Wait',
    });
    const crm = byId.get('HubSpot');
    assert.equal(crm?.type, 'crm_upsert');
    assert.deepEqual(crm?.type === 'crm_upsert' && crm.fields, {
      email: '{{trigger.body.email}}',
      jobTitle: '{{vars.body.title}}',
    });
    assert.deepEqual(byId.get('Wait'), {
      id: 'Wait',
      type: 'wait',
      wait: { kind: 'duration', ms: 172_800_000 },
      next: 'Send-Email',
    });
    assert.equal(byId.get('Code')?.type, 'opaque');
    assert.deepEqual(workflow.notes, [{ text: 'Routing', position: [0, -200], size: [300, 200] }]);
    assert.equal(report.fullyMapped, false);
    assert.deepEqual(
      report.nodes.map((n) => [n.name, n.outcome]),
      [
        ['Webhook', 'mapped'],
        ['Is hot?', 'mapped'],
        ['HubSpot', 'mapped'],
        ['Send Email', 'mapped'],
        ['Code', 'unmapped'],
        ['Note', 'note'],
        ['Wait', 'mapped'],
      ],
    );
  });

  test('keeps JavaScript it cannot read as text and says so', () => {
    const flow = structuredClone(leadFlow);
    (flow.nodes[3] as { parameters: Record<string, unknown> }).parameters.subject =
      '={{ $json.body.name.toUpperCase() }}';
    const result = importN8nWorkflow(flow);
    assert.ok(result.ok);
    const mail = result.report.nodes.find((n) => n.name === 'Send Email');
    assert.equal(mail?.outcome, 'approximated');
    assert.match(mail?.reasons[0] ?? '', /not evaluated/);
  });

  test('bounds a cycle without a loop node and wires error outputs', () => {
    const flow = {
      nodes: [
        { name: 'Start', type: 'n8n-nodes-base.manualTrigger', parameters: {} },
        {
          name: 'Call',
          type: 'n8n-nodes-base.httpRequest',
          typeVersion: 4.2,
          parameters: { url: 'https://api.test', method: 'GET' },
          onError: 'continueErrorOutput',
        },
        {
          name: 'Retry later',
          type: 'n8n-nodes-base.wait',
          typeVersion: 1.1,
          parameters: { amount: 5, unit: 'minutes' },
        },
      ],
      connections: {
        Start: { main: [[{ node: 'Call', type: 'main', index: 0 }]] },
        Call: { main: [[], [{ node: 'Retry later', type: 'main', index: 0 }]] },
        'Retry later': { main: [[{ node: 'Call', type: 'main', index: 0 }]] },
      },
    };
    const result = importN8nWorkflow(flow);
    assert.ok(result.ok, JSON.stringify(result));
    const call = result.workflow.steps.find((s) => s.id === 'Call');
    assert.equal(call?.onError, 'Retry-later');
    assert.ok(
      result.workflow.steps.some((s) => s.type === 'loop' && s.body === 'Call' && s.maxIterations === 100),
    );
    assert.match(result.report.notes.join(), /bounded to 100 rounds/);
  });

  test('reports files that are not n8n JSON and never throws on malformed workflows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'n8n-'));
    try {
      await writeFile(join(dir, 'a.json'), JSON.stringify(leadFlow));
      await writeFile(join(dir, 'broken.json'), '{ nope');
      await writeFile(join(dir, 'other.json'), JSON.stringify({ hello: 'world' }));
      await writeFile(join(dir, 'export.json'), JSON.stringify([leadFlow, leadFlow]));
      await writeFile(join(dir, 'readme.txt'), 'ignored');
      const { summary } = await importN8nFilesDetailed([dir]);
      assert.equal(summary.files, 4);
      assert.equal(summary.parsed, 3);
      assert.equal(summary.fullyMapped, 0);
      assert.equal(summary.nodes, 18);
      assert.deepEqual(summary.unmapped, { 'n8n-nodes-base.code': 3 });
      assert.deepEqual(
        summary.failed.map((f) => [f.file.split('/').pop(), f.reason.split(':')[0]]),
        [
          ['broken.json', 'not JSON'],
          ['other.json', 'not n8n workflow JSON (needs "nodes" and "connections")'],
        ],
      );
    } finally {
      await rm(dir, { recursive: true });
    }
    fc.assert(
      fc.property(
        fc.record({
          nodes: fc.array(fc.anything(), { maxLength: 8 }),
          connections: fc.dictionary(fc.string(), fc.anything()),
        }),
        (input) => {
          const result = importN8nWorkflow(input);
          if (result.ok) assert.ok(parseWorkflow(result.workflow).ok);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});

describe('n8n export', () => {
  const native: Workflow = {
    schemaVersion: 1,
    name: 'Speed to lead',
    triggers: [
      { type: 'lead.qualified', filter: { field: 'lead.score', op: 'gte', value: 60 } },
      { type: 'schedule', cron: '0 9 * * 1', timezone: 'Europe/Berlin' },
    ],
    start: 'consent',
    steps: [
      {
        id: 'consent',
        type: 'condition',
        when: {
          all: [
            { consent: { purposes: ['email_marketing'] } },
            { field: 'lead.country', op: 'in', value: ['DE', 'AT'] },
          ],
        },
        onTrue: 'assign',
        onFalse: 'council',
      },
      ...assignMailAwaitReply('Hello from {{steps.assign.owner}}', { next: 'crm', onTimeout: 'crm' }),
      {
        id: 'crm',
        type: 'crm_upsert',
        provider: 'hubspot',
        object: 'contact',
        credential: 'hubspot',
        fields: { email: '{{lead.email}}' },
      },
      {
        id: 'council',
        type: 'ask_council',
        question: 'Route {{lead.id}}?',
        branches: [{ decision: 'route_to_rep', next: 'assign' }],
        default: 'tag',
      },
      { id: 'tag', type: 'update_lead', addTags: ['nurture'], onError: 'assign' },
    ],
    notes: [{ text: 'Speed matters' }],
  };

  test('emits what n8n importers require: name, nodes with uuid/name/type/typeVersion/position/parameters, connections by name, settings', () => {
    const { workflow: n8n, report } = exportN8nWorkflow(native);
    assert.deepEqual(Object.keys(n8n).sort(), ['connections', 'name', 'nodes', 'settings']);
    assert.deepEqual(n8n.settings, { executionOrder: 'v1', timezone: 'Europe/Berlin' });
    // n8n's public API (`spec/schemas/node.yml`, additionalProperties: false) accepts only these node fields.
    const nodeFields = new Set([
      'id',
      'name',
      'webhookId',
      'disabled',
      'notesInFlow',
      'notes',
      'type',
      'typeVersion',
      'executeOnce',
      'alwaysOutputData',
      'retryOnFail',
      'maxTries',
      'waitBetweenTries',
      'onError',
      'position',
      'parameters',
      'credentials',
    ]);
    const names = new Set<string>();
    for (const node of n8n.nodes) {
      for (const key of Object.keys(node)) assert.ok(nodeFields.has(key), `node field ${key}`);
      assert.match(String(node.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(typeof node.type, 'string');
      assert.equal(typeof node.typeVersion, 'number');
      assert.ok(Array.isArray(node.position) && node.position.length === 2);
      assert.equal(typeof node.parameters, 'object');
      assert.ok(!names.has(String(node.name)), `duplicate name ${String(node.name)}`);
      names.add(String(node.name));
    }
    for (const [from, { main }] of Object.entries(n8n.connections)) {
      assert.ok(names.has(from));
      for (const slot of main) for (const c of slot) assert.ok(names.has(c.node), c.node);
    }
    const mail = n8n.nodes.find((n) => n.name === 'mail');
    assert.equal(mail?.type, 'n8n-nodes-base.emailSend');
    assert.equal(
      (mail?.parameters as Record<string, unknown> | undefined)?.toEmail,
      '={{ $json.lead.email }}',
    );
    const consent = n8n.nodes.find((n) => n.name === 'consent');
    assert.equal(consent?.type, 'n8n-nodes-base.if');
    // n8n cannot express these exactly (no owner assignment, lead update or council; waits resume on their own webhook).
    assert.deepEqual(report.embedded.sort(), [
      'assign',
      'council',
      'tag',
      'trigger 1 (lead.qualified)',
      'wait',
    ]);
  });

  test('export then import gives the same workflow back', () => {
    const back = importN8nWorkflow(JSON.parse(JSON.stringify(exportN8nWorkflow(native).workflow)));
    assert.ok(back.ok, JSON.stringify(back));
    // Layout is presentation: the export places notes, the import keeps those positions.
    const { ui: _ui, notes, ...restored } = back.workflow;
    const { notes: nativeNotes, ...expected } = native;
    assert.equal(canonicalJson(restored), canonicalJson(expected));
    assert.deepEqual(
      notes?.map((n) => n.text),
      nativeNotes?.map((n) => n.text),
    );
  });

  test('the public corpus: every file imports, and export → import is stable (every 10th file)', async (t) => {
    const dirs = await readdir(CORPUS).catch(() => null);
    if (!dirs) {
      t.skip(`no n8n corpus at ${CORPUS} (set N8N_CORPUS); bench:workflows covers all 2,061 files`);
      return;
    }
    const { results } = await importN8nFilesDetailed([CORPUS]);
    assert.ok(results.length >= 2000);
    assert.deepEqual(
      results.filter((r) => !r.workflow).map((r) => r.file),
      [],
    );
    results.forEach((r, i) => {
      if (i % 10 !== 0 || !r.workflow) return;
      const back = importN8nWorkflow(JSON.parse(JSON.stringify(exportN8nWorkflow(r.workflow).workflow)));
      assert.ok(back.ok, r.file);
      const { ui: _a, ...a } = r.workflow;
      const { ui: _b, ...b } = back.workflow;
      assert.equal(canonicalJson(b), canonicalJson(a), r.file);
    });
  });
});
