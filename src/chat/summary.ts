import type { Language, Outcome } from './playbook-schema.ts';
import { type ScoreBreakdown, scoreSlots } from './scoring.ts';
import {
  type ConsentRecord,
  type EndReason,
  type Phase,
  type SessionContext,
  type SessionState,
  slotValues,
  type TranscriptEntry,
} from './session-state.ts';
import type { SlotValues } from './slot-values.ts';

/** What a conversation produced, for the lead pipeline and `GET /v1/chat/sessions/{id}`. */
export interface SessionSummary {
  sessionId: string;
  playbook: { id: string; version: number };
  language: Language;
  phase: Phase;
  /** Null while the conversation is open. */
  outcome: Outcome | null;
  endReason: EndReason | null;
  slots: SlotValues;
  /** Frozen at the end; computed at `now` while open. */
  score: ScoreBreakdown;
  contact: { email?: string; phone?: string };
  consent: ConsentRecord | null;
  handoffRequested: boolean;
  takenOverBy: string | null;
  context: SessionContext;
  transcript: TranscriptEntry[];
  startedAt: string;
  endedAt: string | null;
}

/** The summary of a session (a copy; the state is not changed). */
export function summarizeSession(state: SessionState, now: number): SessionSummary {
  const slots = slotValues(state);
  return structuredClone({
    sessionId: state.sessionId,
    playbook: { id: state.playbook.id, version: state.playbook.version },
    language: state.language,
    phase: state.phase,
    outcome: state.outcome,
    endReason: state.endReason,
    slots,
    score: state.score ?? scoreSlots(state.playbook, slots, now),
    contact: state.contact,
    consent: state.consent,
    handoffRequested: state.handoffRequested,
    takenOverBy: state.takenOver?.agent.id ?? null,
    context: state.context,
    transcript: state.transcript,
    startedAt: state.startedAt,
    endedAt: state.endedAt,
  });
}

/** What replaces erased personal data. */
export const ERASED = '[erased]';

/**
 * A copy of the state with the visitor's personal data erased (data-subject erasure): every
 * visitor and agent message, free-text answers, contact details and the consent record's
 * address and answer. Structured answers (budget band, role level, timeline) and the outcome
 * stay, so aggregate reporting keeps working; the consent record keeps version, purposes and
 * time as proof of what was agreed.
 */
export function eraseSessionPersonalData(state: SessionState): SessionState {
  const erased = structuredClone(state);
  for (const entry of erased.transcript) {
    if (entry.role === 'visitor' || entry.role === 'agent') entry.text = ERASED;
  }
  // Bot replies can quote the visitor (confirmations, the consent question with the address).
  const quoted = [
    state.contact.email,
    state.contact.phone,
    state.consent?.email,
    state.consent?.phone,
  ].filter((value): value is string => value !== undefined);
  for (const entry of erased.transcript) {
    if (entry.role !== 'bot') continue;
    for (const value of quoted) entry.text = entry.text.split(value).join(ERASED);
  }
  for (const question of erased.playbook.questions) {
    const filled = erased.slots[question.slot];
    if (filled === undefined) continue;
    if (question.type === 'text' || question.type === 'email' || question.type === 'phone') {
      filled.value = ERASED;
      delete filled.previous;
      for (const entry of erased.transcript) {
        if (entry.role === 'bot' && typeof state.slots[question.slot]?.value === 'string') {
          entry.text = entry.text.split(String(state.slots[question.slot]?.value)).join(ERASED);
        }
      }
    }
  }
  erased.contact = {};
  if (erased.consent !== null) {
    erased.consent.answer = ERASED;
    erased.consent.text = quoted.reduce((text, value) => text.split(value).join(ERASED), erased.consent.text);
    delete erased.consent.email;
    delete erased.consent.phone;
  }
  erased.context = { sessionId: erased.context.sessionId };
  return erased;
}
