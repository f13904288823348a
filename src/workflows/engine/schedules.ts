import { type Clock, type IdGenerator, lazyModule } from '../../core/index.ts';
import type { JobContext, Queue } from '../../queue/index.ts';
import type { Db, Store } from '../../store/index.ts';
import type { LeadPort } from '../ports.ts';
import type { LoadedVersion } from './definitions.ts';
import type { StartRunInput } from './engine-types.ts';
import { evaluate, leadView, type RunScope } from './evaluate.ts';

// cron-parser and its luxon: loaded with the first schedule, not by every server (core/lazy-module.ts).
const cronParser = lazyModule<typeof import('cron-parser')>('cron-parser');

/** The first occurrence of `cron` in `timezone` strictly after `after` (ms since the epoch). */
function nextFire(cron: string, timezone: string, after: number): number {
  return cronParser()
    .CronExpressionParser.parse(cron, { currentDate: new Date(after), tz: timezone })
    .next()
    .getTime();
}

/** How many occurrences fall in (from, to], counting at most `cap`. */
function occurrencesBetween(cron: string, timezone: string, from: number, to: number, cap = 10_000) {
  const it = cronParser().CronExpressionParser.parse(cron, { currentDate: new Date(from), tz: timezone });
  let n = 0;
  while (n < cap && it.next().getTime() <= to) n++;
  return n;
}

/** Most leads one schedule occurrence starts runs for (`forEachLead.limit` is capped to it too). */
const MAX_LEADS_PER_FIRE = 100_000;

export interface Schedules {
  /**
   * Makes the workflow's schedule rows match `active` (its schedule triggers), in `db` (the
   * activation's transaction): old rows go, a row and a fire job per schedule trigger come.
   * `active: null` (deactivated or deleted) removes them.
   */
  sync(db: Db, workspaceId: string, workflowId: string, active: LoadedVersion | null): Promise<void>;
  /** The `workflow.schedule` job handler. */
  fireJob(job: JobContext<'workflow.schedule'>): Promise<void>;
}

/**
 * Schedule triggers as due rows. Each row holds its next fire time, and a queued job carries the
 * same time. Firing is one transaction: the row is locked and must still say `next_at = dueAt`,
 * the runs start (dedupe key `schedule:<row>:<dueAt>`), the row moves to the next time, and the job
 * for it is queued. A job delivered twice, or run by a second worker, or after a restart, finds the
 * row moved on and does nothing; a fire that committed is never repeated.
 *
 * Missed fires (workers down across several occurrences): the first due occurrence fires once,
 * late, with `missed` = the occurrences skipped after it; the next fire is the first occurrence
 * after now. A schedule never fires a burst of catch-up runs.
 */
export function createSchedules(options: {
  store: Store;
  queue: Pick<Queue, 'enqueue' | 'notify'>;
  clock: Clock;
  ids: IdGenerator;
  leads: LeadPort;
  version(db: Db, workspaceId: string, workflowId: string, version: number): Promise<LoadedVersion | null>;
  startRun(
    db: Db,
    workspaceId: string,
    input: StartRunInput,
  ): Promise<{ runId: string; created: boolean } | null>;
  /** Starts many runs of one workflow, set-based; returns how many were created. */
  startRuns(db: Db, workspaceId: string, inputs: readonly StartRunInput[]): Promise<number>;
}): Schedules {
  const { store, queue, clock, ids, leads } = options;

  async function sync(db: Db, workspaceId: string, workflowId: string, active: LoadedVersion | null) {
    await db
      .deleteFrom('workflow_schedules')
      .where('workspace_id', '=', workspaceId)
      .where('workflow_id', '=', workflowId)
      .execute();
    if (!active) return;
    const now = clock.now();
    for (const [index, trigger] of active.workflow.triggers.entries()) {
      if (trigger.type !== 'schedule') continue;
      const id = ids.next('wfs');
      const nextAt = nextFire(trigger.cron, trigger.timezone, now);
      await db
        .insertInto('workflow_schedules')
        .values({
          id,
          workspace_id: workspaceId,
          workflow_id: workflowId,
          version: active.version,
          trigger_index: index,
          cron: trigger.cron,
          timezone: trigger.timezone,
          next_at: nextAt,
          last_fired_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await queue.enqueue(db, [
        { name: 'workflow.schedule', workspaceId, payload: { scheduleId: id, dueAt: nextAt }, runAt: nextAt },
      ]);
    }
  }

  async function leadsFor(
    db: Db,
    workspaceId: string,
    spec: { where?: Parameters<typeof evaluate>[0]; limit: number },
    data: Record<string, unknown>,
  ): Promise<string[]> {
    if (!leads.list) return [];
    const limit = Math.min(spec.limit, MAX_LEADS_PER_FIRE);
    // One read of the candidates (not a read per lead); the filter is evaluated in memory.
    const candidates = await leads.list(db, { workspaceId }, spec.where ? MAX_LEADS_PER_FIRE : limit);
    const chosen: string[] = [];
    for (const lead of candidates) {
      if (chosen.length >= limit) break;
      if (spec.where) {
        const scope: RunScope = {
          lead: leadView(lead),
          trigger: data,
          vars: {},
          steps: {},
          loop: {},
          consent: null,
        };
        if (!evaluate(spec.where, scope)) continue;
      }
      chosen.push(lead.id);
    }
    return chosen;
  }

  async function fireJob(job: JobContext<'workflow.schedule'>): Promise<void> {
    const { scheduleId, dueAt } = job.payload;
    const workspaceId = job.workspaceId;
    const fired = await store.transaction(async (trx) => {
      const row = await trx
        .selectFrom('workflow_schedules')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', scheduleId)
        .$if(store.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row || Number(row.next_at) !== dueAt) return false;
      const now = clock.now();
      if (now < dueAt) {
        // Delivered early (a clock step back): the row stays due at the same time.
        await queue.enqueue(trx, [
          { name: 'workflow.schedule', workspaceId, payload: job.payload, runAt: dueAt },
        ]);
        return false;
      }
      const version = await options.version(trx, workspaceId, row.workflow_id, row.version);
      const trigger = version?.workflow.triggers[row.trigger_index];
      if (trigger?.type === 'schedule') {
        const missed = occurrencesBetween(row.cron, row.timezone, dueAt, now);
        const data = { scheduledAt: new Date(dueAt).toISOString(), lateMs: now - dueAt, missed };
        const base = {
          workflowId: row.workflow_id,
          version: row.version,
          trigger: 'schedule',
          input: data,
        } as const;
        const scope: RunScope = { lead: null, trigger: data, vars: {}, steps: {}, loop: {}, consent: null };
        if (trigger.forEachLead) {
          const chosen = await leadsFor(trx, workspaceId, trigger.forEachLead, data);
          await options.startRuns(
            trx,
            workspaceId,
            chosen.map((leadId) => ({ ...base, leadId, dedupeKey: `schedule:${row.id}:${dueAt}:${leadId}` })),
          );
        } else if (!trigger.filter || evaluate(trigger.filter, scope))
          await options.startRun(trx, workspaceId, {
            ...base,
            leadId: null,
            dedupeKey: `schedule:${row.id}:${dueAt}`,
          });
      }
      const nextAt = nextFire(row.cron, row.timezone, now);
      await trx
        .updateTable('workflow_schedules')
        .set({ next_at: nextAt, last_fired_at: now, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', row.id)
        .execute();
      await queue.enqueue(trx, [
        {
          name: 'workflow.schedule',
          workspaceId,
          payload: { scheduleId: row.id, dueAt: nextAt },
          runAt: nextAt,
        },
      ]);
      return true;
    });
    if (fired) queue.notify();
  }

  return { sync, fireJob };
}
