import { z } from 'zod';
import { stepIdSchema } from './triggers.ts';

/** Pieces every step schema is built from: templates, credential names, retries, edges, data flow. */

/** A template string (Mustache variables and sections, no code). */
export const templateSchema = z.string().max(20_000);

/** A JSON value whose strings are templates (request bodies, webhook payloads, variables). */
export type JsonTemplate =
  | string
  | number
  | boolean
  | null
  | JsonTemplate[]
  | { [key: string]: JsonTemplate };
export const jsonTemplateSchema: z.ZodType<JsonTemplate> = z.lazy(() =>
  z.union([
    templateSchema,
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonTemplateSchema).max(1000),
    z.record(z.string().max(200), jsonTemplateSchema),
  ]),
);

/** The name of a secret in the workspace's credential store (never the secret itself). */
export const credentialRefSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'is not a credential name');

/**
 * Who receives lead data from an HTTP call, webhook or CRM push: `first_party` (the workspace's
 * own systems), `service_provider` (processes data for the workspace under contract), `third_party`
 * (a sale or share under CCPA/CPRA, e.g. ad-audience sync). When absent the verifier assumes
 * `third_party` for `http_request` / `webhook` and `service_provider` for `crm_upsert`.
 */
const SHARING = ['first_party', 'service_provider', 'third_party'] as const;
export type Sharing = (typeof SHARING)[number];

/** Per-step retry policy (exponential backoff); engine default when absent. */
const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20),
    backoffMs: z.number().int().min(0).max(86_400_000).optional(),
    factor: z.number().min(1).max(10).optional(),
  })
  .strict();

export const base = {
  id: stepIdSchema,
  /** Display name (for people and n8n export); never used as a reference. */
  name: z.string().max(200).optional(),
  notes: z.string().max(5000).optional(),
  /** Step taken when this step fails after its retries (an error edge the verifier follows too). */
  onError: stepIdSchema.optional(),
  retry: retrySchema.optional(),
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
};
export const next = { next: stepIdSchema.optional() };

/** Where lead data goes and whether the destination is covered by a business associate / data processing agreement. */
export const dataFlow = {
  sharing: z.enum(SHARING).optional(),
  /** True when the destination is covered by an agreement allowing health data (healthcare rules). */
  covered: z.boolean().optional(),
  /** Declares that the request carries health data even if no template names a sensitive field. */
  healthData: z.boolean().optional(),
};

/** A run variable's name (`vars.<name>`), as `saveAs` and `set_vars` take it. */
export const varNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
