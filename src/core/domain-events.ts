/** Domain events other modules and clients react to. Data holds ids and figures, no personal data. */
export type DomainEventType =
  | 'lead.created'
  | 'lead.updated'
  | 'lead.scored'
  | 'lead.qualified'
  | 'chat.started'
  | 'chat.handoff_requested'
  | 'chat.handoff_timed_out'
  | 'chat.taken_over'
  | 'chat.released'
  | 'chat.ended'
  | 'council.decided'
  | 'model.used'
  | 'outcome.recorded'
  | 'alert.opened'
  | 'alert.acknowledged'
  | 'alert.resolved'
  | 'metrics.evaluated'
  | 'optimiser.adjusted'
  | 'optimiser.adjustment_settled'
  | 'email.replied'
  | 'meeting.booked'
  | 'meeting.canceled';

export interface DomainEvent {
  id: string;
  /** Position in the workspace's stream; SSE uses it as the event id for resumption. */
  seq: number;
  workspaceId: string;
  type: DomainEventType;
  /**
   * The id of what the event is about: a lead id, a chat session id for `chat.*`, an alert id for
   * `alert.*`, an adjustment id for `optimiser.*`, the workspace id for `metrics.*`, a decision id
   * for `council.decided`, the workspace id for `model.used` (one model call outside the
   * council, such as chat's), a lead id for `outcome.recorded`, `email.replied` (the run id when the
   * run had no lead), `meeting.booked` and `meeting.canceled`.
   */
  subject: string;
  data: Record<string, unknown>;
  at: number;
}
