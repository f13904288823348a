/** The chat API's wire types, as the widget sees them. */

// The wire types are the server's own (type-only imports: nothing of the server reaches the bundle).
import type { ChatMessage, ChatTurn, SessionStatus } from '../../src/chat/index.ts';

export type { ChatMessage };
export type ChatState = SessionStatus;
export type ChatOutcome = NonNullable<ChatTurn['outcome']>;
/** What session start, a turn and a poll answer. */
export type ChatUpdate = ChatTurn;

/** What the host page tells the server when a session starts. */
export interface PageContext {
  pageUrl?: string;
  referrer?: string;
  utm?: Partial<Record<UtmKey, string>>;
  gpc?: boolean;
}

export type UtmKey = 'source' | 'medium' | 'campaign' | 'term' | 'content';

/** Settings read from the script tag (or the element's attributes). */
export interface WidgetConfig {
  /** Origin of the Leadloop server: where widget.js came from. */
  apiOrigin: string;
  workspaceId: string;
  widgetKey: string;
  playbook?: string;
  locale?: string;
  title: string;
  color?: string;
}
