import { z } from 'zod';

/**
 * Every job Leadloop runs, declared once: name, payload schema (ids only, never personal data),
 * timeout and retry policy. Adding a job here makes a missing handler a compile error.
 */
export const jobCatalog = {
  'lead.process': {
    payload: z.object({ eventId: z.string() }).strict(),
    pool: 'pipeline',
    unitOfWork: 'batch',
    timeoutMs: 30_000,
    maxAttempts: 8,
    backoffBaseMs: 500,
  },
  /** Trains a workspace's predictive model from its outcomes (CPU-bound; holds no transaction). */
  'scoring.retrain': {
    payload: z.object({ trigger: z.string().max(100) }).strict(),
    pool: 'scoring',
    unitOfWork: 'none',
    timeoutMs: 300_000,
    maxAttempts: 3,
    backoffBaseMs: 5_000,
  },
  /** Asks the AI council what to do next with a lead that just qualified (model calls; holds no transaction). */
  'council.next_action': {
    payload: z.object({ leadId: z.string().max(100) }).strict(),
    pool: 'council',
    unitOfWork: 'none',
    timeoutMs: 60_000,
    maxAttempts: 3,
    backoffBaseMs: 5_000,
  },
  /** A workspace's retention sweep; reschedules itself daily (batches of its own transactions). */
  'privacy.retention': {
    pool: 'privacy',
    payload: z.object({ trigger: z.string().max(100) }).strict(),
    unitOfWork: 'none',
    timeoutMs: 600_000,
    maxAttempts: 5,
    backoffBaseMs: 30_000,
  },
  /**
   * Runs one step of a workflow run (its result memoised in `workflow_steps`, so a repeated job
   * never repeats a finished step). The engine retries steps itself with the step's own policy;
   * these attempts only cover a crash or a database failure around a step.
   */
  'workflow.step': {
    pool: 'workflows',
    payload: z.object({ runId: z.string().max(100), stepKey: z.string().max(200) }).strict(),
    unitOfWork: 'none',
    timeoutMs: 120_000,
    maxAttempts: 10,
    backoffBaseMs: 1_000,
  },
  /**
   * A workspace's optimiser minute (from its schedule): rolls up metrics, runs the detectors,
   * opens and resolves alerts, refreshes stale thresholds and watches guarded adjustments.
   * `slot` is the due time it stands for, so a repeated job never evaluates a minute twice.
   */
  'optimiser.monitor': {
    pool: 'optimiser',
    payload: z.object({ slot: z.number().int().nonnegative() }).strict(),
    unitOfWork: 'none',
    timeoutMs: 60_000,
    maxAttempts: 3,
    backoffBaseMs: 5_000,
  },
  /** Asks the council's `performance.review` about a new alert (model calls; holds no transaction). */
  'optimiser.review': {
    pool: 'optimiser',
    payload: z.object({ alertId: z.string().max(100) }).strict(),
    unitOfWork: 'none',
    timeoutMs: 120_000,
    maxAttempts: 3,
    backoffBaseMs: 10_000,
  },
  /** A workspace's daily optimiser housekeeping: old per-minute rollups, settled alerts and changes. */
  'optimiser.housekeeping': {
    pool: 'optimiser',
    payload: z.object({ slot: z.number().int().nonnegative() }).strict(),
    unitOfWork: 'none',
    timeoutMs: 600_000,
    maxAttempts: 3,
    backoffBaseMs: 30_000,
  },
} as const;

/**
 * `batch`: short, database-only jobs. Their effects go through `job.db`, and the adapter commits a
 * batch of them together with their completion in one transaction (one disk flush for many jobs;
 * a failing job is rolled back to its own savepoint). `none`: long jobs (model calls) that must not
 * hold a transaction open; they manage their own transactions and are acknowledged separately.
 */
export type UnitOfWork = 'batch' | 'none';

export type JobName = keyof typeof jobCatalog;
export type JobPayload<N extends JobName> = z.infer<(typeof jobCatalog)[N]['payload']>;

export const JOB_NAMES = Object.keys(jobCatalog) as JobName[];

/**
 * A worker pool: the job kinds one `leadloop worker --only <pool>` process runs, so a slow kind (the
 * council's model calls) never starves another (the pipeline) and each scales on its own. Pools come
 * from the catalog's `pool` fields: a job declared with a new pool makes a new pool.
 */
export type JobPool = (typeof jobCatalog)[JobName]['pool'];

/** Every pool, in catalog order. */
export const JOB_POOLS: readonly JobPool[] = [...new Set(JOB_NAMES.map((name) => jobCatalog[name].pool))];

/** The job kinds of the given pools (all of them when `pools` is undefined). */
export function jobNamesOf(pools: readonly JobPool[] | undefined): JobName[] {
  return pools === undefined
    ? [...JOB_NAMES]
    : JOB_NAMES.filter((name) => pools.includes(jobCatalog[name].pool));
}

/** Parses a `--only` list (`pipeline,council`); says which names are not pools. */
export function parsePools(list: string): { ok: true; value: JobPool[] } | { ok: false; error: string } {
  const names = list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const unknown = names.filter((name) => !(JOB_POOLS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0)
    return {
      ok: false,
      error: `${unknown.length > 0 ? `unknown pool ${unknown.map((u) => `"${u}"`).join(', ')}` : 'no pool given'}; pools are ${JOB_POOLS.join(', ')}`,
    };
  return { ok: true, value: [...new Set(names)] as JobPool[] };
}

/**
 * Exponential backoff with full jitter: attempt 1 waits up to base, attempt 2 up to 2×base, ...
 * capped at 10 minutes. `random` is injected so tests are deterministic.
 */
export function backoffDelayMs(name: JobName, attempt: number, random: () => number = Math.random): number {
  const base = jobCatalog[name].backoffBaseMs;
  const ceiling = Math.min(600_000, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
