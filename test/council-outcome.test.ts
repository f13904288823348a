import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createScoringCommands } from '../src/main/commands/scoring-commands.ts';
import { useTestApp } from './support/app.ts';
import { runCommand } from './support/cli.ts';
import { call } from './support/http.ts';
import { eventually } from './support/runtime.ts';

/** A lead's conversion outcome rewards the agents whose next-action advice it followed. */
describe('council learns from conversion outcomes', () => {
  const app = useTestApp('sqlite', { workers: 2 });

  /** A qualified lead with its next-action decision, and a router that has learnt nothing yet. */
  async function decidedLead(email: string) {
    const { apiKey, workspace } = await app.runtime.tenants.createWorkspace({
      name: 'Learner',
      actor: { type: 'system', id: 'test' },
    });
    const accepted = await call(app.http.app, 'POST', '/v1/leads', {
      key: apiKey,
      body: { email, title: 'CFO', company: 'Fjord Bank', country: 'NO', source: 'demo-request' },
    });
    const leadId = await eventually(
      async () =>
        ((await call(app.http.app, 'GET', `/v1/events/${accepted.body.eventId}`, { key: apiKey })).body
          .leadId as string | null) ?? undefined,
    );
    const decision = await eventually(
      async () =>
        (
          (await call(app.http.app, 'GET', `/v1/council/decisions?leadId=${leadId}`, { key: apiKey })).body
            .items as { id: string }[]
        )[0],
    );
    assert.deepEqual(
      (await call(app.http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body.items,
      [],
    );
    return { apiKey, workspaceId: workspace.id, leadId, decision };
  }

  it('rewards the combination behind a qualified lead’s next-action decision when the lead converts', async () => {
    const { apiKey, leadId, decision } = await decidedLead('cfo@fjord-bank.example.no');

    const outcome = await call(app.http.app, 'POST', `/v1/leads/${leadId}/outcome`, {
      key: apiKey,
      body: { converted: true },
    });
    assert.equal(outcome.status, 200, JSON.stringify(outcome.body));
    const stats = (await call(app.http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body
      .items as {
      alpha: number;
      beta: number;
    }[];
    assert.equal(stats.length, 1, `one combination rewarded for decision ${decision.id}`);
    assert.ok((stats[0]?.alpha ?? 0) > 0);

    // Reporting the same outcome again changes nothing.
    await call(app.http.app, 'POST', `/v1/leads/${leadId}/outcome`, {
      key: apiKey,
      body: { converted: true },
    });
    assert.deepEqual(
      (await call(app.http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body.items,
      stats,
    );
  });

  it('teaches the router the same way when the outcome comes from `leadloop outcomes import`', async () => {
    const { apiKey, workspaceId, decision } = await decidedLead('cfo@fjord-bank-two.example.no');
    const dir = mkdtempSync(join(tmpdir(), 'leadloop-learn-'));
    try {
      const file = join(dir, 'outcomes.csv');
      writeFileSync(file, 'email,converted\ncfo@fjord-bank-two.example.no,yes\n');
      const commands = createScoringCommands(async () => ({ ...app.runtime, close: async () => {} }));
      const imported = await runCommand(commands.outcomes, app.runtime, [
        'import',
        file,
        '--workspace',
        workspaceId,
        '--json',
      ]);
      assert.equal(imported.code, 0, imported.stdout + imported.stderr);
      assert.equal(JSON.parse(imported.stdout).recorded, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const stats = (await call(app.http.app, 'GET', '/v1/council/router/stats', { key: apiKey })).body
      .items as {
      alpha: number;
    }[];
    assert.equal(stats.length, 1, `one combination rewarded for decision ${decision.id}`);
    assert.ok((stats[0]?.alpha ?? 0) > 0);
  });
});
