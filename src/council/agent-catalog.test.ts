import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStaticAgentDirectory, mergeAgents } from './agent-catalog.ts';
import { agentSchema } from './agent-schema.ts';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';

describe('built-in agent pools', () => {
  test('hold at least four industries, four regions, three domains and one generalist per role', () => {
    const values = (kind: string) =>
      new Set(BUILT_IN_AGENTS.filter((a) => a.specialty.kind === kind).map((a) => a.specialty.value));
    assert.ok(values('industry').size >= 4);
    assert.ok(values('region').size >= 4);
    assert.ok(values('domain').size >= 3);
    for (const role of ['researcher', 'strategist', 'optimizer'] as const) {
      assert.equal(
        BUILT_IN_AGENTS.filter((a) => a.role === role && a.specialty.kind === 'general').length,
        1,
        `one general ${role}`,
      );
    }
  });

  test('are all valid agents with unique ids whose inputs are allowed tools', () => {
    const ids = new Set<string>();
    for (const agent of BUILT_IN_AGENTS) {
      assert.ok(agentSchema.safeParse(agent).success, agent.id);
      assert.ok(!ids.has(agent.id), `duplicate ${agent.id}`);
      ids.add(agent.id);
      for (const input of agent.inputs) assert.ok(agent.tools.includes(input));
    }
  });
});

describe('agent schema', () => {
  const valid = {
    id: 'researcher-education',
    name: 'Education researcher',
    role: 'researcher',
    specialty: { kind: 'industry', value: 'education' },
    description: 'Universities and schools.',
    instructions: 'Know the academic year.',
    tools: ['getLead'],
    inputs: ['getLead'],
    appliesWhen: [{ questionTypes: ['lead.research'], industries: ['education'] }],
  };

  test('rejects inputs that are not among the tools', () => {
    const result = agentSchema.safeParse({ ...valid, inputs: ['getLead', 'getScore'] });
    assert.equal(result.success, false);
    assert.match(JSON.stringify(result.error?.issues), /not among the agent's tools/);
  });

  test('rejects a domain specialist that is not an optimizer', () => {
    const result = agentSchema.safeParse({
      ...valid,
      specialty: { kind: 'domain', value: 'outbound_email' },
    });
    assert.equal(result.success, false);
  });

  test('rejects unknown fields and unknown tools', () => {
    assert.equal(agentSchema.safeParse({ ...valid, sudo: true }).success, false);
    assert.equal(agentSchema.safeParse({ ...valid, tools: ['deleteLead'] }).success, false);
  });
});

describe('mergeAgents (workspace overrides)', () => {
  test('adds a workspace agent and overrides a built-in by id, keeping its other fields', () => {
    const result = mergeAgents([
      {
        id: 'researcher-education',
        name: 'Education researcher',
        role: 'researcher',
        specialty: { kind: 'industry', value: 'education' },
        description: 'Universities.',
        instructions: 'Know the academic year.',
        tools: ['getLead'],
        inputs: ['getLead'],
        appliesWhen: [{ questionTypes: ['lead.research'], industries: ['education'] }],
      },
      { id: 'strategist-dach', instructions: 'Antworten Sie immer auf Deutsch.' },
    ]);
    assert.ok(result.ok);
    const byId = new Map(result.value.map((a) => [a.id, a]));
    assert.equal(result.value.length, BUILT_IN_AGENTS.length + 1);
    assert.equal(byId.get('researcher-education')?.enabled, true);
    assert.equal(byId.get('strategist-dach')?.instructions, 'Antworten Sie immer auf Deutsch.');
    assert.deepEqual(byId.get('strategist-dach')?.specialty, { kind: 'region', value: 'dach' });
  });

  test('a patch can switch a built-in off', () => {
    const result = mergeAgents([{ id: 'optimizer-general', enabled: false }]);
    assert.ok(result.ok);
    assert.equal(result.value.find((a) => a.id === 'optimizer-general')?.enabled, false);
  });

  test('names the invalid override and field, and adds nothing', () => {
    const result = mergeAgents([{ id: 'strategist-uk' }, { id: 'strategist-uk', tools: ['dropTables'] }, 42]);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.error.some((issue) => issue.field.startsWith('overrides.1.tools')));
    assert.ok(!result.ok && result.error.some((issue) => issue.field === 'overrides.2'));
  });

  test('a new agent must be complete', () => {
    const result = mergeAgents([{ id: 'brand-new', name: 'Half an agent' }]);
    assert.equal(result.ok, false);
  });

  test('the static directory serves overrides per workspace and built-ins elsewhere', async () => {
    const directory = createStaticAgentDirectory({ ws_a: [{ id: 'strategist-uk', enabled: false }] });
    const a = await directory.list('ws_a');
    const b = await directory.list('ws_b');
    assert.equal(a.find((x) => x.id === 'strategist-uk')?.enabled, false);
    assert.equal(b.find((x) => x.id === 'strategist-uk')?.enabled, true);
    assert.throws(() => createStaticAgentDirectory({ ws_c: [{ id: 'x' }] }), /ws_c/);
  });
});
