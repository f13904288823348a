export { sleep } from './abort.ts';
export { canonicalJson } from './canonical-json.ts';
export type { Clock } from './clock.ts';
export { createManualClock, systemClock } from './clock.ts';
export type { DataScope } from './data-scope.ts';
export { asScheduler, currentDataScope, inWorkspace, readingDirectory, withDataScope } from './data-scope.ts';
export type { DomainEvent, DomainEventType } from './domain-events.ts';

export type { ErrorCode, FieldIssue } from './errors.ts';
export { assertNever, invariant, LeadloopError, unreachable } from './errors.ts';
export type { IdGenerator } from './ids.ts';
export { createIdGenerator } from './ids.ts';
export { lazyModule } from './lazy-module.ts';
export type { Random } from './random.ts';
export { createSeededRandom } from './random.ts';
export type { Result } from './result.ts';
export { err, ok } from './result.ts';
export type { SecretBox } from './secret-box.ts';
export { createSecretBox, generateSecretKey, isSealed, masterKeyId } from './secret-box.ts';
export type { RateInterval } from './statistics.ts';
export { decileEdges, normalQuantile, rebin, wilsonInterval } from './statistics.ts';
export type { Actor, KeyScope, WorkspaceContext } from './tenant.ts';

export type { UnknownFieldHint } from './validation.ts';
export { parseInput, toFieldIssues } from './validation.ts';
