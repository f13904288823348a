import { daysBetween, parseIsoDate, ymdOf } from './dates.ts';
import { describeSlot, describeValue, joinList } from './describe.ts';
import { defaultReask, localized, type PhraseKey, phrase } from './phrases.ts';
import type { Outcome, Playbook, Question } from './playbook-schema.ts';
import type { Reply, ReplyKind } from './reply-phraser.ts';
import type { SafetyCategory } from './safety.ts';
import { decideOutcome, type ScoreBreakdown, scoreSlots } from './scoring.ts';
import type { AgentRef, ConsentRecord, EndReason, SessionState } from './session-state.ts';
import { slotValues } from './session-state.ts';
import type { Extraction, ExtractionField } from './slot-extractor.ts';
import {
  isCompanySize,
  isMoney,
  isTimeline,
  type SlotValue,
  sameSlotValue,
  slotValueSchema,
} from './slot-values.ts';
import { contentWords } from './text.ts';

/** Something the engine did that the caller may act on (store, notify, enter the lead pipeline). */
export type EngineEvent =
  | { type: 'slot_filled'; slot: string; value: SlotValue }
  | { type: 'slot_corrected'; slot: string; from: SlotValue; to: SlotValue }
  | { type: 'slot_declined'; slot: string }
  | { type: 'contact_captured'; email?: string; phone?: string }
  | { type: 'reopened' }
  | { type: 'consent_recorded'; record: ConsentRecord }
  | { type: 'consent_refused' }
  | { type: 'handoff_requested' }
  | { type: 'handoff_timed_out' }
  | { type: 'safety_refused'; category: SafetyCategory }
  | { type: 'taken_over'; agent: AgentRef }
  | { type: 'released' }
  | { type: 'ended'; outcome: Outcome; reason: EndReason; score: ScoreBreakdown };

/** One turn under construction: the state (a private copy), drafted replies and events. */
export interface Turn {
  state: SessionState;
  replies: Reply[];
  events: EngineEvent[];
  now: number;
  /** The visitor's question was answered from the workspace's content (or declined) this turn. */
  answered?: boolean;
}

function seedOf(turn: Turn, key: string): string {
  return `${turn.state.sessionId}:${turn.state.turn}:${key}`;
}

export function say(turn: Turn, kind: ReplyKind, key: PhraseKey, values: Record<string, string> = {}): void {
  turn.replies.push({ kind, text: phrase(turn.state.language, key, seedOf(turn, key), values) });
}

function sayText(turn: Turn, reply: Reply): void {
  turn.replies.push(reply);
}

export function questionOf(state: SessionState, slot: string | null): Question | undefined {
  return slot === null ? undefined : state.playbook.questions.find((q) => q.slot === slot);
}

/** Why a value cannot fill the slot, or undefined when it can. */
function invalidReason(question: Question, value: SlotValue, now: number): string | undefined {
  if (!slotValueSchema(question.type).safeParse(value).success) return 'malformed';
  switch (question.type) {
    case 'money': {
      if (!isMoney(value)) return 'malformed';
      const { min, max } = question.validation;
      if (question.allowedCurrencies !== undefined && !question.allowedCurrencies.includes(value.currency))
        return 'currency';
      if (min !== undefined && value.max < min) return 'too_low';
      if (max !== undefined && value.min > max) return 'too_high';
      return undefined;
    }
    case 'timeline': {
      const date = isTimeline(value) ? parseIsoDate(value.byDate) : undefined;
      if (date === undefined) return 'malformed';
      const days = daysBetween(ymdOf(now), date);
      if (days < 0) return 'past';
      if (question.validation.maxDaysAhead !== undefined && days > question.validation.maxDaysAhead)
        return 'too_far';
      return undefined;
    }
    case 'company_size': {
      if (!isCompanySize(value)) return 'malformed';
      const { min, max } = question.validation;
      if (min !== undefined && value.max < min) return 'too_low';
      if (max !== undefined && value.min > max) return 'too_high';
      return undefined;
    }
    case 'enum':
      return question.options.some((o) => o.value === value) ? undefined : 'not_an_option';
    case 'text':
      if (contentWords(String(value)).length < question.validation.minWords) return 'too_short';
      return undefined;
    default:
      return undefined;
  }
}

/** What applying one message's extraction changed. */
export interface Applied {
  filled: string[];
  corrected: string[];
  invalid: string[];
  contact: boolean;
}

/**
 * Writes extracted values into the state. A new value replaces an earlier one only when it is
 * the answer to the question just asked, the message says it corrects something, or the value
 * is explicitly tied to the slot ("our budget is...").
 */
export function applyExtraction(turn: Turn, extraction: Extraction, source: string): Applied {
  const { state } = turn;
  const applied: Applied = { filled: [], corrected: [], invalid: [], contact: false };
  for (const [slot, raw] of Object.entries(extraction.slots)) {
    const question = questionOf(state, slot);
    if (question === undefined) continue;
    const value = question.type === 'text' ? String(raw).slice(0, question.validation.maxLength) : raw;
    if (invalidReason(question, value, turn.now) !== undefined) {
      if (state.pending === slot) applied.invalid.push(slot);
      continue;
    }
    const existing = state.slots[slot];
    if (existing !== undefined) {
      if (sameSlotValue(existing.value, value)) continue;
      const allowed = state.pending === slot || extraction.correction || extraction.anchored.includes(slot);
      if (!allowed) continue;
      state.slots[slot] = { value, turn: state.turn, source, previous: existing.value };
      applied.corrected.push(slot);
      turn.events.push({ type: 'slot_corrected', slot, from: existing.value, to: value });
    } else {
      state.slots[slot] = { value, turn: state.turn, source };
      applied.filled.push(slot);
      turn.events.push({ type: 'slot_filled', slot, value });
    }
    state.declined = state.declined.filter((s) => s !== slot);
  }
  const { email, phone, name, company } = extraction.contact;
  // A name or company said later replaces the earlier one only as a correction.
  if (name !== undefined && (state.contact.name === undefined || extraction.correction))
    state.contact.name = name;
  if (company !== undefined && (state.contact.company === undefined || extraction.correction))
    state.contact.company = company;
  const newEmail = email !== undefined && email !== state.contact.email;
  const newPhone = phone !== undefined && phone !== state.contact.phone;
  if (newEmail) state.contact.email = email;
  if (newPhone) state.contact.phone = phone;
  if (newEmail || newPhone) {
    applied.contact = true;
    state.contactDeclined = false;
    turn.events.push({
      type: 'contact_captured',
      ...(newEmail ? { email } : {}),
      ...(newPhone ? { phone } : {}),
    });
  }
  return applied;
}

/** "Got it: your budget: $50,000 and your timeline: by March 31, 2027." */
export function acknowledge(turn: Turn, applied: Applied): void {
  const { state } = turn;
  const items = (slots: string[]) =>
    slots.flatMap((slot) => {
      const question = questionOf(state, slot);
      const value = state.slots[slot]?.value;
      if (question === undefined || value === undefined) return [];
      const seed = seedOf(turn, slot);
      return [
        `${describeSlot(question, state.language, seed)}: ${describeValue(question, value, state.language, seed)}`,
      ];
    });
  const corrected = items(applied.corrected);
  if (corrected.length > 0) say(turn, 'ack', 'updated', { items: joinList(corrected, state.language) });
  // A plain answer to the question just asked needs no echo; volunteered answers do.
  const volunteered =
    applied.filled.length > 1 || (applied.filled.length === 1 && applied.filled[0] !== state.pending);
  if (volunteered) say(turn, 'ack', 'ack', { items: joinList(items(applied.filled), state.language) });
}

function nextQuestion(state: SessionState): Question | undefined {
  return state.playbook.questions.find(
    (q) => state.slots[q.slot] === undefined && !state.declined.includes(q.slot),
  );
}

function quickReplies(turn: Turn, question: Question): string[] | undefined {
  if (question.type !== 'enum') return undefined;
  return question.options.map((o) => localized(o.label, turn.state.language, seedOf(turn, o.value)));
}

/** Asks a question: its prompt the first time, its re-ask message after a failed attempt. */
export function ask(turn: Turn, question: Question, again: boolean): void {
  const { state } = turn;
  state.pending = question.slot;
  const seed = `${state.sessionId}:${question.slot}:${again ? (state.attempts[question.slot] ?? 0) : 0}`;
  const text = again
    ? question.reask === undefined
      ? defaultReask(state.language, question.type)
      : localized(question.reask, state.language, seed)
    : localized(question.prompt, state.language, seed);
  const options = quickReplies(turn, question);
  sayText(turn, { kind: again ? 'reask' : 'question', text, ...(options ? { quickReplies: options } : {}) });
}

function consentText(turn: Turn): string {
  const { state } = turn;
  const address = state.contact.email ?? state.contact.phone ?? '';
  return localized(state.playbook.consent.text, state.language, `${state.sessionId}:consent`, {
    email: address,
  });
}

export function askConsent(turn: Turn, again: boolean): void {
  turn.state.pending = 'consent';
  if (again) say(turn, 'reask', 'consent_reask');
  else {
    const yes = phrase(turn.state.language, 'yes', 'yes');
    const no = phrase(turn.state.language, 'no', 'no');
    sayText(turn, { kind: 'consent', text: consentText(turn), quickReplies: [yes, no] });
  }
}

export function askContact(turn: Turn, again: boolean): void {
  turn.state.pending = 'contact';
  if (again) say(turn, 'reask', 'invalid_email');
  else {
    const orPhone = turn.state.playbook.contact.ask === 'email_or_phone';
    if (turn.state.contactOffer) {
      say(turn, 'question', orPhone ? 'offer_contact_or_phone' : 'offer_contact');
      return;
    }
    // The name is asked with the address, so a missing name costs no extra turn.
    const named = turn.state.contact.name !== undefined;
    const key = orPhone ? 'ask_email_or_phone' : 'ask_email';
    say(turn, 'question', named ? key : `${key}_and_name`);
  }
}

export function recordConsent(turn: Turn, answer: string): void {
  const { state } = turn;
  const record: ConsentRecord = {
    sessionId: state.sessionId,
    textVersion: state.playbook.consent.textVersion,
    purposes: [...state.playbook.consent.purposes],
    text: consentText(turn),
    language: state.language,
    timestamp: new Date(turn.now).toISOString(),
    method: 'chat',
    answer,
    ...(state.contact.email !== undefined ? { email: state.contact.email } : {}),
    ...(state.contact.phone !== undefined ? { phone: state.contact.phone } : {}),
    ...(state.context.gpc !== undefined ? { gpc: state.context.gpc } : {}),
    ...(state.context.notice
      ? { noticeVersion: state.context.notice.version, noticeHash: state.context.notice.hash }
      : {}),
  };
  state.consent = record;
  state.consentDecision = 'given';
  turn.events.push({ type: 'consent_recorded', record });
}

/** The visitor gave the contact detail the playbook asks for. */
export function hasContact(state: SessionState): boolean {
  const { contact, playbook } = state;
  return (
    contact.email !== undefined || (playbook.contact.ask === 'email_or_phone' && contact.phone !== undefined)
  );
}

/** Moves to the next open question, then contact details, then consent, then the end. */
export function advance(turn: Turn): void {
  const { state } = turn;
  if (state.phase === 'questions') {
    const question = nextQuestion(state);
    if (question !== undefined) {
      ask(turn, question, false);
      return;
    }
    const score = scoreSlots(state.playbook, slotValues(state), turn.now);
    // Contact details are assumed given here: a rule that needs them must not end the chat early.
    const outcome = decideOutcome(state.playbook, {
      slots: slotValues(state),
      contact: { email: 'assumed', phone: 'assumed' },
      points: score.total,
      now: turn.now,
    });
    if (state.playbook.contact.ask === 'none') {
      finish(turn, 'completed');
      return;
    }
    // A visitor the answers disqualify may still want to hear from us later: offered, never pressed.
    const offer = outcome === 'disqualified';
    // A "no" to the offer made to a disqualified visitor is no "no" to a qualified lead's contact question.
    if (state.contactOffer && !offer) state.contactDeclined = false;
    state.contactOffer = offer;
    state.phase = 'contact';
  }
  if (state.phase === 'contact') {
    if (!hasContact(turn.state)) {
      if (state.contactDeclined) {
        finish(turn, 'completed');
        return;
      }
      askContact(turn, false);
      return;
    }
    state.phase = 'consent';
  }
  if (state.phase === 'consent' && state.consentDecision === null) {
    askConsent(turn, false);
    return;
  }
  finish(turn, 'completed');
}

/** Ends the conversation: freezes the score, applies the rules, says the outcome. */
export function finish(turn: Turn, reason: EndReason): void {
  const { state } = turn;
  const values = slotValues(state);
  const score = scoreSlots(state.playbook, values, turn.now);
  const outcome = decideOutcome(state.playbook, {
    slots: values,
    contact: state.contact,
    points: score.total,
    now: turn.now,
  });
  state.phase = 'ended';
  state.pending = null;
  state.outcome = outcome;
  state.endReason = reason;
  state.score = score;
  state.endedAt = new Date(turn.now).toISOString();
  if (reason === 'turn_limit') say(turn, 'closing', 'turn_limit');
  else if (reason === 'safety') say(turn, 'closing', 'safety_end');
  else if (reason === 'visitor_left') say(turn, 'closing', 'goodbye');
  else if (reason !== 'closed') {
    if (outcome === 'qualified') say(turn, 'outcome', 'qualified');
    else if (outcome === 'nurture')
      say(turn, 'outcome', state.consentDecision === 'given' ? 'nurture' : 'nurture_no_contact');
    else say(turn, 'outcome', state.consentDecision === 'given' ? 'disqualified_followup' : 'disqualified');
  }
  if (outcome === 'qualified' && reason !== 'safety' && reason !== 'closed') {
    const url = state.playbook.meetingUrl;
    if (url !== undefined) {
      turn.replies.push({
        kind: 'outcome',
        text: phrase(state.language, 'meeting', seedOf(turn, 'meeting'), { url }),
        link: url,
      });
    }
    if (state.playbook.offerHuman) say(turn, 'outcome', 'human_option');
  }
  turn.events.push({ type: 'ended', outcome, reason, score });
}

/**
 * A copy of the state that a turn may change. Copy-on-write: the containers a turn writes to are
 * copied; what it only replaces (filled slots, transcript entries, consent) or never touches (the
 * playbook snapshot, the context) is shared, which keeps a turn cheap as transcripts grow.
 */
export function copyState(state: SessionState): SessionState {
  return {
    ...state,
    attempts: { ...state.attempts },
    declined: [...state.declined],
    slots: { ...state.slots },
    contact: { ...state.contact },
    transcript: [...state.transcript],
  };
}

// A function, so TypeScript does not keep a narrowing of `phase` across the calls that change it.
export function isOpen(state: SessionState): boolean {
  return state.phase !== 'ended';
}

export function fieldsOf(playbook: Playbook): ExtractionField[] {
  return playbook.questions.map((q) => {
    const field: ExtractionField = { slot: q.slot, type: q.type, keywords: q.keywords };
    if (q.type === 'role') field.subject = q.subject;
    if (q.type === 'text') {
      field.cue = q.cue;
      field.minWords = q.validation.minWords;
    }
    if (q.type === 'money') field.defaultCurrency = q.defaultCurrency;
    if (q.type === 'enum') {
      field.options = q.options.map((o) => ({
        value: o.value,
        words: [o.value, ...o.synonyms, ...labelsOf(o.label)],
      }));
    }
    return field;
  });
}

function labelsOf(label: Playbook['questions'][number]['prompt']): string[] {
  if (typeof label === 'string') return [label];
  if (Array.isArray(label)) return label;
  return Object.values(label).flatMap((v) => (typeof v === 'string' ? [v] : (v ?? [])));
}

/** The visitor asked for a person: operators see the chat as waiting from now until someone takes over. */
export function requestHandoff(turn: Turn): void {
  turn.state.handoffRequested = true;
  turn.state.handoffRequestedAt = new Date(turn.now).toISOString();
  turn.state.handoffTimedOut = false;
  turn.events.push({ type: 'handoff_requested' });
}
