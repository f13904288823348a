import { createManualClock } from '../../core/index.ts';
import { BUILT_IN_PLAYBOOKS } from '../builtin-playbooks.ts';
import { createDialogEngine } from '../dialog-engine.ts';
import type { TurnResult } from '../dialog-engine-types.ts';
import type { Playbook } from '../playbook-schema.ts';
import type { SessionState } from '../session-state.ts';

/** How a test conversation is set up; every field has a default. */
export interface ConversationOptions {
  sessionId?: string;
  /** The visitor's locale, e.g. `de-DE`; none by default (the playbook's language). */
  locale?: string;
  /** When the conversation starts (default 28 November 2026, 10:00 UTC). */
  startsAt?: number;
  /** How long the visitor takes over each message (default 15 seconds). */
  pauseMs?: number;
  /** The playbook `start()` and `converse()` open with (default the built-in BANT). */
  playbook?: Playbook;
}

/**
 * A dialog engine on a manual clock and the visitor's side of a conversation with it: `say` sends
 * messages in turn, `pauseMs` apart; `converse` opens the conversation first.
 */
export function conversation(options: ConversationOptions = {}) {
  const { sessionId = 'ses_test', locale, pauseMs = 15_000, playbook = BUILT_IN_PLAYBOOKS.bant } = options;
  const clock = createManualClock(options.startsAt ?? Date.UTC(2026, 10, 28, 10));
  const engine = createDialogEngine({ clock });
  const context = { sessionId, ...(locale ? { locale } : {}) };
  const start = (opening: Playbook = playbook) => engine.start(opening, context);
  async function say(state: SessionState, ...texts: string[]): Promise<TurnResult> {
    let result: TurnResult = { state, replies: [], events: [] };
    for (const text of texts) {
      clock.advance(pauseMs);
      result = await engine.handle(result.state, text);
    }
    return result;
  }
  async function converse(...texts: string[]): Promise<TurnResult> {
    const opened = await start();
    return say(opened.state, ...texts);
  }
  return { clock, engine, start, say, converse };
}
