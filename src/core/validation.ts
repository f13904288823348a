import type { z } from 'zod';
import { type FieldIssue, LeadloopError } from './errors.ts';

/** What to tell a caller who sent a field the schema does not know, by the path of its object. */
export type UnknownFieldHint = (path: readonly string[]) => string | undefined;

/** zod issues as field issues: `body.consent.timestamp: Invalid ISO datetime`. */
export function toFieldIssues(error: z.ZodError, prefix: string, hint?: UnknownFieldHint): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const advice = hint?.(path);
      return {
        field: [prefix, ...path, issue.keys.join(',')].filter(Boolean).join('.'),
        reason: advice ? `is not a known field; ${advice}` : 'is not a known field',
      };
    }
    return { field: [prefix, ...path].filter(Boolean).join('.') || prefix, reason: issue.message };
  });
}

/** Parses or throws a `validation_failed` error naming each field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  hint?: UnknownFieldHint,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new LeadloopError('validation_failed', `the ${prefix || 'input'} is not valid`, {
      issues: toFieldIssues(result.error, prefix, hint),
    });
  }
  return result.data;
}
