import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { useTestApp } from './support/app.ts';
import { call } from './support/http.ts';
import { testWorkspace } from './support/runtime.ts';

/**
 * SQLite answers a search two ways: it walks the newest leads and tests the words itself (a common
 * word fills a page from the first few hundred), and when that walk comes back short it reads the
 * FTS5 index. Both must give what the index alone gives, page after page, and a rare word that only
 * old leads carry must still be found past the walk's budget.
 */
describe('inbox search: the newest-first walk and the index agree (sqlite)', () => {
  const app = useTestApp('sqlite');
  let key = '';
  const ids: string[] = [];
  const LEADS = 1500;
  before(async () => {
    const created = await testWorkspace(app.runtime, 'Search');
    key = created.apiKey;
    const t0 = 1_700_000_000_000;
    const rows = Array.from({ length: LEADS }, (_, n) => {
      const id = app.runtime.ids.next('lead');
      ids.push(id);
      return {
        id,
        workspace_id: created.workspaceId,
        // Only the 40 oldest leads carry "zephyr": far past the walk's budget of newest leads.
        email: `user${n}@${n < 40 ? 'zephyr' : `firm${n % 7}`}.example.com`,
        phone: null,
        name: n % 3 === 0 ? `Ana Firmino ${n}` : `Bo Other ${n}`,
        company: `Firm ${n % 7}`,
        company_domain: null,
        title: null,
        country: null,
        source: n % 2 === 0 ? 'ads' : 'webinar',
        utm: '{}',
        attributes: '{}',
        status: 'new',
        score: n % 100,
        score_breakdown: '[]',
        created_at: t0 + n,
        updated_at: t0,
      };
    });
    for (let i = 0; i < rows.length; i += 300)
      await app.runtime.inspect
        .insertInto('leads')
        .values(rows.slice(i, i + 300))
        .execute();
    // Seeded rows bypass the pipeline, which indexes new leads for the search: index them all.
    await sql`insert into leads_fts (leads_fts) values ('rebuild')`.execute(app.runtime.inspect);
  });

  /** Every page of a search, in order. */
  async function allPages(query: string): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await call(
        app.http.app,
        'GET',
        `/v1/leads?${query}&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const page = response.body as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((l) => l.id));
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  /** The index's own answer, newest first: what either path must return. */
  async function indexAnswer(match: string, where = sql`1 = 1`): Promise<string[]> {
    const { rows } = await sql<{ id: string }>`select id from leads
      where rowid in (select rowid from leads_fts where leads_fts match ${match}) and ${where}
      order by created_at desc, id desc`.execute(app.runtime.inspect);
    return rows.map((r) => r.id);
  }

  it('pages a common word through the walk exactly as the index answers it', async () => {
    const expected = await indexAnswer('{email name company} : ("firm"*)');
    // "firm" begins firm<n> in the domain, Firm in the company and Firmino in the name: every lead.
    assert.equal(expected.length, LEADS);
    assert.deepEqual(await allPages('q=firm'), expected);
    const two = await indexAnswer('{email name company} : ("ana"* AND "firm"*)', sql`source = 'ads'`);
    assert.ok(two.length > 100 && two.length < LEADS / 2);
    assert.deepEqual(await allPages('q=ana%20firm&source=ads'), two);
  });

  it('finds a word only old leads carry, past the walk, through the index', async () => {
    const expected = await indexAnswer('{email name company} : ("zephyr"*)');
    assert.equal(expected.length, 40);
    assert.deepEqual(await allPages('q=zeph'), expected);
    assert.deepEqual(
      (await allPages('q=zephyr%20user3')).map((id) => ids.indexOf(id)),
      [39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 3],
    );
  });

  it('matches words only at their start, on both paths', async () => {
    // "irm" is inside every "firm" but begins no word.
    assert.deepEqual(await allPages('q=irm'), []);
    assert.deepEqual(await allPages('q=ephyr'), []);
  });
});
