/** The chat API's wire types, as the widget sees them. */

export type ChatState = 'active' | 'taken_over' | 'ended';
export type ChatOutcome = 'qualified' | 'nurture' | 'disqualified';

/** One message of the conversation. */
export interface ChatMessage {
  id: string;
  role: 'bot' | 'visitor' | 'agent';
  text: string;
  /** The display name of the person who wrote an `agent` message. */
  author?: string;
  quickReplies?: string[];
  link?: { url: string; label: string };
  /** On the consent question: the privacy notice to read, with its version. */
  notice?: { version: string; url: string };
  at: string;
}

/** What session start, a turn and a poll answer. */
export interface ChatUpdate {
  sessionId: string;
  state: ChatState;
  outcome: ChatOutcome | null;
  /** The person in the conversation while it is taken over. */
  agent?: { name: string };
  messages: ChatMessage[];
}

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
