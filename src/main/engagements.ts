import { type Clock, inWorkspace, LeadloopError } from '../core/index.ts';
import type { DomainEventLog } from '../events/index.ts';
import type { CalendlyAnswer, Engagements, InboundReply, MeetingBooking } from '../http/index.ts';
import { normaliseEmail } from '../leads/index.ts';
import { type Db, fromJson, type Store, workspaceRow } from '../store/index.ts';
import { parseCalendly, verifyCalendly } from './calendly-inbound.ts';

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
  /** The workspace's Calendly signing key (sealed in the credential store); without it, none verifies. */
  calendlyKey?: (workspaceId: string) => Promise<string | null>;
}): Engagements {
  const { store, events, clock } = options;

  /** A booking's cancellation: once per invitee, and only of a booking recorded here. */
  const cancelMeeting = (workspaceId: string, leadId: string, invitee: string) =>
    inWorkspace(workspaceId, async () => {
      const result = await store.transaction(async (trx) => {
        await events.takeTurn(trx, workspaceId);
        const booked = (await earlier(trx, workspaceId, 'meeting.booked', leadId)).find(
          (d) => d.externalId === invitee,
        );
        if (!booked) return { workflowId: null, recorded: false, replayed: false };
        const workflowId = typeof booked.workflowId === 'string' ? booked.workflowId : null;
        const replayed = (await earlier(trx, workspaceId, 'meeting.canceled', leadId)).some(
          (d) => d.externalId === invitee,
        );
        if (!replayed)
          await events.append(trx, workspaceId, [
            {
              type: 'meeting.canceled',
              subject: leadId,
              data: { externalId: invitee, canceledAt: clock.now(), ...(workflowId ? { workflowId } : {}) },
            },
          ]);
        return { workflowId, recorded: true, replayed };
      });
      if (result.recorded && !result.replayed) events.notify(workspaceId);
      return result;
    });

  const engagements: Engagements = {
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

    async recordCalendly(workspaceId, delivery, admit): Promise<CalendlyAnswer> {
      const key = options.calendlyKey;
      await verifyCalendly(delivery.signature, delivery.rawBody, clock.now(), () =>
        key ? key(workspaceId) : Promise.resolve(null),
      );
      await admit();
      const { event, payload } = parseCalendly(delivery.rawBody);
      const email = normaliseEmail(payload.email);
      if (!email.ok)
        throw new LeadloopError('validation_failed', 'the body is not valid', {
          issues: [{ field: 'body.payload.email', reason: email.error }],
        });
      const lead = await inWorkspace(workspaceId, () =>
        store.db
          .selectFrom('leads')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where('email', '=', email.value)
          .orderBy('created_at')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst(),
      );
      const base = { event, invitee: payload.uri };
      if (!lead)
        return {
          ...base,
          leadId: null,
          workflowId: null,
          recorded: false,
          replayed: false,
          note: 'no lead of this workspace has the invitee’s e-mail: nothing recorded',
        };
      if (event === 'invitee.canceled') {
        const canceled = await cancelMeeting(workspaceId, lead.id, payload.uri);
        return {
          ...base,
          leadId: lead.id,
          ...canceled,
          note: canceled.recorded
            ? canceled.replayed
              ? 'already canceled'
              : 'meeting canceled'
            : 'no meeting of this invitee was recorded: nothing to cancel',
        };
      }
      const booked = await engagements.recordMeeting(workspaceId, {
        leadId: lead.id,
        startsAt: Date.parse(payload.scheduled_event.start_time),
        externalId: payload.uri,
      });
      return {
        ...base,
        leadId: lead.id,
        workflowId: booked.workflowId,
        recorded: true,
        replayed: booked.replayed,
        note: booked.replayed ? 'already recorded' : 'meeting recorded',
      };
    },
  };
  return engagements;
}
