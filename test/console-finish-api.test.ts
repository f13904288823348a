import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { leadRow, outcomeRow } from './support/rows.ts';
import { DIALECTS } from './support/runtime.ts';

/**
 * The API behind the console's funnel chart, calibration plot and suppression list, on both
 * databases: what each counts, from which rows, and who may read it.
 */
for (const dialect of DIALECTS) {
  describe(`console data: funnel, calibration, suppressions (${dialect})`, () => {
    const app = useTestApp(dialect);
    let key = '';
    let readKey = '';
    let workspaceId = '';
    let otherWorkspaceId = '';
    let organisation = '';
    const DAY = 86_400_000;

    before(async () => {
      const actor = { type: 'system', id: 't' } as const;
      const created = await app.runtime.tenants.createWorkspace({
        name: 'Unit North',
        organisation: 'Group',
        actor,
      });
      const other = await app.runtime.tenants.createWorkspace({
        name: 'Unit South',
        organisation: 'Group',
        actor,
      });
      key = created.apiKey;
      workspaceId = created.workspace.id;
      otherWorkspaceId = other.workspace.id;
      organisation = created.workspace.organisationId;
      readKey = (await app.runtime.tenants.createApiKey({ workspaceId, scope: 'read', actor })).key;
    });

    /** A lead created `ageDays` ago, with the stages it reached written as their capabilities write them. */
    async function lead(
      ws: string,
      n: number,
      ageDays: number,
      reached: { chat?: boolean; merged?: boolean; qualified?: boolean; converted?: boolean | 'lost' },
    ): Promise<string> {
      const id = app.runtime.ids.next('lead');
      const at = app.runtime.clock.now() - ageDays * DAY;
      await app.runtime.inspect
        .insertInto('leads')
        .values(
          leadRow(id, ws, at, {
            email: `p${n}@funnel.example.com`,
            source: 'web',
            status: reached.qualified ? 'qualified' : 'new',
          }),
        )
        .execute();
      if (reached.chat)
        await app.runtime.inspect
          .insertInto('chat_sessions')
          .values({
            id: app.runtime.ids.next('chat'),
            workspace_id: ws,
            playbook_id: 'default',
            status: 'ended',
            outcome: null,
            state: '{}',
            version: 1,
            event_id: null,
            lead_id: id,
            created_at: at,
            updated_at: at,
          })
          .execute();
      for (const action of reached.merged ? ['lead.created', 'lead.merged'] : ['lead.created'])
        await app.runtime.inspect
          .insertInto('lead_history')
          .values({
            workspace_id: ws,
            lead_id: id,
            event_id: `evt_${n}`,
            action,
            changes: '{}',
            created_at: at,
          })
          .execute();
      if (reached.converted)
        await app.runtime.inspect
          .insertInto('lead_outcomes')
          .values(
            outcomeRow(ws, id, at, { converted: reached.converted === true ? 1 : 0, body_hash: `h${n}` }),
          )
          .execute();
      return id;
    }

    it('counts the funnel of leads that arrived in the window, each stage including the later ones', async () => {
      // In the last 7 days: 10 arrived; 2 chatted, 1 came back; 3 qualified (1 also chatted);
      // 2 converted (one never chatted nor qualified, so it counts as engaged and qualified too);
      // a lost outcome counts for nothing. Engaged: 2 + 1 + 2 qualified + 1 converted = 6.
      let n = 0;
      for (let i = 0; i < 3; i++) await lead(workspaceId, n++, 1, {});
      await lead(workspaceId, n++, 2, { chat: true });
      await lead(workspaceId, n++, 2, { chat: true, qualified: true });
      await lead(workspaceId, n++, 3, { merged: true });
      await lead(workspaceId, n++, 3, { qualified: true });
      await lead(workspaceId, n++, 4, { qualified: true, converted: true });
      await lead(workspaceId, n++, 5, { converted: true });
      await lead(workspaceId, n++, 6, { converted: 'lost' });
      // Older: only the 30-day window sees them.
      for (let i = 0; i < 5; i++) await lead(workspaceId, n++, 20, { qualified: i < 2 });
      // Another business unit of the same organisation.
      for (let i = 0; i < 4; i++) await lead(otherWorkspaceId, n++, 1, { chat: i === 0, converted: i === 1 });

      const funnel = async (window: string, k = key) => {
        const response = await call(app.http.app, 'GET', `/v1/analytics/funnel?window=${window}`, { key: k });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return response.body as {
          from: string;
          to: string;
          stages: { stage: string; count: number; fromPrevious: number | null; fromArrived: number | null }[];
        };
      };
      const week = await funnel('7d');
      assert.deepEqual(
        week.stages.map((s) => [s.stage, s.count]),
        [
          ['arrived', 10],
          ['engaged', 6],
          ['qualified', 4],
          ['converted', 2],
        ],
      );
      assert.equal(week.stages[0]?.fromPrevious, null);
      assert.equal(week.stages[2]?.fromPrevious, 4 / 6);
      assert.equal(week.stages[3]?.fromArrived, 2 / 10);
      assert.equal(Date.parse(week.to) - Date.parse(week.from), 7 * DAY);
      // A viewer's key reads it too.
      const month = await funnel('30d', readKey);
      assert.deepEqual(
        month.stages.map((s) => s.count),
        [15, 8, 6, 2],
      );
      const bad = await call(app.http.app, 'GET', '/v1/analytics/funnel?window=2d', { key });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body), /query\.window/);

      const orgKey = await app.runtime.tenants.createOrganisationKey({ organisationId: organisation });
      const org = await call(app.http.app, 'GET', '/v1/org/funnel?window=7d', { key: orgKey.key });
      assert.equal(org.status, 200, JSON.stringify(org.body));
      const units = org.body.workspaces as { name: string; stages: { count: number }[] }[];
      assert.deepEqual(units.map((u) => [u.name, u.stages.map((s) => s.count)]).sort(), [
        ['Unit North', [10, 6, 4, 2]],
        ['Unit South', [4, 2, 1, 1]],
      ]);
      assert.deepEqual(
        (org.body.total as { stages: { count: number }[] }).stages.map((s) => s.count),
        [14, 8, 5, 3],
      );
      // A workspace key is not an organisation key.
      assert.equal((await call(app.http.app, 'GET', '/v1/org/funnel', { key })).status, 403);
    });

    it("bins a model version's own predictions against the outcomes that followed them", async () => {
      const now = app.runtime.clock.now();
      await app.runtime.inspect
        .insertInto('scoring_models')
        .values({
          workspace_id: workspaceId,
          version: 3,
          id: 'mdl_calibration_test',
          status: 'champion',
          kind: 'logistic',
          model: '{}',
          feature_spec: '{"features":[]}',
          metrics: '{}',
          rows: 100,
          positives: 20,
          reason: 'test',
          replaces_version: null,
          trained_at: now,
          promoted_at: now,
          retired_at: null,
        })
        .execute();
      // As champion: 40 at 0.15 (4 converted), 20 at 0.85 (18 converted); as challenger in
      // shadow: 10 at 0.55 (5 converted); and 15 scored by another version only.
      const rows: {
        p: number | null;
        v: number;
        cp: number | null;
        cv: number | null;
        converted: boolean;
      }[] = [];
      for (let i = 0; i < 40; i++) rows.push({ p: 0.15, v: 3, cp: null, cv: null, converted: i < 4 });
      for (let i = 0; i < 20; i++) rows.push({ p: 0.85, v: 3, cp: null, cv: null, converted: i < 18 });
      for (let i = 0; i < 10; i++) rows.push({ p: 0.3, v: 2, cp: 0.55, cv: 3, converted: i < 5 });
      for (let i = 0; i < 15; i++) rows.push({ p: 0.99, v: 2, cp: null, cv: null, converted: false });
      await app.runtime.inspect
        .insertInto('lead_outcomes')
        .values(
          rows.map((r, i) =>
            // The shadow predictions are the newest.
            outcomeRow(
              workspaceId,
              `lead_CAL${String(i).padStart(23, '0')}`,
              now - (rows.length - i) * 60_000,
              {
                converted: r.converted ? 1 : 0,
                recorded_at: now,
                updated_at: now,
                body_hash: `c${i}`,
                probability: r.p,
                model_version: r.v,
                challenger_probability: r.cp,
                challenger_version: r.cv,
              },
            ),
          ),
        )
        .execute();
      const response = await call(app.http.app, 'GET', '/v1/models/3/calibration', { key: readKey });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const body = response.body as {
        outcomes: number;
        conversions: number;
        ece: number;
        bins: {
          lower: number;
          count: number;
          conversions: number;
          meanPredicted: number | null;
          observedRate: number | null;
        }[];
      };
      assert.equal(body.outcomes, 70);
      assert.equal(body.conversions, 27);
      assert.equal(body.bins.length, 10);
      const filled = body.bins.filter((b) => b.count > 0).map((b) => [b.lower, b.count, b.conversions]);
      assert.deepEqual(filled, [
        [0.1, 40, 4],
        [0.5, 10, 5],
        [0.8, 20, 18],
      ]);
      assert.ok(Math.abs((body.bins[8]?.meanPredicted ?? 0) - 0.85) < 1e-9);
      assert.equal(body.bins[8]?.observedRate, 0.9);
      assert.equal(body.bins[0]?.meanPredicted, null);
      // |40·0.15 − 4| + |20·0.85 − 18| + |10·0.55 − 5| over 70 outcomes.
      assert.ok(Math.abs(body.ece - 3.5 / 70) < 1e-9, String(body.ece));
      // The latest outcomes only: the 10 newest are the shadow ones.
      const latest = await call(app.http.app, 'GET', '/v1/models/3/calibration?limit=10&bins=5', { key });
      assert.deepEqual(
        (latest.body.bins as { count: number }[]).map((b) => b.count),
        [0, 0, 10, 0, 0],
      );
      assert.equal((await call(app.http.app, 'GET', '/v1/models/9/calibration', { key })).status, 404);
    });

    it('lists the suppression list as hash prefixes and answers a lookup by e-mail, admins only', async () => {
      const ctx = { workspaceId, organisationId: organisation };
      const hash = (kind: 'email' | 'phone', value: string) =>
        app.runtime.privacy.keys.suppressionHash(ctx, kind, value);
      const now = app.runtime.clock.now();
      await app.runtime.inspect
        .insertInto('privacy_suppressions')
        .values([
          {
            workspace_id: workspaceId,
            hash: hash('email', 'gone@example.com'),
            kind: 'email',
            reason: 'erasure',
            created_at: now - 2000,
          },
          {
            workspace_id: workspaceId,
            hash: hash('email', 'stop@example.com'),
            kind: 'email',
            reason: 'objection',
            created_at: now - 1000,
          },
          {
            workspace_id: workspaceId,
            hash: hash('phone', '+447700900123'),
            kind: 'phone',
            reason: 'erasure',
            created_at: now,
          },
          // Another workspace's entry for the same person is not this workspace's.
          {
            workspace_id: otherWorkspaceId,
            hash: hash('email', 'other@example.com'),
            kind: 'email',
            reason: 'erasure',
            created_at: now,
          },
        ])
        .execute();
      const first = await call(app.http.app, 'GET', '/v1/privacy/suppressions?limit=2', { key });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.total, 3);
      const items = first.body.items as { hashPrefix: string; kind: string; reason: string }[];
      assert.deepEqual(
        items.map((i) => [i.kind, i.reason]),
        [
          ['phone', 'erasure'],
          ['email', 'objection'],
        ],
      );
      assert.equal(items[1]?.hashPrefix, hash('email', 'stop@example.com').slice(0, 12));
      assert.ok(!JSON.stringify(first.body).includes('stop@'));
      const second = await call(
        app.http.app,
        'GET',
        `/v1/privacy/suppressions?limit=2&cursor=${first.body.nextCursor}`,
        {
          key,
        },
      );
      assert.deepEqual(
        (second.body.items as { reason: string }[]).map((i) => i.reason),
        ['erasure'],
      );
      assert.equal(second.body.nextCursor, null);

      // The e-mail is normalised as ingestion stores it, then hashed on the server.
      const yes = await call(app.http.app, 'POST', '/v1/privacy/suppressions/lookup', {
        key,
        body: { email: '  Gone@Example.COM ' },
      });
      assert.equal(yes.status, 200, JSON.stringify(yes.body));
      assert.equal(yes.body.suppressed, true);
      assert.equal((yes.body.entry as { reason: string }).reason, 'erasure');
      const no = await call(app.http.app, 'POST', '/v1/privacy/suppressions/lookup', {
        key,
        body: { email: 'other@example.com' },
      });
      assert.equal(no.body.suppressed, false);
      assert.equal(no.body.entry, null);
      const invalid = await call(app.http.app, 'POST', '/v1/privacy/suppressions/lookup', {
        key,
        body: { email: 'not an address' },
      });
      assert.equal(invalid.status, 400);
      assert.match(JSON.stringify(invalid.body), /body\.email/);
      // The check is audited with the hash prefix, never the address.
      const audit = await call(app.http.app, 'GET', '/v1/audit?limit=200', { key });
      const checks = (audit.body.items as { action: string; subject: string }[]).filter(
        (e) => e.action === 'privacy.suppression_checked',
      );
      assert.equal(checks.length, 2);
      assert.ok(!JSON.stringify(audit.body).includes('other@example.com'));
      // A read key (a viewer) may neither list nor ask.
      assert.equal(
        (await call(app.http.app, 'GET', '/v1/privacy/suppressions', { key: readKey })).status,
        403,
      );
      assert.equal(
        (
          await call(app.http.app, 'POST', '/v1/privacy/suppressions/lookup', {
            key: readKey,
            body: { email: 'gone@example.com' },
          })
        ).status,
        403,
      );
    });
  });
}
