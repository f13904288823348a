import type { Clock } from '../core/index.ts';
import { LeadloopError, parseInput } from '../core/index.ts';
import {
  type LeadInput,
  leadInputSchema,
  type NormalisedLead,
  normaliseLead,
  unknownLeadFieldHint,
} from '../leads/index.ts';
import type { TenantsService, Workspace } from '../tenants/index.ts';
import {
  fingerprint,
  type IdempotencyScope,
  type SubmissionOutcome,
  type SubmissionWriter,
} from './event-writer.ts';
import { describeSignatureFailure, type SignatureHeaders, verifyWebhook } from './webhook-signature.ts';

export interface IngestService {
  /** A signed webhook: verifies the signature, then accepts like `acceptLead`. `webhook-id` is the idempotency key. */
  acceptWebhook(input: {
    workspaceId: string;
    headers: SignatureHeaders;
    rawBody: string;
    /**
     * Runs once the signature verified, before anything is stored (the workspace's rate limit). It
     * gets the workspace this call already looked up, so the webhook path reads it once.
     */
    admit?: (workspace: Workspace) => Promise<void>;
  }): Promise<SubmissionOutcome>;
  /** An authenticated submission (API, import, chat); `rawBody` is what the client sent, for the idempotency fingerprint. */
  acceptLead(input: {
    workspaceId: string;
    source: IdempotencyScope;
    rawBody: string;
    idempotencyKey?: string | undefined;
  }): Promise<SubmissionOutcome>;
  /**
   * A lead already parsed (a finished conversation, an import row): validated with `prefix` naming
   * its fields, then accepted like `acceptLead`; the idempotency fingerprint is of the validated lead.
   */
  acceptParsed(input: {
    workspaceId: string;
    source: IdempotencyScope;
    lead: unknown;
    idempotencyKey?: string | undefined;
    prefix?: string;
  }): Promise<SubmissionOutcome>;
  /** Validates a lead already parsed from JSON; throws `validation_failed` naming each field. */
  validateLead(value: unknown, prefix?: string): LeadInput;
}

/** The event id an outcome names: the new event's, or the one a replay answered with first. */
export function eventIdOf(outcome: SubmissionOutcome): string {
  return outcome.kind === 'accepted'
    ? outcome.eventId
    : (JSON.parse(outcome.body) as { eventId: string }).eventId;
}

function parseJsonBody(rawBody: string): unknown {
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
  writer: SubmissionWriter;
  clock: Clock;
}): IngestService {
  const { tenants, writer, clock } = options;

  /** The lead as submitted (stored as the event's payload) and its normalised form (for the pipeline). */
  function validate(value: unknown, prefix = 'body'): { lead: LeadInput; normalised: NormalisedLead } {
    const lead = parseInput(leadInputSchema, value, prefix, unknownLeadFieldHint);
    const normalised = normaliseLead(lead);
    if (!normalised.ok) {
      throw new LeadloopError('validation_failed', `the ${prefix} is not a valid lead`, {
        issues: normalised.error.map((i) => ({ field: `${prefix}.${i.field}`, reason: i.reason })),
      });
    }
    return { lead, normalised: normalised.value };
  }

  function accept(
    workspaceId: string,
    source: IdempotencyScope,
    rawBody: string,
    idempotencyKey: string | undefined,
  ) {
    const { lead, normalised } = validate(parseJsonBody(rawBody));
    return writer.submit({
      workspaceId,
      source,
      payload: lead,
      normalised,
      idempotencyKey,
      requestHash: fingerprint(rawBody),
    });
  }

  return {
    validateLead: (value, prefix) => validate(value, prefix).lead,
    acceptParsed({ workspaceId, source, lead, idempotencyKey, prefix }) {
      return Promise.resolve().then(() => {
        const { lead: validated, normalised } = validate(lead, prefix);
        return writer.submit({
          workspaceId,
          source,
          payload: validated,
          normalised,
          idempotencyKey,
          requestHash: fingerprint(JSON.stringify(validated)),
        });
      });
    },
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
      await admit?.(workspace);
      return accept(workspaceId, 'webhook', rawBody, verified.value.id);
    },
    acceptLead({ workspaceId, source, rawBody, idempotencyKey }) {
      return Promise.resolve().then(() => accept(workspaceId, source, rawBody, idempotencyKey));
    },
  };
}
