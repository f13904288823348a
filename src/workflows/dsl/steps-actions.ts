import { z } from 'zod';
import { scalarSchema } from './predicate.ts';
import {
  base,
  credentialRefSchema,
  dataFlow,
  jsonTemplateSchema,
  next,
  templateSchema,
  varNameSchema,
} from './step-kit.ts';
import { stepIdSchema } from './triggers.ts';

/** Steps that act: messages, requests, CRM records, the lead itself, the council, other workflows. */

/**
 * E-mail. `to: 'lead'` sends to the run's lead; otherwise a template yielding addresses (internal
 * notifications: the owner, a manager). `purpose`: `marketing` (commercial: consent rules,
 * unsubscribe link and postal address), `transactional` (a reply the person asked for), `internal`
 * (to the team, never to the lead). `template` names a stored template (its id) instead of
 * subject/body; a run uses the version current when it started unless `templateVersion` pins one.
 */
export const sendEmailStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('send_email'),
    to: z.union([z.literal('lead'), templateSchema]),
    purpose: z.enum(['marketing', 'transactional', 'internal']),
    subject: templateSchema.optional(),
    body: templateSchema.optional(),
    html: templateSchema.optional(),
    template: z.string().max(100).optional(),
    /** A version of `template` to use; default the version current when the run started. */
    templateVersion: z.number().int().min(1).optional(),
    from: templateSchema.optional(),
    replyTo: templateSchema.optional(),
    /** Commercial e-mail carries an unsubscribe link and `List-Unsubscribe`; `false` is a CAN-SPAM finding. */
    unsubscribeLink: z.boolean().optional(),
    /** Sender's postal address; default: the workspace sender's (`settings.sender.postalAddress`). */
    postalAddress: z.string().max(500).optional(),
    healthData: z.boolean().optional(),
  })
  .strict();

/** SMS (or an automated call with `channel: 'call'`) through a provider credential. TCPA rules apply to US numbers. */
export const sendSmsStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('send_sms'),
    to: z.union([z.literal('lead'), templateSchema]),
    channel: z.enum(['sms', 'call']).optional(),
    purpose: z.enum(['marketing', 'transactional', 'internal']),
    /** The message; or `template` (a stored SMS template's id) with an optional `templateVersion`. */
    text: templateSchema.optional(),
    template: z.string().max(100).optional(),
    templateVersion: z.number().int().min(1).optional(),
    credential: credentialRefSchema.optional(),
    healthData: z.boolean().optional(),
  })
  .strict();

/** An HTTP request (SSRF-guarded by the engine: private addresses refused unless allow-listed). */
export const httpRequestStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('http_request'),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    url: templateSchema,
    headers: z.record(z.string().max(200), templateSchema).optional(),
    query: z.record(z.string().max(200), templateSchema).optional(),
    body: jsonTemplateSchema.optional(),
    /** Credential applied as the request's authentication (bearer, basic or header, as stored). */
    credential: credentialRefSchema.optional(),
    maxResponseBytes: z.number().int().min(1).max(10_000_000).optional(),
    /** Stores the (truncated) response under `vars.<saveAs>`. */
    saveAs: varNameSchema.optional(),
  })
  .strict();

/** An outgoing webhook signed with Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
export const webhookStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('webhook'),
    url: templateSchema,
    /** The event type sent in the payload, e.g. `lead.qualified`. */
    event: z.string().min(1).max(100),
    payload: jsonTemplateSchema.optional(),
    /** The endpoint's signing secret in the credential store (`whsec_…`). */
    secret: credentialRefSchema,
  })
  .strict();

/** A Slack or Microsoft Teams message through an incoming-webhook URL kept in the credential store. */
export const chatMessageStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('chat_message'),
    channel: z.enum(['slack', 'teams']),
    webhook: credentialRefSchema,
    text: templateSchema,
    covered: z.boolean().optional(),
    healthData: z.boolean().optional(),
  })
  .strict();

/**
 * Create-or-update a CRM record, matched on e-mail or an external id. `fields`: CRM property →
 * template. Pipedrive: the person is matched on e-mail (searched, then updated or created); a
 * `lead`, `deal` or `note` (`fields.content`) is then created for that person, a `company` is an
 * organisation matched on name. Notes are Pipedrive's only. HubSpot: contacts and leads are its
 * contacts, keyed by e-mail; companies and deals are keyed by the step's idempotency key in a
 * unique property (the credential's `keyProperty`). Salesforce: Lead and Contact by `Email`,
 * Account (`company`) and Opportunity (`deal`) by the idempotency key in an external id field.
 */
export const crmUpsertStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('crm_upsert'),
    provider: z.enum(['hubspot', 'salesforce', 'pipedrive']),
    object: z.enum(['contact', 'lead', 'company', 'deal', 'note']),
    matchOn: z.enum(['email', 'externalId']).optional(),
    fields: z.record(z.string().max(100), templateSchema).optional(),
    credential: credentialRefSchema,
  })
  .strict()
  .refine((s) => s.object !== 'note' || s.provider === 'pipedrive', 'notes are a Pipedrive object');

/**
 * A row in a spreadsheet-like table: Google Sheets (`document`: the spreadsheet id, `table`: the
 * sheet's name; columns are the header row's names) or Airtable (`document`: the base id,
 * `table`: the table's name or id; columns are field names). `append` adds a row; `upsert`
 * updates the row whose `matchOn` column equals the value given for it in `columns`, else adds
 * one; `lookup` reads the rows whose `matchOn` column equals that value (all rows without
 * `matchOn`, at most 100) into `vars.<saveAs>`. An `append` also writes the step's idempotency
 * key (run id + step key) into `keyColumn` (default `leadloop_key`; `false` turns it off) so a
 * retried step finds its row instead of adding a second one.
 */
export const tableRowStepSchema = z
  .object({
    ...base,
    ...next,
    ...dataFlow,
    type: z.literal('table_row'),
    provider: z.enum(['google_sheets', 'airtable']),
    operation: z.enum(['append', 'upsert', 'lookup']),
    document: z.string().min(1).max(2000),
    table: z.string().min(1).max(2000),
    columns: z.record(z.string().min(1).max(200), templateSchema).optional(),
    matchOn: z.string().min(1).max(200).optional(),
    keyColumn: z.union([z.string().min(1).max(200), z.literal(false)]).optional(),
    saveAs: varNameSchema.optional(),
    credential: credentialRefSchema,
  })
  .strict()
  .refine((s) => s.operation !== 'upsert' || s.matchOn !== undefined, 'an upsert needs matchOn')
  .refine(
    (s) => s.matchOn === undefined || s.columns?.[s.matchOn] !== undefined,
    'matchOn must name one of the columns (its value is what is matched)',
  );

const ownerSchema = z
  .object({
    id: z.string().min(1).max(100),
    email: z.string().max(320).optional(),
    /** Open leads this owner can hold (`capacity` strategy). */
    capacity: z.number().int().min(0).max(100_000).optional(),
    /** Country codes or regions this owner covers (`territory` strategy). */
    territories: z.array(z.string().min(2).max(16)).max(300).optional(),
    /**
     * Relative share of leads under `round_robin` (default equal). The optimiser may move shares
     * toward owners whose leads convert, within its policy's bounds.
     */
    weight: z.number().min(0).max(1000).optional(),
  })
  .strict();

/** Assign an owner: `round_robin` over owners, `territory` by the lead's country/region, `capacity` to the least loaded. */
export const assignOwnerStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('assign_owner'),
    strategy: z.enum(['round_robin', 'territory', 'capacity']),
    owners: z.array(ownerSchema).min(1).max(500),
    /** Owner id used when no territory matches or everyone is at capacity. */
    fallbackOwner: z.string().min(1).max(100).optional(),
  })
  .strict();

/** Update the lead: attribute / field values (templates allowed), tags, status. */
export const updateLeadStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('update_lead'),
    set: z
      .record(
        z.string().regex(/^(title|company|country|source|attributes\.[A-Za-z0-9_-]{1,64})$/),
        z.union([scalarSchema, templateSchema]),
      )
      .optional(),
    addTags: z.array(z.string().min(1).max(64)).max(50).optional(),
    removeTags: z.array(z.string().min(1).max(64)).max(50).optional(),
    status: z
      .string()
      .regex(/^[a-z][a-z_]{1,31}$/)
      .optional(),
  })
  .strict();

/**
 * Ask the AI council a question about the lead and branch on the decision class of its answer
 * (`branches[].decision`), `default` for any other decision, `onError` / retries when it fails.
 */
export const askCouncilStepSchema = z
  .object({
    ...base,
    type: z.literal('ask_council'),
    question: templateSchema,
    branches: z
      .array(z.object({ decision: z.string().min(1).max(64), next: stepIdSchema.optional() }).strict())
      .max(20),
    default: stepIdSchema.optional(),
    /** Stores the answer under `vars.<saveAs>`. */
    saveAs: varNameSchema.optional(),
  })
  .strict();

/** Enrol the lead in an e-mail sequence (the sequence sends marketing e-mail: consent rules apply). */
export const addToSequenceStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('add_to_sequence'),
    sequence: z.string().min(1).max(100),
  })
  .strict();

/**
 * Start another workflow (its `workflow` trigger) for the same lead. `version`: a pinned version
 * number or `latest` (the active version when started). `wait: true` continues here only when the
 * child run finished. The child is verified on its own when activated.
 */
export const startWorkflowStepSchema = z
  .object({
    ...base,
    ...next,
    type: z.literal('start_workflow'),
    workflowId: z.string().min(1).max(100),
    version: z.union([z.number().int().min(1), z.literal('latest')]).optional(),
    wait: z.boolean().optional(),
  })
  .strict();
