import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { count, resolveWorkspace } from './workspace-option.ts';

type Tenants = Parameters<typeof resolveWorkspace>[0]['tenants'];

const workspace = (id: string) => ({ id, organisationId: `org_${id}`, name: id, settings: {}, createdAt: 0 });
const tenantsWith = (ids: string[]) =>
  ({
    getWorkspace: async (id: string) => (ids.includes(id) ? workspace(id) : null),
    soleWorkspace: async () => (ids.length === 1 ? workspace(ids[0] as string) : null),
  }) as unknown as Tenants;

describe('CLI workspace option', () => {
  it('uses the only workspace when --workspace is left out', async () => {
    assert.deepEqual(await resolveWorkspace({ tenants: tenantsWith(['ws_a']) }, undefined), {
      workspaceId: 'ws_a',
      organisationId: 'org_ws_a',
    });
  });

  it('asks for --workspace when there are several or none, and names a missing one', async () => {
    await assert.rejects(
      resolveWorkspace({ tenants: tenantsWith(['ws_a', 'ws_b']) }, undefined),
      /give --workspace/,
    );
    await assert.rejects(resolveWorkspace({ tenants: tenantsWith([]) }, undefined), /give --workspace/);
    await assert.rejects(
      resolveWorkspace({ tenants: tenantsWith(['ws_a']) }, 'ws_z'),
      /workspace ws_z does not exist/,
    );
  });

  it('puts counts in the right number', () => {
    assert.equal(count(1, 'row'), '1 row');
    assert.equal(count(0, 'row'), '0 rows');
    assert.equal(count(2, 'new lead'), '2 new leads');
  });
});
