import { z } from 'zod';
import type { UnknownFieldHint } from '../core/index.ts';

const text = (max: number) => z.string().trim().min(1).max(max);

const consentSchema = z
  .object({
    purposes: z
      .array(text(64))
      .min(1)
      .max(20)
      .describe('What the person agreed to, e.g. ["marketing", "sales_contact"].'),
    textVersion: text(64).describe('Version of the consent wording shown to the person.'),
    timestamp: z.iso.datetime({ offset: true }).describe('When consent was given (ISO 8601).'),
    method: z
      .enum(['checkbox', 'form', 'chat', 'verbal', 'import', 'api'])
      .describe('How consent was captured.'),
    noticeVersion: text(64)
      .optional()
      .describe('Version of the privacy notice shown at collection, when it differs from textVersion.'),
    noticeHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex sha256')
      .optional()
      .describe('sha256 of the privacy notice shown at collection.'),
  })
  .strict();

export const utmSchema = z
  .object({
    source: text(200).optional(),
    medium: text(200).optional(),
    campaign: text(200).optional(),
    term: text(200).optional(),
    content: text(200).optional(),
  })
  .strict();

const attributeValue = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);

/**
 * A lead as submitted by a webhook, the API, an import or the chat. Unknown top-level fields are
 * rejected (a typo such as `emial` must not silently drop the email); free data goes in `attributes`.
 */
export const leadInputSchema = z
  .object({
    email: z
      .string()
      .trim()
      .max(320)
      .optional()
      .describe('Required unless phone is given. Normalised to lower case.'),
    name: text(200).optional(),
    phone: z
      .string()
      .trim()
      .max(40)
      .optional()
      .describe('Any common format; stored as E.164. Required unless email is given.'),
    company: text(200).optional(),
    title: text(200).optional(),
    country: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code')
      .optional()
      .describe('ISO 3166-1 alpha-2; also the default region for phone numbers without a country code.'),
    source: text(100).optional().describe('Where the lead came from, e.g. "webinar", "demo-request".'),
    utm: utmSchema.optional(),
    consent: consentSchema.optional(),
    attributes: z
      .record(z.string().min(1).max(100), attributeValue)
      .refine((value) => Object.keys(value).length <= 100, 'at most 100 attributes')
      .optional(),
  })
  .strict();

export type LeadInput = z.infer<typeof leadInputSchema>;
export type ConsentInput = z.infer<typeof consentSchema>;

/**
 * The hint for an unknown top-level field of a lead: the known fields, and `attributes` for custom
 * data (the most common cause is a custom field sent beside the standard ones).
 */
export const unknownLeadFieldHint: UnknownFieldHint = (path) =>
  path.length === 0
    ? `a lead's fields are ${Object.keys(leadInputSchema.shape).join(', ')}; send custom fields inside attributes, e.g. {"attributes": {"industry": "saas"}}`
    : undefined;
