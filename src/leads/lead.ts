import type { ConsentInput } from './lead-schema.ts';
import type { ScoreLine } from './score.ts';

/** `new` until a score, a model or a conversation qualifies the lead. */
export type LeadStatus = 'new' | 'qualified';

/** Free-form fields of a lead: what `attributes` in a submission holds. */
type LeadAttributes = Record<string, string | number | boolean | null>;

/**
 * The lead: one type for every capability. Narrower views are derived from it (`Pick`) rather than
 * declared again, so a new field appears everywhere or fails to compile.
 */
export interface Lead {
  id: string;
  workspaceId: string;
  email: string | null;
  phone: string | null;
  name: string | null;
  company: string | null;
  /** Derived from a business email; null for free-mail domains. */
  companyDomain: string | null;
  title: string | null;
  country: string | null;
  source: string | null;
  utm: Record<string, string>;
  attributes: LeadAttributes;
  status: LeadStatus;
  score: number;
  scoreBreakdown: ScoreLine[];
  createdAt: number;
  updatedAt: number;
}

/** The fields a submission sets, after validation and normalisation. */
type LeadFields = Pick<
  Lead,
  | 'email'
  | 'phone'
  | 'name'
  | 'company'
  | 'companyDomain'
  | 'title'
  | 'country'
  | 'source'
  | 'utm'
  | 'attributes'
>;

/** A submission after validation and normalisation: what the pipeline merges into the stored lead. */
export interface NormalisedLead extends LeadFields {
  consent: ConsentInput | null;
  /** Derived: the email's domain is a free-mail provider. */
  freeEmail: boolean;
}

/** What predictive scoring reads of a stored lead (features and segments). */
export type ScoringLeadFields = Pick<
  Lead,
  | 'id'
  | 'email'
  | 'phone'
  | 'company'
  | 'title'
  | 'country'
  | 'source'
  | 'utm'
  | 'attributes'
  | 'status'
  | 'createdAt'
  | 'updatedAt'
>;

/** What point rules read of a lead: its fields plus the consent purposes and the free-mail flag. */
export type ScorableLead = LeadFields & { consentPurposes: string[]; freeEmail: boolean };
