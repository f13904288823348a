export type { HttpApp } from './app.ts';
export { createHttpApp } from './app.ts';
export type { LifecycleState } from './deps.ts';

export { createMemoryRateLimiter } from './rate-limiter.ts';
