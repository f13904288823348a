import { createHash } from 'node:crypto';
import type { Clock, DataScope, IdGenerator } from '../core/index.ts';
import { LeadloopError, withDataScope } from '../core/index.ts';
import type { NormalisedLead, NormalisedLeads } from '../leads/index.ts';
import type { Queue } from '../queue/index.ts';
import type { Store } from '../store/index.ts';
import { preparedRows, toJson } from '../store/index.ts';

/* The group commit's statements, prepared once (store/prepared.ts). */
const insertKeys = preparedRows<{
  workspace_id: string;
  scope: string;
  key: string;
  request_hash: string;
  response_body: string;
  created_at: number;
}>(['workspace_id', 'scope', 'key', 'request_hash', 'response_body', 'created_at'])((db, rows) =>
  db
    .insertInto('idempotency_keys')
    .values(rows.map((r) => ({ ...r, response_status: 202 })))
    .onConflict((oc) => oc.columns(['workspace_id', 'scope', 'key']).doNothing())
    .returning(['workspace_id', 'scope', 'key']),
);

const insertEvents = preparedRows<{
  id: string;
  workspace_id: string;
  source: string;
  payload: string;
  created_at: number;
}>(['id', 'workspace_id', 'source', 'payload', 'created_at'])((db, rows) =>
  db.insertInto('events').values(
    rows.map((r) => ({
      ...r,
      type: 'lead.submitted',
      status: 'accepted',
      lead_id: null,
      error: null,
      attempts: 0,
      processed_at: null,
    })),
  ),
);

export type IdempotencyScope = 'webhook' | 'api' | 'import' | 'chat';

interface Submission {
  workspaceId: string;
  source: IdempotencyScope;
  /** The validated body, stored as the event payload. */
  payload: unknown;
  /** The payload's normalised form, handed to the pipeline in this process once the event commits. */
  normalised?: NormalisedLead | undefined;
  /** `webhook-id` or `Idempotency-Key`; absent when the caller gave none. */
  idempotencyKey?: string | undefined;
  /** Fingerprint of the request body, to tell a replay from a key reused for a different body. */
  requestHash: string;
}

export type SubmissionOutcome =
  | { kind: 'accepted'; status: 202; eventId: string; body: string }
  | { kind: 'replayed'; status: number; body: string };

export function fingerprint(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('base64url');
}

interface Pending {
  submission: Submission;
  eventId: string;
  /** The 202's body, `{"eventId":…}`: stored with the idempotency key and sent. */
  body: string;
  resolve: (outcome: SubmissionOutcome) => void;
  reject: (error: unknown) => void;
}

export interface SubmissionWriter {
  submit(submission: Submission): Promise<SubmissionOutcome>;
  /** Resolves once every submission received so far is committed or failed. */
  drain(): Promise<void>;
  /** Submissions waiting for a commit, for metrics. */
  pending(): number;
  /** When the last submission arrived (clock ms), so workers can give ingestion priority. */
  lastSubmitAt(): number;
}

export interface SubmissionWriterOptions {
  store: Store;
  queue: Queue;
  clock: Clock;
  ids: IdGenerator;
  /** Upper bound of one group commit. */
  maxBatch?: number;
  /** Where accepted submissions' normalised leads go for the pipeline (so it does not normalise again). */
  normalisedLeads?: NormalisedLeads;
  /** `elsewhere`: another thread stored them (`storeElsewhere`) and has woken its own workers. */
  onCommitted?: (count: number, workspaceIds: string[], elsewhere: boolean) => void;
  /**
   * Stores a batch on another connection (the embedded worker thread's: one writer), which then
   * hands the normalised leads to its pipeline and wakes its workers; null stores it here.
   */
  storeElsewhere?: StoreElsewhere;
}

export type StoreElsewhere = (
  now: number,
  records: SubmissionRecord[],
  leads: [eventId: string, lead: NormalisedLead][],
) => Promise<StoredOutcome[]> | null;

/** One accepted submission as the group commit stores it (structured-clonable: it may cross threads). */
export interface SubmissionRecord {
  eventId: string;
  workspaceId: string;
  source: IdempotencyScope;
  /** The validated body as JSON. */
  payload: string;
  idempotencyKey?: string | undefined;
  requestHash: string;
  /** The 202's body, stored with the idempotency key. */
  body: string;
}

/** What storing a record came to: a new event, the answer to an earlier request with its key, or a key reused for another body. */
export type StoredOutcome =
  | { kind: 'accepted' }
  | { kind: 'replayed'; status: number; body: string }
  | { kind: 'reused' };

const keyReused = (source: IdempotencyScope) =>
  new LeadloopError(
    'idempotency_key_reused',
    'this idempotency key was already used with a different request body',
    {
      issues: [
        {
          field: source === 'webhook' ? 'header.webhook-id' : 'header.idempotency-key',
          reason: 'was already used with a different request body',
        },
      ],
    },
  );

/** An idempotency key's identity: its workspace, its scope and the key. */
const keyOf = (s: { workspaceId: string; source: string; idempotencyKey?: string | undefined }) =>
  `${s.workspaceId}\u0000${s.source}\u0000${s.idempotencyKey}`;

/**
 * Stores a group commit's records in one synced transaction: their idempotency keys, their events
 * and their pipeline jobs. Returns one outcome per record, in order. Runs on whichever thread holds
 * the connection that writes them (the worker thread's, when the embedded server has one).
 * `unsynced`: the caller makes the commit durable itself (`Store.syncLog`) before it answers anyone.
 */
export async function storeSubmissions(
  deps: { store: Store; queue: Queue },
  now: number,
  records: SubmissionRecord[],
  options?: { unsynced?: boolean },
): Promise<StoredOutcome[]> {
  const outcomes: StoredOutcome[] = records.map(() => ({ kind: 'accepted' }));
  // One transaction carries the batch's requests, each already authenticated for its workspace;
  // the scope admits exactly those workspaces.
  const scope: DataScope = {
    kind: 'workspaces',
    workspaceIds: [...new Set(records.map((r) => r.workspaceId))],
  };
  await withDataScope(scope, () =>
    deps.store.transaction(async (trx) => {
      const keyed = records.flatMap((r, i) => (r.idempotencyKey === undefined ? [] : [i]));
      if (keyed.length > 0) {
        const inserted = await insertKeys.execute(
          trx,
          keyed.map((i) => {
            const r = records[i] as SubmissionRecord;
            return {
              workspace_id: r.workspaceId,
              scope: r.source,
              key: r.idempotencyKey as string,
              request_hash: r.requestHash,
              response_body: r.body,
              created_at: now,
            };
          }),
        );
        const won = new Set(
          inserted.map((row) =>
            keyOf({ workspaceId: row.workspace_id, source: row.scope, idempotencyKey: row.key }),
          ),
        );
        for (const i of keyed) {
          const r = records[i] as SubmissionRecord;
          if (won.has(keyOf(r))) continue;
          const original = await trx
            .selectFrom('idempotency_keys')
            .select(['request_hash', 'response_status', 'response_body'])
            .where('workspace_id', '=', r.workspaceId)
            .where('scope', '=', r.source)
            .where('key', '=', r.idempotencyKey as string)
            .executeTakeFirstOrThrow();
          outcomes[i] =
            original.request_hash !== r.requestHash
              ? { kind: 'reused' }
              : { kind: 'replayed', status: original.response_status, body: original.response_body };
        }
      }
      const accepted = records.filter((_, i) => outcomes[i]?.kind === 'accepted');
      if (accepted.length === 0) return;
      await insertEvents.execute(
        trx,
        accepted.map((r) => ({
          id: r.eventId,
          workspace_id: r.workspaceId,
          source: r.source,
          payload: r.payload,
          created_at: now,
        })),
      );
      await deps.queue.enqueue(
        trx,
        accepted.map((r) => ({
          name: 'lead.process' as const,
          workspaceId: r.workspaceId,
          payload: { eventId: r.eventId },
        })),
      );
    }, options),
  );
  return outcomes;
}

/**
 * Group commit: submissions that arrive while a commit is running are written together in the
 * next transaction, and no caller is answered before the transaction holding its event commits.
 * One fsync then carries a whole batch, which is what lifts the durable ingest rate past the
 * disk's per-commit latency.
 */
export function createSubmissionWriter(options: SubmissionWriterOptions): SubmissionWriter {
  const { store, queue, clock, ids } = options;
  const maxBatch = options.maxBatch ?? 256;
  let waiting: Pending[] = [];
  /** Idempotency keys submitted but not yet committed, to answer a concurrent duplicate with 409. */
  const inFlight = new Map<string, string>();
  let flushing: Promise<void> | null = null;
  let scheduled = false;
  let lastSubmit = 0;

  /** Group commits stored on another thread and not yet answered. */
  const elsewhereInFlight = new Set<Promise<void>>();

  /** Starts storing a batch; `elsewhere`: on another thread, which merges what arrives meanwhile. */
  function commit(batch: Pending[]): { elsewhere: boolean; done: Promise<void> } {
    const records = batch.map(
      (p): SubmissionRecord => ({
        eventId: p.eventId,
        workspaceId: p.submission.workspaceId,
        source: p.submission.source,
        payload: toJson(p.submission.payload),
        idempotencyKey: p.submission.idempotencyKey,
        requestHash: p.submission.requestHash,
        body: p.body,
      }),
    );
    const now = clock.now();
    const elsewhere = options.storeElsewhere?.(
      now,
      records,
      batch.flatMap((p) =>
        p.submission.normalised ? [[p.eventId, p.submission.normalised] as [string, NormalisedLead]] : [],
      ),
    );
    const remote = elsewhere !== null && elsewhere !== undefined;
    const done = (elsewhere ?? storeSubmissions({ store, queue }, now, records)).then((stored) =>
      settle(batch, stored, remote),
    );
    return { elsewhere: remote, done };
  }

  function settle(batch: Pending[], stored: StoredOutcome[], elsewhere: boolean): void {
    const accepted: Pending[] = [];
    batch.forEach((p, i) => {
      const outcome = stored[i] as StoredOutcome;
      if (outcome.kind === 'accepted') accepted.push(p);
    });
    if (!elsewhere && options.normalisedLeads)
      for (const p of accepted)
        if (p.submission.normalised) options.normalisedLeads.put(p.eventId, p.submission.normalised);
    if (accepted.length > 0) {
      options.onCommitted?.(
        accepted.length,
        accepted.map((p) => p.submission.workspaceId),
        elsewhere,
      );
      if (!elsewhere) queue.notify();
    }
    batch.forEach((p, i) => {
      const outcome = stored[i] as StoredOutcome;
      if (outcome.kind === 'accepted')
        p.resolve({ kind: 'accepted', status: 202, eventId: p.eventId, body: p.body });
      else if (outcome.kind === 'replayed')
        p.resolve({ kind: 'replayed', status: outcome.status, body: outcome.body });
      else p.reject(keyReused(p.submission.source));
    });
  }

  async function flushLoop(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      const { elsewhere, done } = commit(batch);
      const settled = done
        .catch((error: unknown) => {
          // Nothing of this batch was written here (one transaction), or the thread that was to
          // write it stopped: every caller gets an error, and a retry with its key is answered
          // from whatever did land.
          for (const p of batch)
            p.reject(
              new LeadloopError('unavailable', 'the event could not be stored; retry', {
                cause: error,
                retryable: true,
                retryAfterSeconds: 1,
              }),
            );
        })
        .finally(() => {
          for (const p of batch)
            if (p.submission.idempotencyKey !== undefined) inFlight.delete(keyOf(p.submission));
        });
      if (!elsewhere) {
        await settled;
        continue;
      }
      // The other thread merges batches that reach it while it is busy: the next need not wait.
      elsewhereInFlight.add(settled);
      void settled.then(() => elsewhereInFlight.delete(settled));
    }
  }

  function schedule(): void {
    if (scheduled || flushing) return;
    scheduled = true;
    // setImmediate lets the requests already read from sockets join this batch.
    setImmediate(() => {
      scheduled = false;
      flushing = flushLoop().finally(() => {
        flushing = null;
        if (waiting.length > 0) schedule();
      });
    });
  }

  return {
    submit(submission) {
      lastSubmit = clock.now();
      if (submission.idempotencyKey !== undefined) {
        const key = keyOf(submission);
        const pendingHash = inFlight.get(key);
        if (pendingHash !== undefined) {
          const sameBody = pendingHash === submission.requestHash;
          const field = submission.source === 'webhook' ? 'header.webhook-id' : 'header.idempotency-key';
          return Promise.reject(
            sameBody
              ? new LeadloopError(
                  'idempotency_in_flight',
                  'a request with this idempotency key is still being processed',
                  {
                    issues: [{ field, reason: 'is in use by a request still in flight' }],
                    retryAfterSeconds: 1,
                  },
                )
              : keyReused(submission.source),
          );
        }
        inFlight.set(key, submission.requestHash);
      }
      return new Promise<SubmissionOutcome>((resolve, reject) => {
        const eventId = ids.next('evt');
        waiting.push({ submission, eventId, body: toJson({ eventId }), resolve, reject });
        schedule();
      });
    },
    async drain() {
      while (waiting.length > 0 || flushing || scheduled || elsewhereInFlight.size > 0) {
        if (flushing) await flushing;
        else if (elsewhereInFlight.size > 0) await Promise.all(elsewhereInFlight);
        else await new Promise((r) => setImmediate(r));
      }
    },
    pending: () => waiting.length,
    lastSubmitAt: () => lastSubmit,
  };
}
