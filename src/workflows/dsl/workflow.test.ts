import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assignMailAwaitReply } from '../testing/speed-to-lead.ts';
import { stepEdges } from './graph.ts';
import { regionOf } from './regions.ts';
import { parseWorkflow, type Workflow, workflowJsonSchema } from './workflow.ts';

const speedToLead = {
  schemaVersion: 1,
  name: 'Speed to lead',
  triggers: [
    { type: 'lead.qualified' },
    { type: 'schedule', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' },
  ],
  start: 'eu',
  settings: { sender: { postalAddress: '1 Main St, Springfield' } },
  steps: [
    {
      id: 'eu',
      type: 'condition',
      when: { field: 'lead.region', op: 'in', value: ['EU', 'UK'] },
      onTrue: 'consent',
      onFalse: 'assign',
    },
    {
      id: 'consent',
      type: 'condition',
      when: { consent: { purposes: ['email_marketing'] } },
      onTrue: 'assign',
    },
    ...assignMailAwaitReply('Hello', { next: 'done', onTimeout: 'escalate' }),
    {
      id: 'escalate',
      type: 'chat_message',
      channel: 'slack',
      webhook: 'slack-sales',
      text: 'No reply from {{lead.email}}',
      next: 'done',
    },
    { id: 'done', type: 'update_lead', addTags: ['contacted'] },
  ],
} satisfies Workflow;

describe('workflow DSL', () => {
  test('accepts a valid workflow and walks its edges', () => {
    const result = parseWorkflow(speedToLead);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value.warnings, []);
    const wait = result.value.workflow.steps.find((s) => s.id === 'wait');
    assert.ok(wait);
    assert.deepEqual(
      stepEdges(wait).map((e) => [e.kind, e.to]),
      [
        ['next', 'done'],
        ['timeout', 'escalate'],
      ],
    );
  });

  test('names the field of a schema error', () => {
    const bad = structuredClone(speedToLead) as Record<string, unknown>;
    (bad.steps as Record<string, unknown>[])[3] = { id: 'mail', type: 'send_email', to: 'lead' };
    const result = parseWorkflow(bad);
    assert.equal(result.ok, false);
    if (!result.ok)
      assert.ok(
        result.error.some((i) => i.path.startsWith('steps.3')),
        JSON.stringify(result.error),
      );
  });

  test('rejects an unknown time zone, a bad cron and a comparison without a value', () => {
    const bad = structuredClone(speedToLead) as unknown as Workflow;
    bad.triggers = [{ type: 'schedule', cron: 'every day', timezone: 'Mars/Base' }];
    bad.steps[0] = {
      id: 'eu',
      type: 'condition',
      when: { field: 'lead.score', op: 'gt' },
      onTrue: 'consent',
    };
    const result = parseWorkflow(bad);
    assert.equal(result.ok, false);
    if (result.ok) return;
    const paths = result.error.map((i) => i.path);
    assert.ok(paths.includes('triggers.0.cron'), paths.join());
    assert.ok(paths.includes('triggers.0.timezone'), paths.join());
    assert.ok(
      paths.some((p) => p.startsWith('steps.0.when')),
      paths.join(),
    );
  });

  test('rejects references to missing steps and duplicate ids', () => {
    const bad = structuredClone(speedToLead) as unknown as Workflow;
    bad.steps.push({ id: 'done', type: 'noop', next: 'nowhere' });
    const result = parseWorkflow(bad);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.error.map((i) => i.code).sort(), ['duplicate_step_id', 'unknown_step']);
  });

  test('rejects a cycle that passes through no loop step, accepts one through a loop', () => {
    const cyclic: Workflow = {
      schemaVersion: 1,
      name: 'cycle',
      triggers: [{ type: 'manual' }],
      start: 'a',
      steps: [
        { id: 'a', type: 'noop', next: 'b' },
        { id: 'b', type: 'wait', wait: { kind: 'duration', ms: 1000 }, next: 'a' },
      ],
    };
    const result = parseWorkflow(cyclic);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error[0]?.code, 'unbounded_cycle');

    const bounded: Workflow = {
      ...cyclic,
      start: 'loop',
      steps: [
        { id: 'loop', type: 'loop', body: 'a', maxIterations: 3, next: 'end' },
        { id: 'a', type: 'noop', next: 'b' },
        { id: 'b', type: 'wait', wait: { kind: 'duration', ms: 1000 }, next: 'loop' },
        { id: 'end', type: 'noop' },
      ],
    };
    assert.ok(parseWorkflow(bounded).ok);
  });

  test('warns about unreachable steps without refusing the workflow', () => {
    const wf = structuredClone(speedToLead) as unknown as Workflow;
    wf.steps.push({ id: 'orphan', type: 'noop' });
    const result = parseWorkflow(wf);
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.warnings.map((w) => w.code),
      ['unreachable_step'],
    );
  });

  test('switch edges carry what holds on each branch', () => {
    const wf: Workflow = {
      schemaVersion: 1,
      name: 's',
      triggers: [{ type: 'lead.created' }],
      start: 's',
      steps: [
        {
          id: 's',
          type: 'switch',
          cases: [
            { when: { field: 'lead.score', op: 'gte', value: 80 }, next: 'hot' },
            { when: { field: 'lead.score', op: 'gte', value: 40 }, next: 'warm' },
          ],
          default: 'cold',
        },
        { id: 'hot', type: 'noop' },
        { id: 'warm', type: 'noop' },
        { id: 'cold', type: 'noop' },
      ],
    };
    const edges = stepEdges(wf.steps[0] as Workflow['steps'][number]);
    assert.deepEqual(edges[1]?.holds, {
      all: [
        { field: 'lead.score', op: 'gte', value: 40 },
        { not: { field: 'lead.score', op: 'gte', value: 80 } },
      ],
    });
    assert.equal(edges[2]?.kind, 'default');
  });

  test('publishes a JSON Schema covering every step type', () => {
    const schema = JSON.stringify(workflowJsonSchema());
    for (const type of [
      'condition',
      'switch',
      'wait',
      'send_email',
      'crm_upsert',
      'ask_council',
      'loop',
      'opaque',
    ]) {
      assert.ok(schema.includes(`"const":"${type}"`), type);
    }
    assert.ok(schema.includes('"schemaVersion"'));
  });

  test('derives regions from country codes', () => {
    assert.equal(regionOf('de'), 'EU');
    assert.equal(regionOf('NO'), 'EEA');
    assert.equal(regionOf('UK'), 'UK');
    assert.equal(regionOf('US'), 'US');
    assert.equal(regionOf('ZZ'), 'OTHER');
    assert.equal(regionOf(null), null);
  });
});
