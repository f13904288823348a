import type { Clock } from '../core/index.ts';
import { LeadloopError, parseInput } from '../core/index.ts';
import type { TenantsService } from '../tenants/index.ts';
import {
  type EventWriter,
  fingerprint,
  type IdempotencyScope,
  type SubmissionOutcome,
} from './event-writer.ts';
import { type LeadInput, leadInputSchema } from './lead-schema.ts';
import { normaliseLead } from './normalise.ts';
import { describeSignatureFailure, type SignatureHeaders, verifyWebhook } from './webhook-signature.ts';

export interface IngestService {
  /** A signed webhook: verifies the signature, then accepts like `acceptLead`. `webhook-id` is the idempotency key. */
  acceptWebhook(input: {
    workspaceId: string;
    headers: SignatureHeaders;
    rawBody: string;
    /** Runs once the signature verified, before anything is stored (the workspace's rate limit). */
    admit?: () => Promise<void>;
  }): Promise<SubmissionOutcome>;
  /** An authenticated submission (API, import, chat); `rawBody` is what the client sent, for the idempotency fingerprint. */
  acceptLead(input: {
    workspaceId: string;
    source: IdempotencyScope;
    rawBody: string;
    idempotencyKey?: string | undefined;
  }): Promise<SubmissionOutcome>;
  /** Validates a lead already parsed from JSON; throws `validation_failed` naming each field. */
  validateLead(value: unknown, prefix?: string): LeadInput;
}

export function parseJsonBody(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch (error) {
    throw new LeadloopError('malformed_json', 'the request body is not valid JSON', {
      issues: [{ field: 'body', reason: error instanceof Error ? error.message : 'is not valid JSON' }],
    });
  }
}

export function createIngestService(options: {
  tenants: TenantsService;
  writer: EventWriter;
  clock: Clock;
}): IngestService {
  const { tenants, writer, clock } = options;

  function validateLead(value: unknown, prefix = 'body'): LeadInput {
    const lead = parseInput(leadInputSchema, value, prefix);
    const normalised = normaliseLead(lead);
    if (!normalised.ok) {
      throw new LeadloopError('validation_failed', `the ${prefix} is not a valid lead`, {
        issues: normalised.error.map((i) => ({ field: `${prefix}.${i.field}`, reason: i.reason })),
      });
    }
    return lead;
  }

  function accept(
    workspaceId: string,
    source: IdempotencyScope,
    rawBody: string,
    idempotencyKey: string | undefined,
  ) {
    const lead = validateLead(parseJsonBody(rawBody));
    return writer.submit({
      workspaceId,
      source,
      payload: lead,
      idempotencyKey,
      requestHash: fingerprint(rawBody),
    });
  }

  return {
    validateLead,
    async acceptWebhook({ workspaceId, headers, rawBody, admit }) {
      const workspace = await tenants.getWorkspace(workspaceId);
      if (!workspace)
        throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`, {
          issues: [{ field: 'path.workspaceId', reason: 'no such workspace' }],
        });
      const secrets = await tenants.activeSecrets(workspaceId);
      const verified = verifyWebhook(
        headers,
        rawBody,
        secrets.map((s) => s.secret),
        clock.now(),
      );
      if (!verified.ok) {
        throw new LeadloopError('signature_invalid', 'the webhook signature could not be verified', {
          issues: [describeSignatureFailure(verified.error)],
        });
      }
      await admit?.();
      return accept(workspaceId, 'webhook', rawBody, verified.value.id);
    },
    acceptLead({ workspaceId, source, rawBody, idempotencyKey }) {
      return Promise.resolve().then(() => accept(workspaceId, source, rawBody, idempotencyKey));
    },
  };
}
