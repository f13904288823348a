export type { DomainEventLog, NewDomainEvent } from './domain-event-log.ts';
export { createDomainEventLog } from './domain-event-log.ts';
