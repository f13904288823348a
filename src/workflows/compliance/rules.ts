import {
  EEA_EXTRA_COUNTRIES,
  type EffectClass,
  EU_COUNTRIES,
  type Predicate,
  type Sharing,
  UK_COUNTRIES,
} from '../dsl/index.ts';

/**
 * Compliance rules as data. A *path rule* demands that on every path from a trigger to a matching
 * action a guard holds (a consent or privacy check whose true edge was taken after the last wait),
 * unless the path has established that the lead is outside the rule's territory. A *step rule*
 * checks a property of the action itself (unsubscribe link, health data, covered endpoint).
 */

/** Which actions a rule covers. */
export interface ActionMatcher {
  effects: readonly EffectClass[];
  /** For e-mail / SMS: only these purposes (`marketing`, `transactional`, `internal`). */
  purposes?: readonly ('marketing' | 'transactional' | 'internal')[];
  /** For HTTP / webhook / CRM: only these recipients (defaults per step type, see the DSL's `sharing`). */
  sharing?: readonly Sharing[];
  /** Only actions addressed to the run's lead (e-mail / SMS `to: 'lead'`; sequences always are). */
  toLeadOnly?: boolean;
}

/** A guard: a check that, when it holds, satisfies the rule. */
export type GuardAtom =
  | { consent: { purposes: readonly string[]; written?: boolean } }
  | { privacy: 'sale_share_allowed' | 'not_unsubscribed' };

export interface PathRule {
  kind: 'path';
  id: string;
  law: string;
  /** Countries (ISO alpha-2) where the rule applies; `null`: everywhere. A lead of unknown country counts as inside. */
  territory: readonly string[] | null;
  /** Only for workflows of this industry. */
  industry?: 'healthcare';
  appliesTo: ActionMatcher;
  /** Any one of these satisfies the rule. */
  guards: readonly GuardAtom[];
  /** The condition `insertGuards` puts before an unguarded action. */
  insert: Predicate;
  message: string;
}

/** Named property checks of one action, implemented in `step-checks.ts`. */
export type StepCheckName = 'unsubscribe_and_address' | 'no_health_data' | 'covered_endpoint' | 'not_opaque';

interface StepRule {
  kind: 'step';
  id: string;
  law: string;
  industry?: 'healthcare';
  appliesTo: ActionMatcher;
  check: StepCheckName;
  message: string;
}

export type ComplianceRule = PathRule | StepRule;

/** EU, EEA and UK: where GDPR / UK GDPR and the ePrivacy rules on electronic marketing apply. */
export const GDPR_TERRITORY: readonly string[] = [...EU_COUNTRIES, ...EEA_EXTRA_COUNTRIES, ...UK_COUNTRIES];

/** Consent purposes accepted as consent to marketing e-mail. */
export const EMAIL_MARKETING_PURPOSES: readonly string[] = [
  'email_marketing',
  'marketing',
  'product_updates',
  'newsletter',
];
/** Consent purposes accepted for SMS and automated calls. */
export const SMS_PURPOSES: readonly string[] = ['sms', 'sms_marketing', 'automated_calls'];

/** Default attribute names treated as health data in healthcare workflows (plus `settings.sensitiveFields`). */
export const DEFAULT_HEALTH_FIELDS: readonly string[] = [
  'diagnosis',
  'condition',
  'medical_condition',
  'medication',
  'medications',
  'treatment',
  'symptoms',
  'health',
  'health_notes',
  'insurance_id',
  'procedure',
];

export const COMPLIANCE_RULES: readonly ComplianceRule[] = [
  {
    kind: 'path',
    id: 'gdpr.marketing_email_consent',
    law: 'GDPR / ePrivacy (EU, EEA, UK)',
    territory: GDPR_TERRITORY,
    appliesTo: { effects: ['email', 'sequence'], purposes: ['marketing'], toLeadOnly: true },
    guards: [{ consent: { purposes: EMAIL_MARKETING_PURPOSES } }],
    insert: { consent: { purposes: ['email_marketing'] } },
    message:
      'marketing e-mail to a lead who may be in the EU/EEA/UK is sent without checking consent for marketing e-mail',
  },
  {
    kind: 'path',
    id: 'gdpr.marketing_sms_consent',
    law: 'GDPR / ePrivacy (EU, EEA, UK)',
    territory: GDPR_TERRITORY,
    appliesTo: { effects: ['sms'], purposes: ['marketing'], toLeadOnly: true },
    guards: [{ consent: { purposes: SMS_PURPOSES } }],
    insert: { consent: { purposes: ['sms'] } },
    message: 'marketing SMS to a lead who may be in the EU/EEA/UK is sent without checking consent for SMS',
  },
  {
    kind: 'step',
    id: 'canspam.unsubscribe_and_address',
    law: 'CAN-SPAM (US)',
    appliesTo: { effects: ['email'], purposes: ['marketing'], toLeadOnly: true },
    check: 'unsubscribe_and_address',
    message: 'commercial e-mail must carry an unsubscribe link and the sender’s postal address',
  },
  {
    kind: 'path',
    id: 'ccpa.no_sale_share_after_opt_out',
    law: 'CCPA / CPRA (US, California)',
    territory: ['US'],
    appliesTo: { effects: ['http', 'webhook', 'crm'], sharing: ['third_party'] },
    guards: [{ privacy: 'sale_share_allowed' }],
    insert: { privacy: 'sale_share_allowed' },
    message:
      'lead data goes to a third party (a sale or share) without checking that the person did not opt out of sale/sharing or send GPC',
  },
  {
    kind: 'path',
    id: 'tcpa.sms_written_consent',
    law: 'TCPA (US)',
    territory: ['US'],
    appliesTo: { effects: ['sms'], purposes: ['marketing', 'transactional'], toLeadOnly: true },
    guards: [{ consent: { purposes: SMS_PURPOSES, written: true } }],
    insert: { consent: { purposes: ['sms'], written: true } },
    message:
      'an SMS or automated call to a lead who may have a US number is made without prior express written consent',
  },
  {
    kind: 'step',
    id: 'hipaa.no_health_data_in_messages',
    law: 'Healthcare (HIPAA-style)',
    industry: 'healthcare',
    appliesTo: { effects: ['email', 'sms'] },
    check: 'no_health_data',
    message: 'health data must not be sent by e-mail or SMS',
  },
  {
    kind: 'step',
    id: 'hipaa.covered_endpoints',
    law: 'Healthcare (HIPAA-style)',
    industry: 'healthcare',
    appliesTo: { effects: ['http', 'webhook', 'crm', 'chat'] },
    check: 'covered_endpoint',
    message: 'health data may only go to an endpoint marked as covered by a business associate agreement',
  },
  {
    kind: 'step',
    id: 'workflow.opaque_step',
    law: 'Leadloop',
    appliesTo: { effects: ['unknown'] },
    check: 'not_opaque',
    message:
      'this step was imported but cannot run (code or an unsupported integration); replace it before activating',
  },
];
