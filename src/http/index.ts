export type { HttpApp } from './app.ts';
export { createHttpApp } from './app.ts';
export type {
  CalendlyAnswer,
  Engagements,
  InboundReply,
  LifecycleState,
  MeetingBooking,
  WorkflowHttp,
} from './deps.ts';

export {} from './problem.ts';

export { createMemoryRateLimiter } from './rate-limiter.ts';
