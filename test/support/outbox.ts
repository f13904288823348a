import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  JOB_NAMES,
  type JobContext,
  type JobHandlers,
  type JobName,
  type Queue,
} from '../../src/queue/index.ts';
import { waitFor } from '../../src/queue/testing/queue-test-support.ts';
import { dbOf, type Store, type UnitOfWork } from '../../src/store/index.ts';

/*
 * What the outbox fault suites of every broker share. Each job's effect is a domain event with a
 * fresh id, so a job that ran twice shows up as two events for its subject.
 */

type Handler = (job: JobContext) => Promise<void>;
export const handlersOf = (run: Handler) =>
  Object.fromEntries(JOB_NAMES.map((name) => [name, run])) as unknown as JobHandlers;

export async function effect(unit: UnitOfWork, job: JobContext): Promise<void> {
  const subject =
    'eventId' in job.payload ? job.payload.eventId : 'leadId' in job.payload ? job.payload.leadId : '';
  await dbOf(unit)
    .insertInto('domain_events')
    .values({
      id: `evt_${randomUUID()}`,
      workspace_id: job.workspaceId,
      type: 'lead.created',
      subject,
      data: '{}',
      created_at: 0,
    })
    .execute();
}

/** How many times each subject's effect was committed. */
export async function effectCounts(store: Store): Promise<Map<string, number>> {
  const rows = await store.db
    .selectFrom('domain_events')
    .select(['subject', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('subject')
    .execute();
  return new Map(rows.map((r) => [r.subject, Number(r.n)]));
}

export function assertEachOnce(counts: Map<string, number>, subjects: string[]): void {
  assert.deepEqual(
    [...counts.entries()].sort(),
    subjects.map((s) => [s, 1]).sort(),
    'every job had its effect exactly once',
  );
}

export async function enqueue(store: Store, queue: Queue, name: JobName, subjects: string[]): Promise<void> {
  await store.transaction((trx) =>
    queue.enqueue(
      trx,
      subjects.map((s) =>
        name === 'lead.process'
          ? { name, workspaceId: 'ws_1', payload: { eventId: s } }
          : { name: 'council.next_action' as const, workspaceId: 'ws_1', payload: { leadId: s } },
      ),
    ),
  );
  queue.notify();
}

export const until = (check: () => Promise<boolean>, timeoutMs = 15_000) => waitFor(check, timeoutMs);

export const jobsLeft = async (store: Store) =>
  Number(
    (
      await store.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirst()
    )?.n,
  );

/** Runs a worker until the returned function is called (and has waited for it to stop). */
export function startWorker(queue: Queue, handlers: JobHandlers, concurrency = 4) {
  const controller = new AbortController();
  const running = queue.work({ handlers, concurrency, signal: controller.signal });
  return async () => {
    controller.abort();
    await running;
  };
}
