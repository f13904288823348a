import type { PipelineStage } from '../leads/index.ts';
import type { ChatStore } from './chat-store.ts';

/**
 * Pipeline stage: ties a finished conversation to its lead (so erasure finds the transcript) and
 * adds the points its answers earned, per the playbook, to the lead's score. A conversation the
 * playbook qualified qualifies the lead.
 */
export function createChatScoringStage(chats: ChatStore): PipelineStage {
  return {
    name: 'chat',
    async run(ctx) {
      const lead = ctx.lead;
      const scoring = ctx.scoring;
      if (!lead || !scoring) return;
      const sessionId = ctx.event.source === 'chat' ? ctx.input?.attributes.chat_session : undefined;
      if (typeof sessionId === 'string') await chats.linkLead(ctx.db, ctx.tenant, sessionId, lead.id);
      // A lead created by this event has no conversation unless this event is one.
      else if (ctx.existing === null) return;
      const sessions = await chats.sessionsOfLead(ctx.db, ctx.tenant, lead.id);
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
    },
  };
}
