import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createInMemoryCouncilTools } from './in-memory-tools.ts';
import { leadWorkspace } from './testing/test-support.ts';
import { createToolGateway, stripTenantKeys } from './tool-gateway.ts';
import type { CouncilTools } from './tools-port.ts';
import { TOOL_NAMES } from './vocabulary.ts';

const workspaces = {
  ws_a: leadWorkspace(),
  ws_b: leadWorkspace({ lead: { id: 'lead_b', workspaceId: 'ws_b', company: 'Secret Competitor Ltd' } }),
};

describe('tool gateway', () => {
  test('passes only the question workspace, whatever tenant keys the arguments carry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'workspaceId',
          'workspace_id',
          'tenantId',
          'tenant',
          'organisationId',
          'orgId',
          'WorkspaceID',
        ),
        fc.string({ maxLength: 20 }),
        fc.boolean(),
        async (key, value, nested) => {
          const tools = createInMemoryCouncilTools(workspaces);
          const gateway = createToolGateway({ tools, workspaceId: 'ws_a', timer: () => 0 });
          const scoped = gateway.forCaller({ id: 'agent', tools: TOOL_NAMES });
          const args = nested
            ? { segment: { industry: 'saas', [key]: value }, [key]: 'ws_b' }
            : { leadId: 'lead_1', [key]: 'ws_b' };
          const result = await scoped.callByName(nested ? 'getSegmentStats' : 'getLead', args);
          assert.ok(result.ok);
          assert.deepEqual(
            tools.received().map((call) => call.workspaceId),
            ['ws_a'],
          );
          const [record] = gateway.records();
          assert.ok(record && record.ignoredArgs.length >= 1);
          assert.ok(!JSON.stringify(record?.args).includes(key));
        },
      ),
      { numRuns: 60 },
    );
  });

  test("cannot read another workspace's lead by naming its id", async () => {
    const tools = createInMemoryCouncilTools(workspaces);
    const gateway = createToolGateway({ tools, workspaceId: 'ws_a' });
    const result = await gateway
      .forCaller({ id: 'agent', tools: TOOL_NAMES })
      .call('getLead', { leadId: 'lead_b' });
    assert.ok(result.ok);
    assert.equal(result.value, null);
  });

  test("refuses a tool outside the caller's list and records the refusal", async () => {
    const tools = createInMemoryCouncilTools(workspaces);
    const gateway = createToolGateway({ tools, workspaceId: 'ws_a', timer: () => 0 });
    const scoped = gateway.forCaller({ id: 'researcher-saas', tools: ['getLead'] });
    const denied = await scoped.call('getPerformanceMetrics', { windowDays: 30 });
    const unknown = await scoped.callByName('deleteEverything', {});
    assert.equal(denied.ok, false);
    assert.equal(unknown.ok, false);
    assert.equal(tools.received().length, 0);
    assert.deepEqual(
      gateway.records().map((r) => [r.tool, r.caller, r.status]),
      [
        ['getPerformanceMetrics', 'researcher-saas', 'denied'],
        ['deleteEverything', 'researcher-saas', 'denied'],
      ],
    );
  });

  test('refuses arguments it does not know after removing tenant keys', async () => {
    const tools = createInMemoryCouncilTools(workspaces);
    const gateway = createToolGateway({ tools, workspaceId: 'ws_a' });
    const result = await gateway
      .forCaller({ id: 'agent', tools: TOOL_NAMES })
      .callByName('getLead', { leadId: 'lead_1', sql: 'select * from leads' });
    assert.equal(result.ok, false);
    assert.equal(gateway.records()[0]?.status, 'invalid');
  });

  test('records tool, arguments, caller, duration, result size and hash, and answers repeats once', async () => {
    const tools = createInMemoryCouncilTools(workspaces);
    let now = 100;
    const gateway = createToolGateway({
      tools,
      workspaceId: 'ws_a',
      timer: () => {
        now += 2;
        return now;
      },
    });
    await gateway.forCaller({ id: 'a', tools: TOOL_NAMES }).call('getLead', { leadId: 'lead_1' });
    await gateway.forCaller({ id: 'b', tools: TOOL_NAMES }).call('getLead', { leadId: 'lead_1' });
    const [first, second] = gateway.records();
    assert.equal(tools.received().length, 1);
    assert.equal(first?.caller, 'a');
    assert.equal(first?.cached, false);
    assert.equal(second?.cached, true);
    assert.deepEqual(first?.args, { leadId: 'lead_1' });
    assert.equal(first?.durationMs, 2);
    assert.ok((first?.resultBytes ?? 0) > 100);
    assert.match(first?.resultHash ?? '', /^[0-9a-f]{64}$/);
    assert.equal(first?.resultHash, second?.resultHash);
  });

  test('refuses a lead of another workspace returned by a faulty implementation', async () => {
    const faulty = createInMemoryCouncilTools(workspaces) as CouncilTools;
    const leaky: CouncilTools = {
      ...faulty,
      getLead: async () => workspaces.ws_b.leads?.lead_b?.lead ?? null,
    };
    const gateway = createToolGateway({ tools: leaky, workspaceId: 'ws_a' });
    const result = await gateway
      .forCaller({ id: 'a', tools: TOOL_NAMES })
      .call('getLead', { leadId: 'lead_b' });
    assert.equal(result.ok, false);
    assert.equal(gateway.records()[0]?.status, 'scope_violation');
  });

  test('refuses results of the wrong shape', async () => {
    const tools = createInMemoryCouncilTools(workspaces);
    const broken: CouncilTools = { ...tools, getScore: async () => ({ score: 'high' }) as never };
    const gateway = createToolGateway({ tools: broken, workspaceId: 'ws_a' });
    const result = await gateway
      .forCaller({ id: 'a', tools: TOOL_NAMES })
      .call('getScore', { leadId: 'lead_1' });
    assert.equal(result.ok, false);
    assert.equal(gateway.records()[0]?.status, 'error');
  });

  test('adds conversion rates with Wilson intervals to segment counts', async () => {
    const tools = createInMemoryCouncilTools({
      ws_a: {
        segments: [
          {
            segment: { industry: 'saas' },
            counts: {
              windowDays: 90,
              total: { leads: 100, conversions: 10 },
              byChannel: [{ channel: 'email', leads: 100, conversions: 10 }],
            },
          },
        ],
      },
    });
    const gateway = createToolGateway({ tools, workspaceId: 'ws_a' });
    const result = await gateway
      .forCaller({ id: 'a', tools: TOOL_NAMES })
      .call('getSegmentStats', { segment: { industry: 'saas' } });
    assert.ok(result.ok);
    assert.equal(result.value.total.rate, 0.1);
    assert.ok(Math.abs(result.value.total.low - 0.0552) < 0.001);
    assert.ok(Math.abs(result.value.total.high - 0.1744) < 0.001);
    assert.equal(result.value.byChannel[0]?.channel, 'email');
  });

  test('stripTenantKeys removes tenant keys at any depth and reports their paths', () => {
    const { value, removed } = stripTenantKeys({ a: { workspaceId: 'x', b: [{ tenant_id: 1, c: 2 }] } });
    assert.deepEqual(value, { a: { b: [{ c: 2 }] } });
    assert.deepEqual(removed, ['a.workspaceId', 'a.b.0.tenant_id']);
  });
});
