/**
 * Workflow compliance: rules as data per jurisdiction and industry (GDPR/ePrivacy, CAN-SPAM,
 * CCPA/CPRA, TCPA, healthcare), the verifier that proves a guard precedes every covered action on
 * every path ({@link verifyWorkflow}), and {@link insertGuards} for templates and generation.
 */
export type { DominatorTree } from './dominators.ts';
export { computeDominators } from './dominators.ts';
export { provesGuard, provesOutside } from './implication.ts';
export type { AddedGuard, GuardedWorkflow } from './insert-guards.ts';
export { insertGuards } from './insert-guards.ts';
export type { ActionMatcher, ComplianceRule, GuardAtom, PathRule, StepCheckName, StepRule } from './rules.ts';
export {
  COMPLIANCE_RULES,
  DEFAULT_HEALTH_FIELDS,
  EMAIL_MARKETING_PURPOSES,
  GDPR_TERRITORY,
  SMS_PURPOSES,
} from './rules.ts';
export { matchesAction, sensitiveFields } from './step-checks.ts';
export type { Finding, Proof, Verification, VerifyOptions } from './verifier.ts';
export { verifyWorkflow } from './verifier.ts';
