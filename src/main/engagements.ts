import { type Clock, inWorkspace, LeadloopError } from '../core/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { Engagements, InboundReply, MeetingBooking } from '../http/index.ts';
import { type Db, fromJson, type Store, workspaceRow } from '../store/index.ts';

/** Message ids in a header value: `<…>` tokens, as In-Reply-To and References carry them. */
const messageIdsOf = (header: string | undefined): string[] => header?.match(/<[^<>\s]{1,300}>/g) ?? [];

/**
 * The workflow e-mail a reply answers: its Message-ID is `<runId.stepKey@domain>` (the engine's
 * idempotency key, `:` made `.`), so the run is looked up by id, in the caller's workspace only,
 * and the step by the id its output memoised (exact, so a forged or foreign id never matches).
 */
async function sentMessage(db: Db, workspaceId: string, messageId: string) {
  const runId = /^<([A-Za-z0-9_-]+)\./.exec(messageId)?.[1];
  if (!runId) return null;
  const steps = await db
    .selectFrom('workflow_steps as s')
    .innerJoin('workflow_runs as r', (j) => j.onRef('r.id', '=', 's.run_id'))
    .select(['s.step_key', 's.output', 'r.workflow_id', 'r.lead_id'])
    .where('s.workspace_id', '=', workspaceId)
    .where('r.workspace_id', '=', workspaceId)
    .where('s.run_id', '=', runId)
    .where('s.type', '=', 'send_email')
    .where('s.status', '=', 'completed')
    .execute();
  for (const s of steps) {
    const output = fromJson<Record<string, unknown>>(s.output, {});
    if (output.messageId === messageId)
      return { runId, stepKey: s.step_key, workflowId: s.workflow_id, leadId: s.lead_id };
  }
  return null;
}

/** Earlier events of one type about a lead, for deduplication (a lead has few). */
async function earlier(db: Db, workspaceId: string, type: string, subject: string) {
  const rows = await db
    .selectFrom('domain_events')
    .select('data')
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', type)
    .where('subject', '=', subject)
    .execute();
  return rows.map((r) => fromJson<Record<string, unknown>>(r.data, {}));
}

/**
 * Replies to workflow e-mail and meetings booked, recorded as domain events (`email.replied`,
 * `meeting.booked`) the metrics roll up. Only ids are kept: the reply's body and addresses are
 * read to match it and then dropped. A message is counted replied once, however many replies
 * (or redeliveries of one) arrive; a meeting with an external id once.
 */
export function createEngagements(options: {
  store: Store;
  events: DomainEventLog;
  clock: Clock;
}): Engagements {
  const { store, events, clock } = options;
  return {
    recordReply: (workspaceId, reply: InboundReply) =>
      inWorkspace(workspaceId, async () => {
        const candidates = [...messageIdsOf(reply.inReplyTo), ...messageIdsOf(reply.references).reverse()];
        if (candidates.length === 0)
          throw new LeadloopError('validation_failed', 'the reply names no message id', {
            issues: [{ field: 'body.inReplyTo', reason: 'holds no <message-id> (nor does references)' }],
          });
        const result = await store.transaction(async (trx) => {
          let sent: Awaited<ReturnType<typeof sentMessage>> = null;
          for (const id of candidates) {
            sent = await sentMessage(trx, workspaceId, id);
            if (sent) break;
          }
          if (!sent) return null;
          const subject = sent.leadId ?? sent.runId;
          // Serialises recorders of this workspace, so two deliveries of one reply count once.
          await events.takeTurn(trx, workspaceId);
          const seen = await earlier(trx, workspaceId, 'email.replied', subject);
          const replayed = seen.some((d) => d.runId === sent.runId && d.stepKey === sent.stepKey);
          if (!replayed)
            await events.append(trx, workspaceId, [
              {
                type: 'email.replied',
                subject,
                data: { runId: sent.runId, stepKey: sent.stepKey, workflowId: sent.workflowId },
              },
            ]);
          return { ...sent, replayed };
        });
        if (!result)
          throw new LeadloopError('not_found', 'no workflow e-mail of this workspace has that message id', {
            issues: [{ field: 'body.inReplyTo', reason: 'matches no sent message' }],
          });
        if (!result.replayed) events.notify(workspaceId);
        return result;
      }),

    recordMeeting: (workspaceId, meeting: MeetingBooking) =>
      inWorkspace(workspaceId, async () => {
        const result = await store.transaction(async (trx) => {
          const lead = await workspaceRow(trx, 'leads', workspaceId, { id: meeting.leadId }, ['id']);
          if (!lead)
            throw new LeadloopError('not_found', 'no such lead in this workspace', {
              issues: [{ field: 'body.leadId', reason: 'no such lead' }],
            });
          // Without a named workflow, the one whose e-mail reached the lead last (as unsubscribes are).
          const workflowId =
            meeting.workflowId ??
            (
              await trx
                .selectFrom('workflow_steps as s')
                .innerJoin('workflow_runs as r', (j) => j.onRef('r.id', '=', 's.run_id'))
                .select('r.workflow_id')
                .where('s.workspace_id', '=', workspaceId)
                .where('r.workspace_id', '=', workspaceId)
                .where('r.lead_id', '=', meeting.leadId)
                .where('s.type', '=', 'send_email')
                .where('s.status', '=', 'completed')
                .orderBy('s.finished_at', 'desc')
                .limit(1)
                .executeTakeFirst()
            )?.workflow_id ??
            null;
          await events.takeTurn(trx, workspaceId);
          const replayed =
            meeting.externalId !== undefined &&
            (await earlier(trx, workspaceId, 'meeting.booked', meeting.leadId)).some(
              (d) => d.externalId === meeting.externalId,
            );
          if (!replayed)
            await events.append(trx, workspaceId, [
              {
                type: 'meeting.booked',
                subject: meeting.leadId,
                data: {
                  startsAt: meeting.startsAt,
                  bookedAt: clock.now(),
                  ...(workflowId ? { workflowId } : {}),
                  ...(meeting.externalId !== undefined ? { externalId: meeting.externalId } : {}),
                },
              },
            ]);
          return { leadId: meeting.leadId, workflowId, replayed };
        });
        if (!result.replayed) events.notify(workspaceId);
        return result;
      }),
  };
}
