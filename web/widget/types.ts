/** The chat API's wire types, as the widget sees them. */

import type { operations } from '../sdk/schema.d.ts';

/**
 * What session start, a turn and a poll answer: the type generated from the server's own response
 * schema (`npm run sdk:generate`), so the widget cannot drift from the API.
 */
export type ChatUpdate = operations['startChat']['responses'][201]['content']['application/json'];
/** One message of the conversation. */
export type ChatMessage = ChatUpdate['messages'][number];
export type ChatState = ChatUpdate['state'];
export type ChatOutcome = NonNullable<ChatUpdate['outcome']>;

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
