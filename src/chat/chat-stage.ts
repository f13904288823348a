import { contextsByWorkspace, type PipelineStage, type StageContext } from '../leads/index.ts';
import type { ChatStore, StoredSession } from './chat-store.ts';

/** The conversation id a chat-sourced event carries, which ties that conversation to the lead. */
function sessionIdOf(ctx: StageContext): string | undefined {
  const sessionId = ctx.event.source === 'chat' ? ctx.input?.attributes.chat_session : undefined;
  return typeof sessionId === 'string' ? sessionId : undefined;
}

/** Adds the points of the lead's latest ended conversation, and its qualification, to the score. */
function score(ctx: StageContext, sessions: readonly StoredSession[]): void {
  const scoring = ctx.scoring;
  if (!scoring) return;
  const latest = sessions.filter((s) => s.state.phase === 'ended').at(-1);
  if (!latest) return;
  const playbook = latest.state.playbook.id;
  for (const line of latest.state.score?.lines ?? []) {
    if (line.points !== 0)
      scoring.lines.push({
        ruleId: `chat-${line.slot}`,
        description: `Chat (${playbook}): ${line.reason}`,
        points: line.points,
      });
  }
  if (latest.state.outcome === 'qualified')
    scoring.qualifiedBy = `qualified by the ${playbook} playbook in conversation ${latest.row.id}`;
}

/**
 * Pipeline stage: ties a finished conversation to its lead (so erasure finds the transcript) and
 * adds the points its answers earned, per the playbook, to the lead's score. A conversation the
 * playbook qualified qualifies the lead.
 */
export function createChatScoringStage(chats: ChatStore): PipelineStage {
  /** Merged leads of one workspace that no conversation event of theirs links: one read for all. */
  async function scoreMerged(group: readonly StageContext[]): Promise<void> {
    const first = group[0];
    if (!first) return;
    const byLead = await chats.sessionsOfLeads(
      first.db,
      first.tenant,
      group.map((ctx) => ctx.lead?.id as string),
    );
    for (const ctx of group) score(ctx, byLead.get(ctx.lead?.id as string) ?? []);
  }

  const stage: PipelineStage = {
    name: 'chat',
    async run(ctx) {
      const lead = ctx.lead;
      if (!lead || !ctx.scoring) return;
      const sessionId = sessionIdOf(ctx);
      if (sessionId !== undefined) await chats.linkLead(ctx.db, ctx.tenant, sessionId, lead.id);
      // A lead created by this event has no conversation unless this event is one.
      else if (ctx.existing === null) return;
      score(ctx, await chats.sessionsOfLead(ctx.db, ctx.tenant, lead.id));
    },
    // A set's merged leads were read one statement each (a tenth of the pipeline's statements in
    // bench:drain). They are read together, in runs between conversation events, which still go
    // one by one: a link must be seen by the reads after it, as when each event ran alone.
    async runBatch(batch) {
      let pending: StageContext[] = [];
      const flush = async () => {
        const groups = contextsByWorkspace(pending);
        pending = [];
        for (const group of groups) await scoreMerged(group);
      };
      for (const ctx of batch) {
        if (!ctx.lead || !ctx.scoring) continue;
        if (sessionIdOf(ctx) !== undefined) {
          await flush();
          await stage.run(ctx);
        } else if (ctx.existing !== null) pending.push(ctx);
      }
      await flush();
    },
  };
  return stage;
}
