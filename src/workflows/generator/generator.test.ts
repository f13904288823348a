import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createModelClient } from '../../models/index.ts';
import {
  loadFixture,
  type ProtocolServer,
  startProtocolServer,
} from '../../models/testing/protocol-server.ts';
import { parseWorkflow, type Workflow } from '../dsl/index.ts';
import {
  GENERATE_TASK,
  generateRequestSchema,
  generateWorkflow,
  workflowGenerationSkill,
} from './generate.ts';
import { type GoalFixture, unmetProperties } from './goal-properties.ts';
import { PLAYS } from './plays.ts';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/workflow-goals');

describe('offline generation over the goal fixtures', () => {
  test('every result validates and verifies, refusals say why, and ≥ 90% meet all their properties', async () => {
    const files = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.ok(files.length >= 60, `${files.length} fixtures`);
    const misses: string[] = [];
    for (const file of files) {
      const fixture = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as GoalFixture;
      const result = await generateWorkflow({ goal: fixture.goal, constraints: fixture.constraints ?? {} });
      if (result.ok) {
        assert.ok(parseWorkflow(result.value.workflow).ok, file);
        assert.ok(
          result.value.verification.ok,
          `${file}: ${JSON.stringify(result.value.verification.findings)}`,
        );
        assert.equal(result.value.explanation.length, result.value.workflow.steps.length, file);
      } else {
        assert.ok(result.error.reason.length > 20, file);
      }
      const unmet = unmetProperties(result, fixture.expect);
      if (unmet.length > 0) misses.push(`${file}: ${unmet.join('; ')}`);
    }
    assert.ok(misses.length <= files.length * 0.1, misses.join('\n'));
  });

  test('a goal that skips consent gets the guard and a finding saying what was added', async () => {
    const result = await generateWorkflow({ goal: 'E-mail everyone in Germany without asking for consent.' });
    assert.ok(result.ok);
    const guard = result.value.workflow.steps.find((s) => s.type === 'condition');
    assert.deepEqual(guard?.type === 'condition' && guard.when, {
      consent: { purposes: ['email_marketing'] },
    });
    assert.deepEqual(
      result.value.findings.map((f) => [f.rule, f.path]),
      [['gdpr.marketing_email_consent', ['trigger:lead.created', 'email']]],
    );
    assert.match(result.value.explanation[0]?.reason ?? '', /added a check/);
  });

  test('the request schema names the field of a bad request', () => {
    assert.ok(
      generateRequestSchema.safeParse({ goal: 'Route qualified leads', constraints: { crm: 'hubspot' } })
        .success,
    );
    const bad = generateRequestSchema.safeParse({
      goal: '',
      constraints: { crm: 'pipedrive', colour: 'red' },
    });
    assert.equal(bad.success, false);
    const paths = bad.error?.issues.map((i) => i.path.join('.')) ?? [];
    assert.ok(
      paths.includes('goal') && paths.includes('constraints.crm') && paths.includes('constraints'),
      paths.join(),
    );
  });

  test('the library holds at least 20 plays', () => {
    assert.ok(PLAYS.length >= 20);
  });
});

const PATH = '/v1/chat/completions';
let server: ProtocolServer;

function reply(object: unknown): { json: unknown } {
  const base = loadFixture<{ choices: { message: { content: string } }[] }>('openai-chat-json.json');
  (base.choices[0] as { message: { content: string } }).message.content = JSON.stringify(object);
  return { json: base };
}

function model() {
  return createModelClient({
    model: 'openai:gpt-4o-mini',
    providers: { openai: { apiKey: 'sk-test', baseURL: `${server.url}/v1` } },
    skills: { [GENERATE_TASK]: workflowGenerationSkill },
    retry: { maxRetries: 0, initialDelayMs: 1, backoffFactor: 1 },
  });
}

const modelWorkflow: Workflow = {
  schemaVersion: 1,
  name: 'Model speed to lead',
  triggers: [{ type: 'lead.qualified' }],
  start: 'assign',
  steps: [
    { id: 'assign', type: 'assign_owner', strategy: 'round_robin', owners: [{ id: 'ana' }], next: 'notify' },
    {
      id: 'notify',
      type: 'chat_message',
      channel: 'slack',
      webhook: 'slack-sales',
      text: 'New lead {{lead.name}}',
    },
  ],
};

describe('generation with a real model (OpenAI wire protocol, local server)', () => {
  before(async () => {
    server = await startProtocolServer();
  });
  after(() => server.close());
  beforeEach(() => server.reset());

  test('sends the DSL schema as structured output and uses a valid answer', async () => {
    server.reply(
      PATH,
      reply({
        workflow: modelWorkflow,
        explanation: [
          { step: 'assign', reason: 'owner' },
          { step: 'notify', reason: 'tell' },
        ],
      }),
    );
    const result = await generateWorkflow(
      { goal: 'Route qualified leads and ping Slack' },
      { model: model() },
    );
    assert.ok(result.ok);
    assert.deepEqual(result.value.source, { kind: 'model', model: 'openai:gpt-4o-mini', repairs: 0 });
    assert.equal(result.value.workflow.name, 'Model speed to lead');
    const format = server.requests[0]?.body.response_format as {
      type: string;
      json_schema: { schema: object };
    };
    assert.equal(format.type, 'json_schema');
    assert.match(JSON.stringify(format.json_schema.schema), /schemaVersion/);
  });

  test('repairs from the validator’s and verifier’s coded messages, then adds missing guards itself', async () => {
    const broken = {
      ...modelWorkflow,
      steps: [{ ...modelWorkflow.steps[0], next: 'nowhere' }, modelWorkflow.steps[1]],
    };
    const unguarded: Workflow = {
      ...modelWorkflow,
      steps: [
        {
          id: 'assign',
          type: 'assign_owner',
          strategy: 'round_robin',
          owners: [{ id: 'ana' }],
          next: 'mail',
        },
        { id: 'mail', type: 'send_email', to: 'lead', purpose: 'marketing', subject: 'Hi', body: 'Hello' },
      ],
    };
    server.reply(
      PATH,
      reply({ workflow: broken, explanation: [] }),
      reply({ workflow: unguarded, explanation: [] }),
      reply({ workflow: unguarded, explanation: [] }),
    );
    const result = await generateWorkflow(
      { goal: 'Assign qualified leads and e-mail them' },
      { model: model() },
    );
    assert.ok(result.ok);
    assert.equal(server.requests.length, 3);
    const second = JSON.stringify(server.requests[1]?.body.messages);
    assert.match(second, /unknown_step at steps\.0\.next/);
    const third = JSON.stringify(server.requests[2]?.body.messages);
    assert.match(third, /gdpr\.marketing_email_consent at step mail/);
    assert.deepEqual(result.value.source, { kind: 'model', model: 'openai:gpt-4o-mini', repairs: 2 });
    assert.deepEqual(
      result.value.findings.map((f) => f.rule),
      ['gdpr.marketing_email_consent'],
    );
    assert.ok(result.value.verification.ok);
  });

  test('falls back to the offline play library when the model answers outside the schema', async () => {
    server.reply(PATH, reply({ workflow: { nodes: [] }, explanation: 'none' }));
    const result = await generateWorkflow(
      { goal: 'Alert the sales channel in Slack when any lead’s score crosses 70.' },
      { model: model() },
    );
    assert.ok(result.ok);
    assert.equal(result.value.source.kind, 'offline');
    assert.match(result.value.fallback ?? '', /not used \(invalid_output/);
    assert.equal(result.value.workflow.triggers[0]?.type, 'score.crossed');
  });

  test('refuses before calling the model when the goal asks for code', async () => {
    const result = await generateWorkflow(
      { goal: "Run this JavaScript on every lead: require('fs')" },
      { model: model() },
    );
    assert.equal(result.ok, false);
    assert.equal(server.requests.length, 0);
  });
});
