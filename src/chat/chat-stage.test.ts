import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StageContext } from '../leads/index.ts';
import { createChatScoringStage } from './chat-stage.ts';
import type { ChatStore, StoredSession } from './chat-store.ts';

/** Sessions in memory, as the store would return them (by creation), counting reads. */
function fakeChats() {
  const sessions: {
    id: string;
    workspaceId: string;
    leadId: string | null;
    ended: boolean;
    qualified: boolean;
    points: number;
  }[] = [];
  const reads = { single: 0, many: 0 };
  const stored = (s: (typeof sessions)[number]) =>
    ({
      row: { id: s.id },
      state: {
        phase: s.ended ? 'ended' : 'asking',
        outcome: s.qualified ? 'qualified' : null,
        playbook: { id: 'bant' },
        score: { lines: [{ slot: 'budget', reason: `${s.id} budget`, points: s.points }] },
      },
    }) as unknown as StoredSession;
  const store = {
    async linkLead(_unit, ctx, sessionId, leadId) {
      const s = sessions.find((x) => x.id === sessionId && x.workspaceId === ctx.workspaceId);
      if (s) s.leadId = leadId;
    },
    async sessionsOfLead(_unit, ctx, leadId) {
      reads.single++;
      return sessions.filter((s) => s.workspaceId === ctx.workspaceId && s.leadId === leadId).map(stored);
    },
    async sessionsOfLeads(_unit, ctx, leadIds) {
      reads.many++;
      const byLead = new Map<string, StoredSession[]>();
      for (const s of sessions)
        if (s.workspaceId === ctx.workspaceId && s.leadId !== null && leadIds.includes(s.leadId))
          byLead.set(s.leadId, [...(byLead.get(s.leadId) ?? []), stored(s)]);
      return byLead;
    },
  } as Pick<ChatStore, 'linkLead' | 'sessionsOfLead' | 'sessionsOfLeads'> as ChatStore;
  return { sessions, reads, store };
}

function context(
  workspaceId: string,
  leadId: string,
  options: { existing?: boolean; chatSession?: string } = {},
): StageContext {
  const lead = { id: leadId } as NonNullable<StageContext['lead']>;
  return {
    db: {} as StageContext['db'],
    tenant: { workspaceId, organisationId: 'org_1' },
    event: { id: `evt_${leadId}`, source: options.chatSession ? 'chat' : 'webhook' } as StageContext['event'],
    now: 0,
    input: {
      attributes: options.chatSession ? { chat_session: options.chatSession } : {},
    } as StageContext['input'],
    existing: options.existing ? lead : null,
    claim: null,
    lead,
    changes: {},
    scoring: { lines: [], qualifiedBy: null } as unknown as StageContext['scoring'],
    score: null,
    emit: () => {},
    audit: () => {},
  };
}

/** The same events, each as its own context (so one run cannot see another's scoring). */
function scenario() {
  const chats = fakeChats();
  chats.sessions.push(
    { id: 'chat_a1', workspaceId: 'ws_1', leadId: 'lead_a', ended: true, qualified: false, points: 10 },
    { id: 'chat_a2', workspaceId: 'ws_1', leadId: 'lead_a', ended: true, qualified: true, points: 20 },
    { id: 'chat_a3', workspaceId: 'ws_1', leadId: 'lead_a', ended: false, qualified: false, points: 99 },
    { id: 'chat_b1', workspaceId: 'ws_2', leadId: 'lead_b', ended: true, qualified: false, points: 5 },
    // Not linked yet: the conversation event in the batch links it to lead_c.
    { id: 'chat_c1', workspaceId: 'ws_1', leadId: null, ended: true, qualified: true, points: 7 },
    // Another workspace's conversation of a lead with the same id is never read.
    { id: 'chat_x1', workspaceId: 'ws_2', leadId: 'lead_a', ended: true, qualified: true, points: 50 },
  );
  const batch = [
    context('ws_1', 'lead_a', { existing: true }),
    context('ws_2', 'lead_b', { existing: true }),
    context('ws_1', 'lead_new'),
    context('ws_1', 'lead_none', { existing: true }),
    context('ws_1', 'lead_c', { chatSession: 'chat_c1' }),
    context('ws_1', 'lead_c', { existing: true }),
  ];
  return { chats, batch };
}

const outcome = (batch: StageContext[]) => batch.map((ctx) => ctx.scoring);

describe('chat scoring stage', () => {
  it('scores a set as running each event alone would, in one read per workspace between conversation events', async () => {
    const alone = scenario();
    const aloneStage = createChatScoringStage(alone.chats.store);
    for (const ctx of alone.batch) await aloneStage.run(ctx);

    const together = scenario();
    await createChatScoringStage(together.chats.store).runBatch?.(together.batch);

    assert.deepEqual(outcome(together.batch), outcome(alone.batch));
    // The latest ended conversation counts, and its qualification.
    assert.deepEqual(together.batch[0]?.scoring, {
      lines: [{ ruleId: 'chat-budget', description: 'Chat (bant): chat_a2 budget', points: 20 }],
      qualifiedBy: 'qualified by the bant playbook in conversation chat_a2',
    });
    assert.deepEqual(
      together.batch[1]?.scoring?.lines.map((l) => l.points),
      [5],
    );
    assert.deepEqual(together.batch[2]?.scoring?.lines, []);
    // The later event of lead_c sees the link the conversation event made before it.
    assert.deepEqual(
      together.batch[5]?.scoring?.lines.map((l) => l.points),
      [7],
    );
    assert.equal(alone.chats.reads.single, 5);
    // ws_1 and ws_2 before the conversation event, then that event alone, then ws_1 after it.
    assert.deepEqual(together.chats.reads, { single: 1, many: 3 });
  });
});
