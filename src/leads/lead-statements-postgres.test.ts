import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type CompiledQuery, sql } from 'kysely';
import { inWorkspace } from '../core/index.ts';
import { createStore, type Db, type Store } from '../store/index.ts';
import { markEventsProcessed, selectEvents, selectLeadsByKeys } from './lead-statements.ts';

/**
 * The pipeline's set lookups on PostgreSQL, planned as the application's role under row security,
 * in a workspace the planner has no statistics for (a new table, as after `leadloop migrate`, or a
 * workspace that grew since the last ANALYZE). Each must find its rows by their key: a plan that
 * reads the workspace's rows costs more with every lead the workspace holds.
 */
const url = process.env.TEST_DATABASE_URL;
const ROWS = 3000;
/** A handle that plans statements instead of running them: each one's plan, as EXPLAIN's JSON. */
function planning(db: Db, plans: unknown[]): Db {
  const executor = db.getExecutor();
  const explaining = new Proxy(executor, {
    get(target, key) {
      if (key !== 'executeQuery') return bound(target, key);
      return async (query: CompiledQuery) => {
        const result = await target.executeQuery({ ...query, sql: `explain (format json) ${query.sql}` });
        plans.push((result.rows[0] as { 'QUERY PLAN': unknown })['QUERY PLAN']);
        return { rows: [] };
      };
    },
  });
  return new Proxy(db, {
    get: (target, key) => (key === 'getExecutor' ? () => explaining : bound(target, key)),
  });
}

/** A member of `target`, methods bound to it (they read private fields a proxy does not have). */
function bound(target: object, key: string | symbol): unknown {
  const value: unknown = Reflect.get(target, key, target);
  return typeof value === 'function' ? value.bind(target) : value;
}

/**
 * What a plan reads: `seq:<table>` for a sequential scan, `index:<name> <condition>` for an index.
 * It reads the workspace's rows when it scans a table, or an index on a condition that names no key.
 */
function accessesOf(plan: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (typeof n['Index Name'] === 'string') found.push(`index:${n['Index Name']} ${n['Index Cond'] ?? ''}`);
    if (n['Node Type'] === 'Seq Scan') found.push(`seq:${n['Relation Name']}`);
    Object.values(n).forEach(walk);
  };
  walk(plan);
  return found;
}

const readsWorkspace = (accesses: string[]) =>
  accesses.some((a) => a.startsWith('seq:') || !/\b(id|email|phone)\b/.test(a.replace(/^index:\S+/, '')));

describe('the pipeline’s set lookups on PostgreSQL', {
  skip: url ? false : 'TEST_DATABASE_URL is not set',
}, () => {
  const schema = `l_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let owner: Store;
  let app: Store;
  const key = Buffer.alloc(32, 7);

  before(async () => {
    owner = createStore({ databaseUrl: url, schema, masterKey: key });
    await owner.migrate({ appRole: { name: 'leadloop_app' } });
    await owner.db.insertInto('organisations').values({ id: 'org_1', name: 'o', created_at: 0 }).execute();
    await owner.db
      .insertInto('workspaces')
      .values({ id: 'ws_1', organisation_id: 'org_1', name: 'ws_1', settings: '{}', created_at: 0 })
      .execute();
    await sql`insert into events (id, workspace_id, type, source, payload, status, attempts, created_at)
      select 'evt_' || lpad(g::text, 6, '0'), 'ws_1', 'lead', 'api', '{}', 'accepted', 0, g
        from generate_series(1, ${ROWS}) g`.execute(owner.db);
    await sql`insert into leads (id, workspace_id, email, utm, attributes, status, score, score_breakdown,
        created_at, updated_at)
      select 'lead_' || lpad(g::text, 6, '0'), 'ws_1', 'p' || g || '@example.com', '{}', '{}', 'new', 0, '[]', g, g
        from generate_series(1, ${ROWS}) g`.execute(owner.db);
    const appUrl = new URL(url as string);
    appUrl.username = 'leadloop_app';
    app = createStore({ databaseUrl: appUrl.toString(), schema, masterKey: key });
  });
  after(async () => {
    await app?.destroy();
    await sql`drop schema ${sql.id(schema)} cascade`.execute(owner.db);
    await owner?.destroy();
  });

  /** What `run` reads, planned in workspace ws_1's scope as the application's role. */
  async function accesses(run: (db: Db) => Promise<unknown>): Promise<string[]> {
    const plans: unknown[] = [];
    await inWorkspace('ws_1', () => app.transaction((trx) => run(planning(trx, plans))));
    assert.ok(plans.length > 0, 'a statement was planned');
    return plans.flatMap(accessesOf);
  }

  const ids = Array.from({ length: 64 }, (_, i) => `evt_${String(i * 40 + 7).padStart(6, '0')}`);
  const emails = Array.from({ length: 64 }, (_, i) => `p${i * 40 + 7}@example.com`);

  it('shows the planner reading the workspace for a list of keys (the case the lookups avoid)', async () => {
    const listed = await accesses((db) =>
      sql`select * from leads where workspace_id = 'ws_1' and email in (${sql.join(emails)})`.execute(db),
    );
    assert.ok(readsWorkspace(listed), `a list of keys planned as ${listed.join(', ')}`);
  });

  it('loads a set’s events, finds its leads and marks its events through their keys', async () => {
    const events = await accesses((db) => selectEvents(db, ids));
    assert.ok(!readsWorkspace(events), `events planned as ${events.join(', ')}`);
    const leads = await accesses((db) => selectLeadsByKeys(db, 'email', 'ws_1', emails));
    assert.ok(!readsWorkspace(leads), `leads planned as ${leads.join(', ')}`);
    assert.ok(
      leads.some((a) => a.startsWith('index:leads_ws_email ')),
      leads.join(', '),
    );
    const marked = await accesses((db) =>
      markEventsProcessed(
        db,
        'ws_1',
        1,
        ids.map((id) => ({ id, leadId: 'lead_000001', attempts: 1 })),
      ),
    );
    assert.ok(!readsWorkspace(marked), `the processed marks planned as ${marked.join(', ')}`);
    assert.ok(
      marked.some((a) => a.startsWith('index:events_pkey ')),
      marked.join(', '),
    );
  });

  it('finds each event and lead once, only in the workspace named, and marks each event once', async () => {
    const found = await inWorkspace('ws_1', () =>
      app.transaction(async (trx) => ({
        events: await selectEvents(trx, [...ids, ids[0] as string, 'evt_missing']),
        leads: await selectLeadsByKeys(trx, 'email', 'ws_1', [...emails, 'nobody@example.com']),
        otherWorkspace: await selectLeadsByKeys(trx, 'email', 'ws_2', emails),
        marked: await markEventsProcessed(
          trx,
          'ws_1',
          1,
          ids.map((id) => ({ id, leadId: 'lead_000001', attempts: 1 })),
        ),
      })),
    );
    assert.deepEqual(found.events.map((e) => e.id).sort(), [...ids].sort());
    assert.deepEqual(found.leads.map((l) => l.email).sort(), [...emails].sort());
    const leadIds = found.leads.map((l) => l.id);
    assert.deepEqual(leadIds, [...leadIds].sort(), 'ordered by id');
    assert.equal(found.otherWorkspace.length, 0, 'the fence keeps to the workspace named');
    assert.equal(found.marked, ids.length);
    const { rows } = await sql<{ n: string }>`select count(*) as n from events
      where status = 'processed' and lead_id = 'lead_000001'`.execute(owner.db);
    assert.equal(Number(rows[0]?.n), ids.length);
  });
});
