import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson } from '../../core/index.ts';
import type { Step, Workflow } from '../dsl/index.ts';
import { exportN8nWorkflow } from './export.ts';
import { importN8nWorkflow } from './import.ts';

/** Imports of the item, table, CRM, markup and form nodes, and their round trip through export. */

const node = (name: string, type: string, parameters: Record<string, unknown>, typeVersion = 1) => ({
  id: name,
  name,
  type: `n8n-nodes-base.${type}`,
  typeVersion,
  position: [name.length * 100, 0],
  parameters,
});
const main = (...targets: string[][]) => ({
  main: targets.map((t) => t.map((n) => ({ node: n, type: 'main', index: 0 }))),
});

function imported(n8n: unknown): {
  workflow: Workflow;
  byName: (name: string) => Step;
  report: ReturnType<typeof importN8nWorkflow>;
} {
  const result = importN8nWorkflow(n8n);
  assert.ok(result.ok, JSON.stringify(result));
  const byName = (name: string) => {
    const s = result.workflow.steps.find((x) => (x.name ?? x.id) === name || x.id === name);
    assert.ok(s, `step ${name}`);
    return s;
  };
  return { workflow: result.workflow, byName, report: result };
}

function roundTrips(workflow: Workflow): void {
  const back = importN8nWorkflow(JSON.parse(JSON.stringify(exportN8nWorkflow(workflow).workflow)));
  assert.ok(back.ok);
  const { ui: _a, ...a } = workflow;
  const { ui: _b, ...b } = back.workflow;
  assert.equal(canonicalJson(b), canonicalJson(a));
}

const attendees = {
  name: 'Webinar attendees to the sheet',
  nodes: [
    node('Webhook', 'webhook', { path: 'attendees', httpMethod: 'POST' }, 2),
    node('Split Out', 'splitOut', { fieldToSplitOut: 'attendees', options: {} }),
    node(
      'Known?',
      'if',
      {
        conditions: {
          combinator: 'and',
          conditions: [
            {
              leftValue: '={{ $json.email }}',
              rightValue: '',
              operator: { type: 'string', operation: 'notEmpty' },
            },
          ],
        },
      },
      2.2,
    ),
    node(
      'Add row',
      'googleSheets',
      {
        operation: 'append',
        documentId: {
          __rl: true,
          mode: 'url',
          value: 'https://docs.google.com/spreadsheets/d/1AbC-xyz_9/edit',
        },
        sheetName: { __rl: true, mode: 'list', value: 'gid=0', cachedResultName: 'Attendees' },
        columns: {
          mappingMode: 'defineBelow',
          value: { Email: '={{ $json.email }}', Name: '={{ $json.name }}' },
          matchingColumns: [],
          schema: [],
        },
        options: {},
      },
      4.5,
    ),
    node('Aggregate', 'aggregate', {
      fieldsToAggregate: { fieldToAggregate: [{ fieldToAggregate: 'email' }] },
      options: {},
    }),
    node(
      'Tell the team',
      'slack',
      { resource: 'message', operation: 'post', text: '=Added {{ $json.email }}' },
      2.2,
    ),
  ],
  connections: {
    Webhook: main(['Split Out']),
    'Split Out': main(['Known?']),
    'Known?': main(['Add row'], []),
    'Add row': main(['Aggregate']),
    Aggregate: main(['Tell the team']),
  },
};

describe('n8n items: Split Out and Aggregate', () => {
  test('Split Out becomes a loop over the list whose items are the current item; Aggregate closes its body', () => {
    const { workflow, byName, report } = imported(attendees);
    const loop = byName('Split Out');
    const check = byName('Known?');
    const row = byName('Add row');
    const gather = byName('Aggregate');
    const slack = byName('Tell the team');
    assert.deepEqual(
      {
        type: loop.type,
        over: loop.type === 'loop' && loop.over,
        spread: loop.type === 'loop' && loop.spread,
      },
      { type: 'loop', over: 'vars.attendees', spread: true },
    );
    assert.equal(loop.type === 'loop' && loop.body, check.id);
    assert.equal(
      loop.type === 'loop' && loop.next,
      slack.id,
      'after the last item the run goes on after the Aggregate',
    );
    assert.equal(
      check.type === 'condition' && check.onFalse,
      loop.id,
      'an item that stops early takes the next item',
    );
    assert.equal(row.type === 'table_row' && row.next, gather.id);
    assert.deepEqual(gather, {
      id: gather.id,
      type: 'collect',
      append: { email: 'vars.email' },
      loop: loop.id,
      next: loop.id,
    });
    assert.deepEqual(
      row.type === 'table_row' && {
        provider: row.provider,
        operation: row.operation,
        document: row.document,
        table: row.table,
        columns: row.columns,
      },
      {
        provider: 'google_sheets',
        operation: 'append',
        document: '1AbC-xyz_9',
        table: 'Attendees',
        columns: { Email: '{{vars.email}}', Name: '{{vars.name}}' },
      },
    );
    assert.equal(report.ok && report.report.fullyMapped, true);
    roundTrips(workflow);
  });

  test('without an Aggregate, every end of the body returns to the loop, and the run ends after the last item', () => {
    const { byName } = imported({
      name: 'x',
      nodes: [
        node('Start', 'manualTrigger', {}),
        node('Each', 'splitOut', { fieldToSplitOut: 'items', options: { destinationFieldName: 'item' } }),
        node(
          'Row',
          'airtable',
          {
            operation: 'upsert',
            base: { __rl: true, mode: 'id', value: 'appX' },
            table: { __rl: true, mode: 'list', value: 'tblY', cachedResultName: 'Leads' },
            columns: {
              mappingMode: 'defineBelow',
              value: { Email: '={{ $json.item }}' },
              matchingColumns: ['Email'],
            },
            options: {},
          },
          2.1,
        ),
      ],
      connections: { Start: main(['Each']), Each: main(['Row']) },
    });
    const loop = byName('Each');
    assert.equal(loop.type === 'loop' && loop.as, 'item');
    assert.equal(
      loop.type === 'loop' && loop.spread,
      undefined,
      'a destination field keeps the element whole',
    );
    assert.equal(loop.type === 'loop' && loop.next, undefined);
    const row = byName('Row');
    assert.equal(row.type === 'table_row' && row.next, loop.id);
    assert.deepEqual(
      row.type === 'table_row' && [
        row.provider,
        row.operation,
        row.document,
        row.table,
        row.matchOn,
        row.columns,
      ],
      ['airtable', 'upsert', 'appX', 'Leads', 'Email', { Email: '{{vars.item}}' }],
    );
  });
});

describe('n8n rows: a read passes one item per row on', () => {
  test('a Google Sheets read gets a loop over its rows before the nodes after it', () => {
    const { workflow, byName, report } = imported({
      name: 'Follow up every row',
      nodes: [
        node('Every morning', 'scheduleTrigger', { rule: { interval: [{ field: 'days' }] } }, 1.2),
        node(
          'Read leads',
          'googleSheets',
          {
            documentId: { __rl: true, mode: 'id', value: 'sheet-9' },
            sheetName: { __rl: true, mode: 'name', value: 'Leads' },
            filtersUI: { values: [{ lookupColumn: 'Status', lookupValue: 'new' }] },
            options: {},
          },
          4.5,
        ),
        node(
          'Mail',
          'emailSend',
          { toEmail: '={{ $json.Email }}', subject: 'Hi {{ $json.Name }}', text: 'x' },
          2.1,
        ),
      ],
      connections: { 'Every morning': main(['Read leads']), 'Read leads': main(['Mail']) },
    });
    const read = byName('Read leads');
    assert.ok(read.type === 'table_row');
    assert.deepEqual(
      [read.operation, read.matchOn, read.columns, read.saveAs],
      ['lookup', 'Status', { Status: 'new' }, 'rows'],
    );
    const loop = workflow.steps.find((s) => s.id === read.next);
    assert.ok(loop?.type === 'loop');
    assert.deepEqual(
      [loop.over, loop.spread, loop.body, loop.next],
      ['vars.rows', true, byName('Mail').id, undefined],
    );
    const mail = byName('Mail');
    assert.equal(mail.type === 'send_email' && mail.next, loop.id, 'each row returns to the loop');
    assert.equal(mail.type === 'send_email' && mail.to, '{{vars.Email}}');
    assert.ok(report.ok && report.report.notes.some((n) => /once per row/.test(n)));
    roundTrips(workflow);
  });
});

describe('n8n CRM, markup, form and reported nodes', () => {
  const flow = {
    name: 'Form to Pipedrive',
    nodes: [
      node(
        'On form submission',
        'formTrigger',
        {
          formTitle: 'Contact us',
          formFields: { values: [{ fieldLabel: 'Name' }, { fieldLabel: 'Email' }] },
        },
        2.2,
      ),
      node('Person', 'pipedrive', {
        resource: 'person',
        name: "={{ $('On form submission').item.json.Name }}",
        additionalFields: { email: ['={{ $json.email }}'], phone: ['={{ $json.phone }}'] },
      }),
      node('Note', 'pipedrive', {
        resource: 'note',
        content: '=Asked: {{ $json.message }}',
        additionalFields: { lead_id: '={{ $json.id }}' },
      }),
      node('Call', 'pipedrive', { resource: 'activity', type: 'call', subject: 'x', additionalFields: {} }),
      node('To HTML', 'markdown', { mode: 'markdownToHtml', markdown: '={{ $json.message }}', options: {} }),
      node('Template', 'html', { html: '<p>{{ $json.name }}</p>' }, 1.2),
      node('Scrape', 'html', { operation: 'extractHtmlContent', extractionValues: { values: [] } }, 1.2),
      node('Read PDF', 'extractFromFile', { operation: 'pdf' }),
      node('Thanks', 'form', { operation: 'completion', completionTitle: 'Thank you' }),
    ],
    connections: {
      'On form submission': main(['Person']),
      Person: main(['Note']),
      Note: main(['Call']),
      Call: main(['To HTML']),
      'To HTML': main(['Template']),
      Template: main(['Scrape']),
      Scrape: main(['Read PDF']),
      'Read PDF': main(['Thanks']),
    },
  };

  test('maps each node and reports what Leadloop does not run with its reason', () => {
    const { byName, report } = imported(flow);
    assert.ok(report.ok);
    const outcome = (name: string) => report.report.nodes.find((n) => n.name === name);
    assert.deepEqual(byName('Person'), {
      id: byName('Person').id,
      type: 'crm_upsert',
      provider: 'pipedrive',
      object: 'contact',
      credential: 'pipedrive',
      fields: { name: '{{trigger.body.Name}}', phone: '{{vars.phone}}' },
      next: byName('Note').id,
    });
    assert.match(
      outcome('On form submission')?.reasons[0] ?? '',
      /fields \(Name, Email\) arrive as trigger\.body/,
    );
    const note = byName('Note');
    assert.deepEqual(note.type === 'crm_upsert' && [note.provider, note.object, note.fields], [
      'pipedrive',
      'note',
      { content: 'Asked: {{vars.message}}' },
    ]);
    assert.match(outcome('Note')?.reasons.join(' ') ?? '', /attached to the lead's person/);
    assert.equal(outcome('Call')?.outcome, 'unmapped');
    assert.match(outcome('Call')?.reasons[0] ?? '', /Pipedrive activity/);
    assert.deepEqual(
      (({ type, format, template, saveAs }) => ({ type, format, template, saveAs }))(
        byName('To HTML') as Extract<Step, { type: 'render' }>,
      ),
      { type: 'render', format: 'markdown_to_html', template: '{{vars.message}}', saveAs: 'data' },
    );
    const template = byName('Template');
    assert.equal(template.type === 'render' && template.template, '<p>{{vars.name}}</p>');
    assert.match(outcome('Scrape')?.reasons[0] ?? '', /without extraction values/);
    assert.match(outcome('Read PDF')?.reasons[0] ?? '', /not binary files/);
    assert.equal(outcome('Thanks')?.outcome, 'approximated');
    assert.match(outcome('Thanks')?.reasons[0] ?? '', /Thank you/);
    assert.equal(report.report.fullyMapped, false);
  });

  test('Pipedrive, rows and markup export to their own n8n nodes and import back unchanged', () => {
    const workflow: Workflow = {
      schemaVersion: 1,
      name: 'Round trip',
      triggers: [{ type: 'manual' }],
      start: 'deal',
      steps: [
        {
          id: 'deal',
          type: 'crm_upsert',
          provider: 'pipedrive',
          object: 'deal',
          credential: 'pipedrive',
          fields: { title: 'Deal for {{lead.name}}', value: '500' },
          next: 'row',
        },
        {
          id: 'row',
          type: 'table_row',
          provider: 'google_sheets',
          operation: 'upsert',
          document: 'sheet-1',
          table: 'Leads',
          columns: { Email: '{{lead.email}}', Stage: 'won' },
          matchOn: 'Email',
          credential: 'google_sheets',
          next: 'html',
        },
        {
          id: 'html',
          type: 'render',
          format: 'markdown_to_html',
          template: '# {{lead.name}}',
          saveAs: 'data',
        },
      ],
    };
    const exported = exportN8nWorkflow(workflow);
    assert.deepEqual(
      exported.workflow.nodes.slice(1).map((n) => n.type),
      ['n8n-nodes-base.pipedrive', 'n8n-nodes-base.googleSheets', 'n8n-nodes-base.markdown'],
    );
    assert.deepEqual(exported.report.embedded, [], 'no step needs the Leadloop definition in its notes');
    roundTrips(workflow);
  });
});
