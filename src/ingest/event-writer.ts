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
  onCommitted?: (count: number, workspaceIds: string[]) => void;
}

const keyOf = (s: Submission) => `${s.workspaceId}\u0000${s.source}\u0000${s.idempotencyKey}`;

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

  async function commit(batch: Pending[]): Promise<void> {
    const now = clock.now();
    const outcomes = new Map<Pending, SubmissionOutcome>();
    // One transaction carries the batch's requests, each already authenticated for its workspace;
    // the scope admits exactly those workspaces.
    const scope: DataScope = {
      kind: 'workspaces',
      workspaceIds: [...new Set(batch.map((p) => p.submission.workspaceId))],
    };
    await withDataScope(scope, () =>
      store.transaction(async (trx) => {
        const keyed = batch.filter((p) => p.submission.idempotencyKey !== undefined);
        const fresh = new Set(batch.filter((p) => p.submission.idempotencyKey === undefined));
        if (keyed.length > 0) {
          const inserted = await insertKeys.execute(
            trx,
            keyed.map((p) => ({
              workspace_id: p.submission.workspaceId,
              scope: p.submission.source,
              key: p.submission.idempotencyKey as string,
              request_hash: p.submission.requestHash,
              response_body: p.body,
              created_at: now,
            })),
          );
          const won = new Set(inserted.map((r) => `${r.workspace_id}\u0000${r.scope}\u0000${r.key}`));
          for (const p of keyed) {
            if (won.has(keyOf(p.submission))) {
              fresh.add(p);
              continue;
            }
            const original = await trx
              .selectFrom('idempotency_keys')
              .select(['request_hash', 'response_status', 'response_body'])
              .where('workspace_id', '=', p.submission.workspaceId)
              .where('scope', '=', p.submission.source)
              .where('key', '=', p.submission.idempotencyKey as string)
              .executeTakeFirstOrThrow();
            if (original.request_hash !== p.submission.requestHash) {
              p.reject(
                new LeadloopError(
                  'idempotency_key_reused',
                  'this idempotency key was already used with a different request body',
                  {
                    issues: [
                      {
                        field:
                          p.submission.source === 'webhook' ? 'header.webhook-id' : 'header.idempotency-key',
                        reason: 'was already used with a different request body',
                      },
                    ],
                  },
                ),
              );
            } else {
              outcomes.set(p, {
                kind: 'replayed',
                status: original.response_status,
                body: original.response_body,
              });
            }
          }
        }
        const accepted = batch.filter((p) => fresh.has(p));
        if (accepted.length === 0) return;
        await insertEvents.execute(
          trx,
          accepted.map((p) => ({
            id: p.eventId,
            workspace_id: p.submission.workspaceId,
            source: p.submission.source,
            payload: toJson(p.submission.payload),
            created_at: now,
          })),
        );
        await queue.enqueue(
          trx,
          accepted.map((p) => ({
            name: 'lead.process' as const,
            workspaceId: p.submission.workspaceId,
            payload: { eventId: p.eventId },
          })),
        );
        for (const p of accepted)
          outcomes.set(p, {
            kind: 'accepted',
            status: 202,
            eventId: p.eventId,
            body: p.body,
          });
      }),
    );
    const committed = [...outcomes.entries()].filter(([, o]) => o.kind === 'accepted');
    if (options.normalisedLeads)
      for (const [p] of committed)
        if (p.submission.normalised) options.normalisedLeads.put(p.eventId, p.submission.normalised);
    if (committed.length > 0) {
      options.onCommitted?.(
        committed.length,
        committed.map(([p]) => p.submission.workspaceId),
      );
      queue.notify();
    }
    for (const [p, outcome] of outcomes) p.resolve(outcome);
  }

  async function flushLoop(): Promise<void> {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, maxBatch);
      waiting = waiting.slice(batch.length);
      try {
        await commit(batch);
      } catch (error) {
        // Nothing of this batch was written (one transaction), so every caller gets an error.
        for (const p of batch)
          p.reject(
            new LeadloopError('unavailable', 'the event could not be stored; retry', {
              cause: error,
              retryable: true,
              retryAfterSeconds: 1,
            }),
          );
      } finally {
        for (const p of batch)
          if (p.submission.idempotencyKey !== undefined) inFlight.delete(keyOf(p.submission));
      }
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
              : new LeadloopError(
                  'idempotency_key_reused',
                  'this idempotency key was already used with a different request body',
                  { issues: [{ field, reason: 'was already used with a different request body' }] },
                ),
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
      while (waiting.length > 0 || flushing || scheduled) {
        if (flushing) await flushing;
        else await new Promise((r) => setImmediate(r));
      }
    },
    pending: () => waiting.length,
    lastSubmitAt: () => lastSubmit,
  };
}
