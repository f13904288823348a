import { z } from 'zod';
import { JURISDICTIONS } from './deadlines.ts';

/**
 * GDPR Art. 15/20 access, 17 erasure, 16 rectification, 18 restriction, 21 objection; CCPA know
 * (= access), delete (= erasure), correct (= rectification) and opt-out of sale/share.
 */
const REQUEST_TYPES = ['access', 'erasure', 'rectification', 'restriction', 'objection', 'opt_out'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REQUEST_STATUSES = ['received', 'in_progress', 'completed', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

const subjectSchema = z
  .object({
    email: z.string().trim().min(3).max(320).optional(),
    phone: z.string().trim().min(3).max(40).optional(),
    leadId: z
      .string()
      .regex(/^lead_[0-9A-Z]{26}$/, 'must be an id starting with lead_')
      .optional(),
  })
  .strict()
  .refine((s) => s.email !== undefined || s.phone !== undefined || s.leadId !== undefined, {
    message: 'give email, phone or leadId',
  });

const changesSchema = z
  .object({
    email: z.string().trim().min(3).max(320).optional(),
    phone: z.string().trim().min(3).max(40).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    company: z.string().trim().min(1).max(200).optional(),
    title: z.string().trim().min(1).max(200).optional(),
    country: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code')
      .optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, { message: 'name at least one field to correct' });

export const requestInputSchema = z
  .object({
    type: z.enum(REQUEST_TYPES),
    subject: subjectSchema,
    jurisdiction: z.enum(JURISDICTIONS).default('gdpr'),
    changes: changesSchema.optional().describe('Rectification only: the corrected values.'),
    hold: z
      .boolean()
      .optional()
      .describe(
        'File it without carrying it out (e.g. to verify who asked first); then run, reject or extend it by hand. Default false.',
      ),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.type === 'rectification' && !value.changes)
      ctx.addIssue({
        code: 'custom',
        path: ['changes'],
        message: 'a rectification needs the corrected values',
      });
    if (value.type !== 'rectification' && value.changes)
      ctx.addIssue({ code: 'custom', path: ['changes'], message: 'only a rectification takes changes' });
  });

export type RequestInput = z.infer<typeof requestInputSchema>;
export type Changes = z.infer<typeof changesSchema>;

export interface RequestStep {
  at: number;
  step: string;
  detail: Record<string, unknown>;
}

export interface PrivacyRequest {
  id: string;
  workspaceId: string;
  type: RequestType;
  jurisdiction: string;
  status: RequestStatus;
  /** Filed on hold: waits for an operator to run or reject it. */
  held: boolean;
  origin: string;
  leadIds: string[];
  steps: RequestStep[];
  result: Record<string, unknown> | null;
  receivedAt: number;
  ackDueAt: number;
  dueAt: number;
  extendedDueAt: number;
  completedAt: number | null;
}
