import { LeadloopError } from '../core/index.ts';
import type {
  DialogEngine,
  DialogEngineOptions,
  HandleOptions,
  KnowledgeSource,
  TurnResult,
} from './dialog-engine-types.ts';
import {
  type Applied,
  acknowledge,
  advance,
  applyExtraction,
  ask,
  askConsent,
  askContact,
  copyState,
  fieldsOf,
  finish,
  hasContact,
  isOpen,
  questionOf,
  recordConsent,
  requestHandoff,
  say,
  type Turn,
} from './dialog-steps.ts';
import { detectIntents, type Intent } from './intents.ts';
import { isQuestion } from './knowledge.ts';
import { detectLanguage, languageOfLocale } from './language.ts';
import { createOfflineExtractor } from './offline-extractor.ts';
import { phrase } from './phrases.ts';
import type { Playbook } from './playbook-schema.ts';
import { type Reply, templatePhraser } from './reply-phraser.ts';
import { assessMessage, checkMessage, MAX_MESSAGE_CHARS } from './safety.ts';
import { type SessionState, slotValues } from './session-state.ts';
import type { ExtractionContext, ExtractionField } from './slot-extractor.ts';

/**
 * Creates the dialog engine.
 *
 * @example
 * const engine = createDialogEngine({ clock: systemClock });
 * const { state, replies } = await engine.start(BUILT_IN_PLAYBOOKS.bant, { sessionId: 'ses_1' });
 */
export function createDialogEngine(options: DialogEngineOptions): DialogEngine {
  const { clock } = options;
  const extractor = options.extractor ?? createOfflineExtractor();
  const phraser = options.phraser ?? templatePhraser;
  const maxChars = options.maxMessageChars ?? MAX_MESSAGE_CHARS;
  const maxTurns = options.maxTurns ?? 60;
  const maxStrikes = options.maxStrikes ?? 3;
  const maxStalled = options.maxStalledTurns ?? 6;
  const fieldCache = new WeakMap<Playbook, ExtractionField[]>();

  const begin = (state: SessionState): Turn => ({
    state: copyState(state),
    replies: [],
    events: [],
    now: clock.now(),
  });

  const complete = async (turn: Turn, handleOptions: HandleOptions = {}): Promise<TurnResult> => {
    const { state } = turn;
    const at = new Date(turn.now).toISOString();
    const allowed = {
      urls: state.playbook.meetingUrl === undefined ? [] : [state.playbook.meetingUrl],
      emails: state.contact.email === undefined ? [] : [state.contact.email],
    };
    const visitorText =
      phraser === templatePhraser
        ? undefined
        : state.transcript.findLast((entry) => entry.role === 'visitor')?.text;
    const replies: Reply[] = [];
    for (const draft of turn.replies) {
      // The message's id is its transcript position: streamed deltas name the message they build.
      const messageId = `m${state.transcript.length}`;
      const { onDelta, signal } = handleOptions;
      const phrased =
        phraser === templatePhraser
          ? { text: draft.text }
          : await phraser.phrase(
              draft,
              {
                language: state.language,
                sessionId: state.sessionId,
                turn: state.turn,
                allowed,
                ...(visitorText === undefined ? {} : { visitorText }),
              },
              {
                ...(signal ? { signal } : {}),
                ...(onDelta ? { onDelta: (text) => onDelta({ messageId, text }) } : {}),
              },
            );
      replies.push({ ...draft, text: phrased.text });
      state.transcript.push({
        role: 'bot',
        text: phrased.text,
        at,
        ...(phrased.origin ? { via: phrased.origin } : {}),
      });
    }
    state.updatedAt = at;
    return { state, replies, events: turn.events };
  };

  const extractionContext = (state: SessionState, now: number): ExtractionContext => {
    let fields = fieldCache.get(state.playbook);
    if (fields === undefined) {
      fields = fieldsOf(state.playbook);
      fieldCache.set(state.playbook, fields);
    }
    return {
      fields,
      expecting: state.phase === 'questions' ? state.pending : null,
      contactPending: state.phase === 'contact',
      now,
      language: state.language,
      ...(state.context.locale !== undefined ? { locale: state.context.locale } : {}),
      filled: slotValues(state),
    };
  };

  /**
   * "Sorry, I meant 20k" after the end: the slot takes the new value and the conversation re-opens
   * where the playbook now stands (a budget corrected upwards may turn a disqualification into a
   * qualified lead, which then asks for contact details). Not after a safety close or a turn limit.
   */
  const reopenOnCorrection = async (turn: Turn, message: string, signal?: AbortSignal): Promise<boolean> => {
    const { state } = turn;
    if (state.endReason === 'safety' || state.endReason === 'turn_limit' || state.endReason === 'closed')
      return false;
    const extraction = await extractor.extract(message, extractionContext(state, turn.now), signal);
    if (Object.keys(extraction.slots).length === 0) return false;
    const applied = applyExtraction(turn, { ...extraction, correction: true }, extractor.name);
    if (applied.filled.length + applied.corrected.length === 0) return false;
    acknowledge(turn, applied);
    turn.events.push({ type: 'reopened' });
    state.phase = 'questions';
    state.pending = null;
    state.outcome = null;
    state.endReason = null;
    state.score = null;
    state.endedAt = null;
    advance(turn);
    return true;
  };

  /**
   * Hands the passages retrieved for a question to the phraser with the offline reply: a model
   * phraser writes the answer from them (or declines), the template phraser keeps the offline reply.
   */
  const ground = async (turn: Turn, knowledge: KnowledgeSource, question: string, declined: boolean) => {
    // Templates never write answers: no second search for them.
    if (phraser === templatePhraser) return;
    const passages = (await knowledge.search?.(question)) ?? [];
    const reply = turn.replies.at(-1);
    if (passages.length === 0 || reply === undefined) return;
    const decline = declined
      ? reply.text
      : phrase(turn.state.language, 'unknown_answer', `${turn.state.sessionId}:${turn.state.turn}`);
    reply.grounding = { question, passages, decline };
  };

  const repeatPending = (turn: Turn) => {
    const { pending } = turn.state;
    const question = questionOf(turn.state, pending);
    if (question !== undefined) ask(turn, question, false);
    else if (pending === 'contact') askContact(turn, false);
    else if (pending === 'consent') askConsent(turn, false);
  };

  const chitchat = (turn: Turn, intents: Intent[]) => {
    if (turn.answered === true) return;
    if (intents.includes('bot_question')) say(turn, 'chitchat', 'bot_answer');
    else if (intents.includes('greeting')) say(turn, 'chitchat', 'greeting_reply');
    else if (intents.includes('thanks')) say(turn, 'chitchat', 'thanks_reply');
    else if (intents.includes('question')) say(turn, 'chitchat', 'off_topic');
  };

  /** The answer to the pending question did not come: re-ask, or after too many tries move on. */
  const failed = (
    turn: Turn,
    key: string,
    retry: () => void,
    giveUp: () => void,
    limit = turn.state.playbook.maxAttempts,
  ) => {
    const { state } = turn;
    state.attempts[key] = (state.attempts[key] ?? 0) + 1;
    if ((state.attempts[key] ?? 0) >= limit) giveUp();
    else retry();
  };

  const onQuestion = (turn: Turn, applied: Applied, intents: Intent[]) => {
    const { state } = turn;
    const question = questionOf(state, state.pending);
    acknowledge(turn, applied);
    if (question === undefined || state.slots[question.slot] !== undefined) {
      advance(turn);
      return;
    }
    // An optional question is asked once: an unusable answer moves on at once.
    const attemptsFor = question.required ? state.playbook.maxAttempts : 1;
    const declineAndMoveOn = (key: 'skip_ack' | 'move_on') => {
      state.declined.push(question.slot);
      turn.events.push({ type: 'slot_declined', slot: question.slot });
      say(turn, 'ack', key);
      if (key === 'move_on' && state.playbook.offerHuman && state.declined.length === 1)
        say(turn, 'chitchat', 'offer_human');
      advance(turn);
    };
    if (applied.invalid.includes(question.slot)) {
      failed(
        turn,
        question.slot,
        () => ask(turn, question, true),
        () => declineAndMoveOn('move_on'),
      );
    } else if (intents.includes('skip') || (intents.includes('no') && !question.required)) {
      declineAndMoveOn('skip_ack');
    } else if (
      applied.filled.length > 0 ||
      applied.corrected.length > 0 ||
      applied.contact ||
      turn.answered
    ) {
      // After an answer to the visitor's own question the playbook goes on: that is no failed attempt.
      ask(turn, question, false);
    } else {
      chitchat(turn, intents);
      failed(
        turn,
        question.slot,
        () => ask(turn, question, true),
        () => declineAndMoveOn('move_on'),
        attemptsFor,
      );
    }
  };

  const onContact = (turn: Turn, applied: Applied, intents: Intent[], malformed: boolean) => {
    const { state } = turn;
    acknowledge(turn, applied);
    const giveUp = () => {
      state.contactDeclined = true;
      say(turn, 'ack', 'contact_declined');
      advance(turn);
    };
    if (hasContact(state)) advance(turn);
    else if (applied.filled.length + applied.corrected.length > 0) {
      // "Sorry, I meant 20k": the answers changed, so the outcome (and whether this is only an offer) may have.
      state.phase = 'questions';
      advance(turn);
    } else if (intents.includes('no') || intents.includes('skip')) giveUp();
    else if (malformed) failed(turn, 'contact', () => askContact(turn, true), giveUp);
    // After an answer to the visitor's own question the playbook goes on: that is no failed attempt.
    else if (turn.answered) askContact(turn, false);
    else {
      chitchat(turn, intents);
      failed(turn, 'contact', () => askContact(turn, false), giveUp);
    }
  };

  const onConsent = (turn: Turn, applied: Applied, intents: Intent[], text: string) => {
    const { state } = turn;
    acknowledge(turn, applied);
    const refuse = () => {
      state.consentDecision = 'refused';
      turn.events.push({ type: 'consent_refused' });
      say(turn, 'ack', 'consent_refused');
      advance(turn);
    };
    if (intents.includes('yes')) {
      recordConsent(turn, text);
      say(turn, 'ack', 'consent_recorded');
      advance(turn);
    } else if (intents.includes('no')) refuse();
    else if (turn.answered) askConsent(turn, false);
    else {
      chitchat(turn, intents);
      failed(turn, 'consent', () => askConsent(turn, true), refuse);
    }
  };

  return {
    async start(playbook, context, handleOptions = {}) {
      const now = clock.now();
      const at = new Date(now).toISOString();
      const state: SessionState = {
        version: 1,
        sessionId: context.sessionId,
        playbook,
        context: structuredClone(context),
        language: languageOfLocale(context.locale) ?? playbook.language,
        phase: 'questions',
        pending: null,
        attempts: {},
        declined: [],
        slots: {},
        contact: {},
        contactDeclined: false,
        contactOffer: false,
        consent: null,
        consentDecision: null,
        outcome: null,
        endReason: null,
        score: null,
        takenOver: null,
        handoffRequested: false,
        handoffTimedOut: false,
        handoffRequestedAt: null,
        strikes: 0,
        stall: 0,
        turn: 0,
        transcript: [],
        startedAt: at,
        updatedAt: at,
        endedAt: null,
      };
      const turn: Turn = { state, replies: [], events: [], now };
      const seed = `${state.sessionId}:0`;
      turn.replies.push({
        kind: 'disclosure',
        text: `${phrase(state.language, 'greeting', seed)} ${phrase(state.language, 'disclosure', seed)}`,
      });
      advance(turn);
      return complete(turn, handleOptions);
    },

    async handle(previous, text, handleOptions = {}) {
      const checked = checkMessage(text, maxChars);
      if (!checked.ok) throw checked.error;
      const message = checked.value;
      const turn = begin(previous);
      const { state } = turn;
      state.turn += 1;
      const entry: SessionState['transcript'][number] = {
        role: 'visitor',
        text: message,
        at: new Date(turn.now).toISOString(),
      };
      state.transcript.push(entry);
      if (state.takenOver !== null) return complete(turn);

      const verdict = assessMessage(message);
      if (!verdict.safe) {
        entry.flagged = verdict.category;
        state.strikes += 1;
        turn.events.push({ type: 'safety_refused', category: verdict.category });
        if (state.phase === 'ended') say(turn, 'refusal', 'refusal');
        else if (state.strikes >= maxStrikes) finish(turn, 'safety');
        else {
          say(turn, 'refusal', verdict.category === 'abuse' ? 'abuse' : 'refusal');
          repeatPending(turn);
        }
        return complete(turn, handleOptions);
      }

      const intents = detectIntents(message);
      const detected = detectLanguage(message);
      if (detected !== undefined) state.language = detected;

      if (state.phase === 'ended') {
        if (intents.includes('handoff') && state.handoffRequestedAt === null) {
          requestHandoff(turn);
          say(turn, 'handoff', 'handoff');
        } else if (!(await reopenOnCorrection(turn, message, handleOptions.signal)))
          say(turn, 'closing', 'ended');
        return complete(turn, handleOptions);
      }
      if (state.turn > maxTurns) {
        finish(turn, 'turn_limit');
        return complete(turn, handleOptions);
      }
      if (intents.includes('handoff')) {
        if (state.handoffRequestedAt === null) requestHandoff(turn);
        say(turn, 'handoff', 'handoff');
        repeatPending(turn);
        return complete(turn, handleOptions);
      }
      if (intents.includes('bye')) {
        finish(turn, 'visitor_left');
        return complete(turn, handleOptions);
      }

      const knowledge = handleOptions.knowledge ?? options.knowledge;
      if (knowledge !== undefined && isQuestion(message) && !intents.includes('bot_question')) {
        const found = await knowledge.answer(message);
        if (found === null) say(turn, 'chitchat', 'unknown_answer');
        else if (found !== undefined)
          turn.replies.push({ kind: 'answer', text: found.text, source: { ...found.source } });
        if (found !== undefined) await ground(turn, knowledge, message, found === null);
        turn.answered = found !== undefined;
      }
      const extraction = await extractor.extract(
        message,
        extractionContext(state, turn.now),
        handleOptions.signal,
      );
      const applied = applyExtraction(turn, extraction, extractor.name);
      const attemptsBefore = JSON.stringify(state.attempts);
      const phaseBefore = state.phase;
      const declinedBefore = state.declined.length;
      if (state.phase === 'questions') onQuestion(turn, applied, intents);
      else if (state.phase === 'contact') onContact(turn, applied, intents, extraction.malformedEmail);
      else onConsent(turn, applied, intents, message);

      const progressed =
        applied.filled.length + applied.corrected.length > 0 ||
        applied.contact ||
        state.phase !== phaseBefore ||
        (state.declined.length > declinedBefore && JSON.stringify(state.attempts) === attemptsBefore);
      state.stall = progressed ? 0 : state.stall + 1;
      if (isOpen(state) && state.stall >= maxStalled) {
        turn.replies = [];
        finish(turn, 'stalled');
      }
      return complete(turn, handleOptions);
    },

    takeOver(previous, agent) {
      if (previous.takenOver !== null && previous.takenOver.agent.id !== agent.id) {
        throw new LeadloopError(
          'conflict',
          `the session is already taken over by ${previous.takenOver.agent.id}`,
        );
      }
      const turn = begin(previous);
      const at = new Date(turn.now).toISOString();
      turn.state.takenOver = { agent: { ...agent }, since: at };
      // The request is answered: a later one is a new request (with its own wait and timeout).
      turn.state.handoffRequestedAt = null;
      turn.state.handoffTimedOut = false;
      turn.state.transcript.push({
        role: 'system',
        text: `${agent.name ?? agent.id} joined the conversation`,
        at,
        agentId: agent.id,
      });
      turn.state.updatedAt = at;
      turn.events.push({ type: 'taken_over', agent: { ...agent } });
      return { state: turn.state, replies: [], events: turn.events };
    },

    agentMessage(previous, agent, text) {
      if (previous.takenOver?.agent.id !== agent.id) {
        throw new LeadloopError('conflict', 'only the agent who took over the session can write in it');
      }
      const checked = checkMessage(text, maxChars);
      if (!checked.ok) throw checked.error;
      const turn = begin(previous);
      const at = new Date(turn.now).toISOString();
      turn.state.transcript.push({
        role: 'agent',
        text: checked.value,
        at,
        agentId: agent.id,
        ...(agent.name ? { agentName: agent.name } : {}),
      });
      turn.state.updatedAt = at;
      return { state: turn.state, replies: [], events: [] };
    },

    async release(previous, handleOptions = {}) {
      const turn = begin(previous);
      const { state } = turn;
      if (state.takenOver === null) return { state, replies: [], events: [] };
      const at = new Date(turn.now).toISOString();
      state.transcript.push({
        role: 'system',
        text: `${state.takenOver.agent.name ?? state.takenOver.agent.id} left the conversation`,
        at,
      });
      state.takenOver = null;
      turn.events.push({ type: 'released' });
      if (state.phase !== 'ended') {
        say(turn, 'chitchat', 'resumed');
        repeatPending(turn);
      }
      return complete(turn, handleOptions);
    },

    async handoffTimeout(previous) {
      if (previous.handoffRequestedAt === null || previous.takenOver !== null || previous.handoffTimedOut)
        return { state: previous, replies: [], events: [] };
      const turn = begin(previous);
      turn.state.handoffTimedOut = true;
      const email = turn.state.contact.email;
      if (email) say(turn, 'handoff', 'handoff_unavailable_known', { email });
      else say(turn, 'handoff', 'handoff_unavailable');
      turn.events.push({ type: 'handoff_timed_out' });
      return complete(turn);
    },

    close(previous) {
      const turn = begin(previous);
      if (turn.state.phase !== 'ended') finish(turn, 'closed');
      turn.state.updatedAt = new Date(turn.now).toISOString();
      return { state: turn.state, replies: [], events: turn.events };
    },
  };
}
