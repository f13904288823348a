export type { HttpApp } from './app.ts';
export { createHttpApp, DEFAULT_BODY_LIMIT } from './app.ts';
export type { HttpDeps, LifecycleState, WorkflowHttp } from './deps.ts';
export type { Problem } from './problem.ts';
export { STATUS_BY_CODE } from './problem.ts';
export type { RateLimiter } from './rate-limiter.ts';
export { createMemoryRateLimiter } from './rate-limiter.ts';
