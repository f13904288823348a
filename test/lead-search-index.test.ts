import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { useTestApp } from './support/app.ts';
import { call, sendWebhook } from './support/http.ts';
import { leadRow } from './support/rows.ts';
import { eventually, testWorkspace } from './support/runtime.ts';

/**
 * SQLite's lead search (FTS5 with the leads table as external content) is kept by the pipeline,
 * which indexes each set's new leads in one statement, and by update and delete triggers. An
 * external-content index corrupts silently when it is told to remove a row it never held or gets a
 * row twice, so every path a lead takes ends with FTS5's own integrity check (rank 1 compares the
 * index with the leads table).
 */
describe('lead search index stays exact (sqlite)', () => {
  const app = useTestApp('sqlite', { workers: 1 });
  let ws: Awaited<ReturnType<typeof testWorkspace>>;
  before(async () => {
    ws = await testWorkspace(app.runtime, 'Search index');
  });

  const integrityCheck = () =>
    sql`insert into leads_fts (leads_fts, rank) values ('integrity-check', 1)`.execute(app.runtime.inspect);
  const search = async (q: string) => {
    const response = await call(app.http.app, 'GET', `/v1/leads?q=${encodeURIComponent(q)}`, {
      key: ws.apiKey,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return (response.body as { items: { email: string; name: string | null }[] }).items;
  };
  /** Whether the index holds the lead (FTS5 keeps one docsize row per indexed row). */
  const indexed = async (id: string) => {
    const { rows } = await sql<{ n: number }>`select count(*) as n from leads_fts_docsize
      where id = (select rowid from leads where id = ${id})`.execute(app.runtime.inspect);
    return Number(rows[0]?.n) === 1;
  };
  const processed = (n: number) =>
    eventually(async () => {
      const row = await sql<{ n: number }>`select count(*) as n from events
        where workspace_id = ${ws.workspaceId} and status = 'processed'`.execute(app.runtime.inspect);
      return Number(row.rows[0]?.n) >= n ? true : undefined;
    });

  it('indexes new leads of a set, re-indexes a merge and forgets a deleted lead', async () => {
    for (const n of [1, 2, 3])
      await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, {
        email: `quill${n}@example.com`,
        name: `Ada Quillfeather ${n}`,
        company: 'Inkwell',
      });
    await processed(3);
    assert.equal((await search('quillfeather')).length, 3);

    // A later submission of the same person with another name merges into the lead: the update
    // trigger takes the old words out and puts the new ones in.
    await sendWebhook(app.http.app, ws.workspaceId, ws.webhookSecret, {
      email: 'quill1@example.com',
      name: 'Ada Marchbanks',
    });
    await processed(4);
    assert.deepEqual(
      (await search('marchbanks')).map((l) => l.email),
      ['quill1@example.com'],
    );
    assert.equal((await search('quillfeather')).length, 2);
    await integrityCheck();

    await sql`delete from leads where workspace_id = ${ws.workspaceId} and email = 'quill2@example.com'`.execute(
      app.runtime.inspect,
    );
    assert.deepEqual(
      (await search('quillfeather')).map((l) => l.email),
      ['quill3@example.com'],
    );
    await integrityCheck();
  });

  it('tolerates a lead inserted around the pipeline: indexed when it changes, never corrupting', async () => {
    const id = app.runtime.ids.next('lead');
    await app.runtime.inspect
      .insertInto('leads')
      .values(leadRow(id, ws.workspaceId, Date.now(), { email: 'seeded@example.com', name: 'Bo Larkspur' }))
      .execute();
    assert.equal(await indexed(id), false);
    await sql`update leads set name = 'Bo Larkspurr' where id = ${id}`.execute(app.runtime.inspect);
    assert.equal(await indexed(id), true);
    await integrityCheck();
    await sql`delete from leads where id = ${id}`.execute(app.runtime.inspect);
    assert.equal((await search('larkspurr')).length, 0);
    await integrityCheck();
  });
});
