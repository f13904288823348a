/**
 * npm run bench:privacy — the privacy lifecycle at scale, on a SQLite file:
 * - export: an access request for one person (resolve by email, read every holder) in a
 *   workspace of LEADS leads;
 * - erasure: one person (three merged submissions) erased through every holder, suppression,
 *   key shredding and the WAL checkpoint, in the same workspace;
 * - retention: a sweep erasing STALE old unconverted leads (through the same holders), in leads/s.
 * The workspace is seeded with direct inserts (a lead, its event with the raw body, its history
 * row, its idempotency answer and a consent entry per lead; 10% converted), not through the
 * pipeline: the bench measures privacy, not ingestion.
 * Usage: node bench/privacy.ts [--leads 100000] [--stale 20000] [--runs 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { generateSecretKey, inWorkspace } from '../src/core/index.ts';
import { createRuntime } from '../src/main/runtime.ts';
import { leadRow, outcomeRow } from '../test/support/rows.ts';
import { printTable, writeResult } from './support.ts';

const { values } = parseArgs({
  options: {
    leads: { type: 'string', default: '100000' },
    stale: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
  },
});
const LEADS = Number(values.leads);
const STALE = Number(values.stale);
const RUNS = Number(values.runs);
const ACTOR = { type: 'system' as const, id: 'bench' };
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'leadloop-bench-privacy-'));
const runtime = await createRuntime(loadConfig({ LOG_LEVEL: 'silent', LEADLOOP_DATA_DIR: dir }), {
  logger: pino({ level: 'silent' }),
  masterKey: generateSecretKey(),
});
const created = await runtime.tenants.createWorkspace({ name: 'Bench', organisation: 'Bench', actor: ACTOR });
const ctx = { workspaceId: created.workspace.id, organisationId: created.workspace.organisationId };
const ws = ctx.workspaceId;
const now = Date.now();

const seedStart = performance.now();
await inWorkspace(ws, async () => {
  const chunk = 400;
  for (let start = 0; start < LEADS; start += chunk) {
    await runtime.store.transaction(async (trx) => {
      const n = Math.min(chunk, LEADS - start);
      const rows = Array.from({ length: n }, (_, k) => {
        const i = start + k;
        const id = runtime.ids.next('lead');
        const eventId = runtime.ids.next('evt');
        // The first STALE leads are old and unconverted: the retention sweep's work.
        const at = i < STALE ? now - 400 * DAY : now - (i % 300) * DAY;
        const email = `person${i}@company${i % 997}.example.com`;
        return { i, id, eventId, at, email };
      });
      await trx
        .insertInto('leads')
        .values(
          rows.map((r) =>
            leadRow(r.id, ws, r.at, {
              email: r.email,
              phone: `+1415${String(r.i).padStart(7, '0')}`,
              name: `Person ${r.i}`,
              company: `Company ${r.i % 997}`,
              company_domain: `company${r.i % 997}.example.com`,
              title: 'Manager',
              country: 'US',
              source: 'api',
              score: 10,
            }),
          ),
        )
        .execute();
      await trx
        .insertInto('events')
        .values(
          rows.map((r) => ({
            id: r.eventId,
            workspace_id: ws,
            type: 'lead.submitted',
            source: 'api',
            payload: JSON.stringify({ email: r.email, name: `Person ${r.i}` }),
            status: 'processed',
            lead_id: r.id,
            error: null,
            attempts: 1,
            created_at: r.at,
            processed_at: r.at,
          })),
        )
        .execute();
      await trx
        .insertInto('lead_history')
        .values(
          rows.map((r) => ({
            workspace_id: ws,
            lead_id: r.id,
            event_id: r.eventId,
            action: 'created',
            changes: JSON.stringify({ email: { from: null, to: r.email } }),
            created_at: r.at,
          })),
        )
        .execute();
      await trx
        .insertInto('idempotency_keys')
        .values(
          rows.map((r) => ({
            workspace_id: ws,
            scope: 'api',
            key: `k${r.i}`,
            request_hash: `h${r.i}`,
            response_status: 202,
            response_body: JSON.stringify({ eventId: r.eventId }),
            created_at: r.at,
          })),
        )
        .execute();
      await trx
        .insertInto('consent_events')
        .values(
          rows.map((r) => ({
            id: runtime.ids.next('con'),
            workspace_id: ws,
            lead_id: r.id,
            purpose: 'email_marketing',
            action: 'grant',
            notice_version: 'v1',
            notice_hash: null,
            method: 'form',
            source: 'api',
            gpc: 0,
            evidence: r.eventId,
            occurred_at: r.at,
            recorded_at: r.at,
          })),
        )
        .execute();
      const converted = rows.filter((r) => r.i % 10 === 0);
      if (converted.length > 0)
        await trx
          .insertInto('lead_outcomes')
          .values(converted.map((r) => outcomeRow(ws, r.id, r.at, { converted: 1, body_hash: 'x' })))
          .execute();
    });
  }
});
const seedSeconds = (performance.now() - seedStart) / 1000;
process.stdout.write(`seeded ${LEADS} leads in ${seedSeconds.toFixed(1)} s\n`);

const exportMs: number[] = [];
const erasureMs: number[] = [];
await inWorkspace(ws, async () => {
  for (let run = 0; run < RUNS; run++) {
    // A person in the recent (kept) part of the workspace.
    const email = `person${STALE + 1000 + run * 7}@company${(STALE + 1000 + run * 7) % 997}.example.com`;
    let t = performance.now();
    const access = await runtime.privacy.requests.submit(
      ctx,
      { type: 'access', subject: { email }, jurisdiction: 'gdpr' },
      { actor: ACTOR, origin: 'cli' },
    );
    const bundle = await runtime.privacy.requests.exportOf(ctx, access.id);
    exportMs.push(performance.now() - t);
    if ((bundle.tables.leads?.length ?? 0) !== 1) throw new Error('the export did not find the person');
    t = performance.now();
    const erased = await runtime.privacy.requests.submit(
      ctx,
      { type: 'erasure', subject: { email }, jurisdiction: 'gdpr' },
      { actor: ACTOR, origin: 'cli' },
    );
    erasureMs.push(performance.now() - t);
    if (erased.status !== 'completed') throw new Error('erasure did not complete');
  }
});

const sweep = await inWorkspace(ws, async () => {
  await runtime.privacy.retention.put(
    runtime.store.db,
    ctx,
    {
      unconvertedLeadsDays: 365,
      transcriptsDays: null,
      rawPayloadsDays: null,
      decisionsDays: null,
      workflowRunsDays: null,
    },
    ACTOR,
  );
  const t = performance.now();
  const report = await runtime.privacy.retention.sweep(ctx, ACTOR);
  return { report, seconds: (performance.now() - t) / 1000 };
});
const swept = sweep.report.removed.unconvertedLeads;
const expectedSwept = STALE - Math.ceil(STALE / 10);
if (swept !== expectedSwept) throw new Error(`sweep erased ${swept}, expected ${expectedSwept}`);

await runtime.close();
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const rows = [
  {
    measure: `export one person (of ${LEADS} leads)`,
    median: `${median(exportMs).toFixed(1)} ms`,
    runs: exportMs.map((x) => x.toFixed(1)).join(', '),
  },
  {
    measure: `erase one person (of ${LEADS} leads)`,
    median: `${median(erasureMs).toFixed(1)} ms`,
    runs: erasureMs.map((x) => x.toFixed(1)).join(', '),
  },
  {
    measure: `retention sweep (${swept} leads erased)`,
    median: `${(swept / sweep.seconds).toFixed(0)} leads/s`,
    runs: `${sweep.seconds.toFixed(2)} s`,
  },
];
printTable(rows);
const file = writeResult('privacy', {
  command: `node bench/privacy.ts --leads ${LEADS} --stale ${STALE} --runs ${RUNS}`,
  note: 'measured on a shared machine while other work ran; SQLite file, synchronous=FULL, secure_delete=on',
  leads: LEADS,
  seedSeconds,
  exportMs,
  erasureMs,
  exportMedianMs: median(exportMs),
  erasureMedianMs: median(erasureMs),
  retention: {
    leadsErased: swept,
    seconds: sweep.seconds,
    leadsPerSecond: swept / sweep.seconds,
    holders: sweep.report.holders,
  },
});
process.stdout.write(`wrote ${file}\n`);
