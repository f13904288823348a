import type { ErrorCode, FieldIssue } from '../core/index.ts';
import { LeadloopError } from '../core/index.ts';

/** The one place where error codes become HTTP statuses. */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  malformed_json: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  signature_invalid: 401,
  idempotency_key_reused: 422,
  idempotency_in_flight: 409,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

const TITLE_BY_CODE: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  malformed_json: 'The body is not valid JSON',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'The body is too large',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed for this key',
  not_found: 'Not found',
  signature_invalid: 'Webhook signature not valid',
  idempotency_key_reused: 'Idempotency key reused with a different body',
  idempotency_in_flight: 'A request with this idempotency key is in flight',
  conflict: 'Conflict',
  rate_limited: 'Too many requests',
  unavailable: 'Temporarily unavailable',
  internal: 'Internal error',
};

/** RFC 9457 problem details, with Leadloop's `code` and per-field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  errors: FieldIssue[];
  requestId: string;
}

/** Fastify's own errors (body limits, content types) mapped onto Leadloop codes. */
function fromFastifyError(error: {
  code?: string;
  message: string;
  statusCode?: number;
}): LeadloopError | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new LeadloopError('payload_too_large', error.message, {
        issues: [{ field: 'body', reason: 'exceeds the size limit' }],
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new LeadloopError('unsupported_media_type', 'send the body as application/json', {
        issues: [{ field: 'header.content-type', reason: 'must be application/json' }],
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new LeadloopError('malformed_json', error.message, {
        issues: [{ field: 'body', reason: 'is empty or truncated' }],
      });
    default:
      if (error.statusCode === 404) return new LeadloopError('not_found', error.message);
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return new LeadloopError('validation_failed', error.message, {
          issues: [{ field: 'request', reason: error.message }],
        });
      }
      return null;
  }
}

export function toProblem(
  error: unknown,
  instance: string,
  requestId: string,
): { problem: Problem; retryAfterSeconds: number | undefined } {
  const known =
    error instanceof LeadloopError
      ? error
      : error && typeof error === 'object' && 'message' in error
        ? fromFastifyError(error as { code?: string; message: string; statusCode?: number })
        : null;
  const leadloopError =
    known ?? new LeadloopError('internal', 'an unexpected error occurred; it has been logged');
  const code = leadloopError.code;
  return {
    problem: {
      type: `urn:leadloop:problem:${code.replaceAll('_', '-')}`,
      title: TITLE_BY_CODE[code],
      status: STATUS_BY_CODE[code],
      detail: leadloopError.message,
      instance,
      code,
      errors: leadloopError.issues,
      requestId,
    },
    retryAfterSeconds: leadloopError.retryAfterSeconds ?? (code === 'unavailable' ? 5 : undefined),
  };
}
