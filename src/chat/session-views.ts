import { createHash } from 'node:crypto';
import type { Workspace } from '../tenants/index.ts';
import type { ChatMessage, SessionStatus } from './chat-service-types.ts';
import type { Reply } from './reply-phraser.ts';
import type { PrivacyNotice, SessionState } from './session-state.ts';
// What a stored session shows (its status, its messages, the notice it links) and what it submits as a lead.

export const statusOf = (state: SessionState): SessionStatus =>
  state.phase === 'ended' ? 'ended' : state.takenOver ? 'taken_over' : 'active';

/** Transcript entries from `from` on, as messages; bot entries take the extras of this turn's replies in order. */
export function messagesSince(state: SessionState, from: number, replies: Reply[] = []): ChatMessage[] {
  const messages: ChatMessage[] = [];
  let reply = 0;
  state.transcript.forEach((entry, index) => {
    if (index < from || entry.role === 'system') return;
    const message: ChatMessage = { id: `m${index}`, role: entry.role, text: entry.text, at: entry.at };
    if (entry.role === 'agent') message.author = entry.agentName ?? 'Team member';
    if (entry.role === 'bot') {
      const extras = replies[reply++];
      if (extras?.quickReplies?.length) message.quickReplies = extras.quickReplies;
      if (extras?.link) message.link = { url: extras.link, label: 'Book a meeting' };
      if (extras?.kind === 'consent' && state.context.notice)
        message.notice = { version: state.context.notice.version, url: state.context.notice.url };
    }
    messages.push(message);
  });
  return messages;
}

/**
 * The workspace's privacy notice as the consent step links it. The hash is the sha256 of the notice
 * text when the workspace stored it, else of its version and URL (what the visitor was pointed to).
 */
export function noticeOf(settings: Workspace['settings']): PrivacyNotice | undefined {
  const notice = settings.privacy?.notice;
  if (!notice) return undefined;
  const hash = createHash('sha256')
    .update(notice.text ?? `${notice.version}\n${notice.url}`)
    .digest('hex');
  return { version: notice.version, url: notice.url, hash };
}

/** What an ended conversation contributes to the lead pipeline (no transcript: that stays with the session). */
export function leadFromSession(
  state: SessionState,
  row: { id: string; playbook_id: string },
): Record<string, unknown> | null {
  const { email, phone } = state.contact;
  if (!email && !phone) return null;
  const attributes: Record<string, string | number | boolean> = {
    chat_session: row.id,
    chat_playbook: row.playbook_id,
    chat_outcome: state.outcome ?? 'open',
  };
  for (const [slot, filled] of Object.entries(state.slots)) {
    const value = filled.value as unknown;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[`chat_${slot}`] = typeof value === 'string' ? value.slice(0, 2000) : value;
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (typeof inner === 'string' || typeof inner === 'number' || typeof inner === 'boolean')
          attributes[`chat_${slot}_${key}`] = inner;
      }
    }
  }
  const utm = Object.fromEntries(
    Object.entries(state.context.utm ?? {}).filter(([, v]) => typeof v === 'string' && v.trim() !== ''),
  );
  return {
    ...(email ? { email } : {}),
    ...(phone ? { phone } : {}),
    ...(state.contact.name ? { name: state.contact.name } : {}),
    ...(state.contact.company ? { company: state.contact.company } : {}),
    source: 'chat',
    ...(Object.keys(utm).length ? { utm } : {}),
    ...(state.consent && state.consentDecision === 'given'
      ? {
          consent: {
            purposes: state.consent.purposes,
            textVersion: state.consent.textVersion,
            timestamp: state.consent.timestamp,
            method: 'chat',
            ...(state.consent.noticeVersion
              ? { noticeVersion: state.consent.noticeVersion, noticeHash: state.consent.noticeHash }
              : {}),
          },
        }
      : {}),
    attributes,
  };
}
