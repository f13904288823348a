import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { DIALECTS, testWorkspace } from './support/runtime.ts';

/**
 * The inbox's filters and keyset pages on both databases: owner, segment, consent (the privacy
 * ledger's latest entry), word search through the FTS5 / tsvector index kept in step with edits, and
 * pages that neither skip nor repeat leads created in the same millisecond.
 */
for (const dialect of DIALECTS) {
  describe(`inbox filters and pages (${dialect})`, () => {
    const app = useTestApp(dialect);
    let key = '';
    let workspaceId = '';
    const ids: string[] = [];
    before(async () => {
      ({ apiKey: key, workspaceId } = await testWorkspace(app.runtime, 'Inbox'));
      const t0 = 1_700_000_000_000;
      const rows = Array.from({ length: 30 }, (_, n) => {
        const id = app.runtime.ids.next('lead');
        ids.push(id);
        return {
          id,
          workspace_id: workspaceId,
          email: `person${n}@company${n % 3}.example.com`,
          phone: null,
          name: n === 7 ? 'Zoë Quinn-Baker' : `Person ${n}`,
          company: `Company ${n % 3}`,
          company_domain: `company${n % 3}.example.com`,
          title: n % 4 === 0 ? 'Chief Executive' : null,
          country: n % 2 === 0 ? 'GB' : 'DE',
          source: n % 5 === 0 ? 'webinar' : 'ads',
          utm: JSON.stringify(n % 3 === 0 ? { campaign: 'spring' } : {}),
          attributes: JSON.stringify(
            n % 6 === 0 ? { owner: 'rep-a' } : n % 6 === 1 ? { owner: 'rep-b' } : {},
          ),
          status: 'new',
          score: n * 3,
          score_breakdown: '[]',
          // Pairs share a millisecond: the keyset must order by (created_at, id).
          created_at: t0 + Math.floor(n / 2),
          updated_at: t0,
        };
      });
      await app.runtime.inspect.insertInto('leads').values(rows).execute();
      // Consent: lead 2 granted e-mail marketing; lead 4 granted then withdrew; lead 5 objected to profiling.
      const consent = async (n: number, entries: object[]) =>
        assert.equal(
          (await call(app.http.app, 'POST', `/v1/leads/${ids[n]}/consents`, { key, body: { entries } }))
            .status,
          201,
        );
      await consent(2, [{ purpose: 'email_marketing', action: 'grant' }]);
      await consent(4, [{ purpose: 'email_marketing', action: 'grant', occurredAt: '2026-01-01T00:00:00Z' }]);
      await consent(4, [
        { purpose: 'email_marketing', action: 'withdraw', occurredAt: '2026-02-01T00:00:00Z' },
      ]);
      await consent(5, [{ purpose: 'profiling', action: 'withdraw' }]);
    });

    const list = async (query: string) => {
      const response = await call(app.http.app, 'GET', `/v1/leads?${query}`, { key });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body as { items: { id: string; email: string }[]; nextCursor: string | null };
    };
    const numbers = async (query: string) =>
      (await list(query)).items.map((l) => ids.indexOf(l.id)).sort((a, b) => a - b);

    it('pages newest first by (created_at, id) without skipping or repeating', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof list>> = await list(
          `limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.items.map((l) => l.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].reverse());
    });

    it('filters by owner, segment and status together with the score band', async () => {
      assert.deepEqual(await numbers('owner=rep-a'), [0, 6, 12, 18, 24]);
      assert.deepEqual(await numbers('owner=rep-a&minScore=30'), [12, 18, 24]);
      // The default segmentBy is source.
      assert.deepEqual(await numbers('segment=webinar'), [0, 5, 10, 15, 20, 25]);
      const put = async (segmentBy: string) => {
        const { version: _version, ...settings } = (
          await call(app.http.app, 'GET', '/v1/scoring/settings', { key })
        ).body;
        const response = await call(app.http.app, 'PUT', '/v1/scoring/settings', {
          key,
          body: { ...settings, segmentBy },
        });
        assert.equal(response.status, 200, JSON.stringify(response.body));
      };
      await put('utm.campaign');
      assert.deepEqual(await numbers('segment=spring&maxScore=30'), [0, 3, 6, 9]);
      await put('seniority');
      const executives = await numbers('segment=executive');
      assert.deepEqual(executives, [0, 4, 8, 12, 16, 20, 24, 28]);
      assert.equal((await numbers('segment=(none)')).length, 30 - executives.length);
      await put('source');
    });

    it("filters by the consent ledger's latest entry and the purpose's default", async () => {
      assert.deepEqual(await numbers('consent=email_marketing:allowed'), [2]);
      assert.equal((await numbers('consent=email_marketing:denied&limit=200')).length, 29);
      // Profiling is allowed by default: only the objection denies it.
      assert.deepEqual(await numbers('consent=profiling:denied'), [5]);
      assert.equal((await numbers('consent=profiling:allowed&limit=200')).length, 29);
      const bad = await call(app.http.app, 'GET', '/v1/leads?consent=everything', { key });
      assert.equal(bad.status, 400);
    });

    it('searches words through the index, kept in step with edits and deletes', async () => {
      assert.deepEqual(await numbers('q=person12'), [12]);
      assert.deepEqual(await numbers('q=company1%20person1'), [1, 10, 13, 16, 19]);
      assert.deepEqual(await numbers('q=ZO%C3%AB%20baker'), [7]);
      assert.deepEqual(await numbers('q=quinn-baker'), [7]);
      assert.deepEqual(await numbers('q=nobody'), []);
      await app.runtime.inspect
        .updateTable('leads')
        .set({ name: 'Renamed Somebody' })
        .where('id', '=', ids[12] as string)
        .execute();
      assert.deepEqual(await numbers('q=renamed'), [12]);
      await app.runtime.inspect
        .deleteFrom('leads')
        .where('id', '=', ids[29] as string)
        .execute();
      assert.deepEqual(await numbers('q=person29'), []);
      if (dialect === 'sqlite') {
        const { rows } = await sql<{
          n: number;
        }>`select count(*) as n from leads_fts where leads_fts match 'renamed OR person29'`.execute(
          app.runtime.inspect,
        );
        assert.equal(Number(rows[0]?.n), 1);
      }
    });
  });
}
