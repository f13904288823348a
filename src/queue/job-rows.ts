import { type ExpressionBuilder, sql } from 'kysely';
import { asScheduler, type Clock, type IdGenerator, inWorkspace } from '../core/index.ts';
import type { Database, Db, JobsTable } from '../store/index.ts';
import { fromJson, preparedRows, toJson } from '../store/index.ts';
import { backoffDelayMs, type JobName, jobCatalog } from './catalog.ts';
import type { DeadJob, EnqueueRequest } from './port.ts';

/**
 * Where a job row stands. `sent` exists only with the BullMQ adapter: the relay handed the job to
 * Redis and waits for a consumer to claim it (its `locked_until` says when to hand it over again).
 */
export type JobStatus = 'queued' | 'sent' | 'active' | 'dead';

/**
 * How many of the oldest due jobs the fair pick ranks. Fairness holds among these; a workspace
 * whose jobs are all younger than this many others waits until the backlog ahead shrinks to it.
 * The bound keeps the pick a short range scan of the (status, run_at) index whatever the backlog.
 */
const DEFAULT_FAIRNESS_WINDOW = 1024;

/** Every accepted event enqueues: prepared once (store/prepared.ts). */
const insertRows = preparedRows<{
  id: string;
  workspace_id: string;
  name: string;
  payload: string;
  max_attempts: number;
  run_at: number;
  created_at: number;
  updated_at: number;
}>(['id', 'workspace_id', 'name', 'payload', 'max_attempts', 'run_at', 'created_at', 'updated_at'])(
  (db, rows) =>
    db.insertInto('jobs').values(
      rows.map((r) => ({
        ...r,
        status: 'queued' satisfies JobStatus,
        attempts: 0,
        locked_until: null,
        locked_by: null,
        last_error: null,
      })),
    ),
);

/** Inserts job rows in the caller's transaction: the job exists iff that transaction commits. */
export async function insertJobs(
  trx: Db,
  jobs: readonly EnqueueRequest[],
  deps: { clock: Clock; ids: IdGenerator },
): Promise<void> {
  if (jobs.length === 0) return;
  const now = deps.clock.now();
  await insertRows.execute(
    trx,
    jobs.map((job) => ({
      id: deps.ids.next('job'),
      workspace_id: job.workspaceId,
      name: job.name,
      payload: toJson(job.payload),
      max_attempts: jobCatalog[job.name].maxAttempts,
      run_at: job.runAt ?? now,
      created_at: now,
      updated_at: now,
    })),
  );
}

/**
 * Due queued jobs, taken round-robin across workspaces: each workspace's oldest job first, then each
 * one's second, and so on, so one workspace's backlog cannot starve the others. Returns a subquery
 * of ids; the row order is lost in `id in (...)`, so callers that care re-sort with {@link fairOrder}.
 */
export function fairDueIds(
  db: Db,
  options: { now: number; limit: number; names?: readonly JobName[]; window?: number },
) {
  const due = db
    .selectFrom('jobs')
    .where('status', '=', 'queued' satisfies JobStatus)
    .where('run_at', '<=', options.now)
    .$if(options.names !== undefined, (q) => q.where('name', 'in', options.names as JobName[]))
    .orderBy('run_at');
  // The first in round-robin order is the oldest due job (it is its workspace's first): no
  // ranking needed. A worker whose long jobs end one at a time claims one each time, and ranking
  // the window for it cost about 1 ms a claim on SQLite with a backlog (a quarter of a qualified
  // lead's decision; bench:drain, docs/decisions/2026-12-07-session-scope.md).
  if (options.limit === 1) return due.select('id').limit(1);
  const oldest = due
    .select(['id', 'workspace_id', 'run_at'])
    .limit(options.window ?? DEFAULT_FAIRNESS_WINDOW);
  const ranked = db.selectFrom(oldest.as('oldest')).select([
    'id',
    'run_at',
    (eb) =>
      eb.fn
        .agg<number>('row_number')
        .over((ob) => ob.partitionBy('workspace_id').orderBy('run_at'))
        .as('turn'),
  ]);
  return db
    .selectFrom(ranked.as('ranked'))
    .select('id')
    .orderBy('turn')
    .orderBy('run_at')
    .limit(options.limit);
}

/**
 * The rows of a fair pick on PostgreSQL, found by primary key. With `id in (pick)` the planner
 * hash-joined the pick to a scan of every queued job: 5.7 ms a relay pass at the median with 16,000
 * lead jobs queued, a twelfth of the database's time in `bench:drain --postgres --workspaces 4`,
 * growing with the backlog. `= any(array(pick))` runs the pick once and looks each id up.
 */
export function inPick(pick: ReturnType<typeof fairDueIds>) {
  return sql<boolean>`id = any(array(${pick}))`;
}

/** The columns a claim sets: the job is active, leased to `workerId`, and this attempt counts. */
export function claimValues(now: number, visibilityMs: number, workerId: string) {
  return (eb: ExpressionBuilder<Database, 'jobs'>) => ({
    status: 'active' satisfies JobStatus,
    attempts: eb('attempts', '+', 1),
    locked_until: now + visibilityMs,
    locked_by: workerId,
    updated_at: now,
  });
}

/** Sorts rows into round-robin order across workspaces (rank within the workspace, then age). */
export function fairOrder<R extends Pick<JobsTable, 'workspace_id' | 'run_at'>>(rows: readonly R[]): R[] {
  const byAge = [...rows].sort((a, b) => a.run_at - b.run_at);
  const seen = new Map<string, number>();
  const turns = new Map<R, number>();
  for (const row of byAge) {
    const turn = (seen.get(row.workspace_id) ?? 0) + 1;
    seen.set(row.workspace_id, turn);
    turns.set(row, turn);
  }
  return byAge.sort((a, b) => (turns.get(a) ?? 0) - (turns.get(b) ?? 0) || a.run_at - b.run_at);
}

/** Failure bookkeeping: back to the queue with backoff, or dead after the last attempt. */
export function failureValues(row: JobsTable, error: unknown, now: number, random: () => number) {
  const message = error instanceof Error ? error.message : String(error);
  const retryable = !(
    error &&
    typeof error === 'object' &&
    'retryable' in error &&
    error.retryable === false
  );
  const dead = !retryable || row.attempts >= row.max_attempts;
  return {
    dead,
    values: {
      status: (dead ? 'dead' : 'queued') satisfies JobStatus,
      run_at: dead ? row.run_at : now + backoffDelayMs(row.name as JobName, row.attempts, random),
      locked_until: null,
      locked_by: null,
      last_error: message.slice(0, 2000),
      updated_at: now,
    },
  };
}

/**
 * Leases that ran out go back to the queue: `active` jobs whose worker died (their attempt stays
 * counted) and, with BullMQ, `sent` jobs no consumer claimed in time (Redis lost them, or a relay
 * re-send met a stale copy). Their `run_at` is kept, so they are first in line again.
 */
export async function recoverExpired(db: Db, now: number, statuses: readonly JobStatus[]): Promise<number> {
  const result = await asScheduler(() =>
    db
      .updateTable('jobs')
      .set({ status: 'queued' satisfies JobStatus, locked_until: null, locked_by: null, updated_at: now })
      .where('status', 'in', [...statuses])
      .where('locked_until', '<', now)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows);
}

/**
 * Puts back every job a worker known to be dead still held (the embedded server's worker thread
 * after it crashed: its open transaction rolled back with its connection), at once rather than
 * after the lease. The attempt stays counted, so a job that crashes its worker each time ends dead.
 */
export async function releaseJobsOf(db: Db, workerId: string, now: number): Promise<number> {
  const result = await asScheduler(() =>
    db
      .updateTable('jobs')
      .set({ status: 'queued' satisfies JobStatus, locked_until: null, locked_by: null, updated_at: now })
      .where('status', '=', 'active' satisfies JobStatus)
      .where('locked_by', '=', workerId)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows);
}

/** Jobs per state; `sent` jobs count as queued (waiting for a worker either way). */
export async function countJobs(db: Db): Promise<{ queued: number; active: number; dead: number }> {
  const rows = await asScheduler(() =>
    db
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute(),
  );
  const count = (status: JobStatus) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { queued: count('queued') + count('sent'), active: count('active'), dead: count('dead') };
}

/** One workspace's rows in its own scope; every workspace's as the scheduler. */
function scoped<T>(workspaceId: string | undefined, fn: () => T): T {
  return workspaceId === undefined ? asScheduler(fn) : inWorkspace(workspaceId, fn);
}

export async function listDeadJobs(
  db: Db,
  { workspaceId, limit = 100 }: { workspaceId?: string; limit?: number },
): Promise<DeadJob[]> {
  const rows = await scoped(workspaceId, () =>
    db
      .selectFrom('jobs')
      .selectAll()
      .where('status', '=', 'dead' satisfies JobStatus)
      .$if(workspaceId !== undefined, (q) => q.where('workspace_id', '=', workspaceId as string))
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute(),
  );
  return rows.map(
    (row): DeadJob => ({
      id: row.id,
      name: row.name,
      workspaceId: row.workspace_id,
      payload: fromJson(row.payload, {}),
      attempts: row.attempts,
      lastError: row.last_error,
      updatedAt: row.updated_at,
    }),
  );
}

/** Puts dead jobs back in the queue with fresh attempts; returns how many. */
export async function replayDeadJobs(
  db: Db,
  now: number,
  { workspaceId, jobIds }: { workspaceId?: string; jobIds?: string[] },
): Promise<number> {
  const result = await scoped(workspaceId, () =>
    db
      .updateTable('jobs')
      .set({
        status: 'queued' satisfies JobStatus,
        attempts: 0,
        run_at: now,
        updated_at: now,
        locked_until: null,
        locked_by: null,
      })
      .where('status', '=', 'dead' satisfies JobStatus)
      .$if(workspaceId !== undefined, (q) => q.where('workspace_id', '=', workspaceId as string))
      .$if(jobIds !== undefined, (q) => q.where('id', 'in', jobIds && jobIds.length > 0 ? jobIds : ['']))
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows);
}
