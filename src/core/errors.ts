/**
 * The one error hierarchy. Every failure that leaves a module carries a stable `code`;
 * the HTTP layer maps codes to status codes in one place (src/http/problem.ts).
 */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'signature_invalid'
  | 'idempotency_key_reused'
  | 'idempotency_in_flight'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** One problem with one input field: `field` is a JSON pointer-like path such as `body.email`. */
export interface FieldIssue {
  field: string;
  reason: string;
}

export interface LeadloopErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  issues?: FieldIssue[];
  /** Seconds a client should wait before retrying (rate limits, draining). */
  retryAfterSeconds?: number;
}

/** Base error of Leadloop: a stable code, a human message, optional field issues. */
export class LeadloopError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly issues: FieldIssue[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: LeadloopErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'LeadloopError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.issues = options.issues ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/*
 * Programmer errors. Everything a user, an operator, a peer service or stored data can cause is a
 * `LeadloopError` with a code; a plain `Error` means "the code is wrong" and is raised only through
 * the three helpers below (the grep test `test/error-idiom.test.ts` keeps other plain errors out of `src/`).
 */

/** Compile-time exhaustiveness check for `switch` statements over unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

/** States a condition the code guarantees; a failure is a bug in the caller, not bad input. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant failed: ${message}`);
}

/** Marks a path the code never takes (a bug if it does). */
export function unreachable(message: string): never {
  throw new Error(`Unreachable: ${message}`);
}
