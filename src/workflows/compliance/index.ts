/**
 * Workflow compliance: rules as data per jurisdiction and industry (GDPR/ePrivacy, CAN-SPAM,
 * CCPA/CPRA, TCPA, healthcare), the verifier that proves a guard precedes every covered action on
 * every path ({@link verifyWorkflow}), and {@link insertGuards} for templates and generation.
 */

export { insertGuards } from './insert-guards.ts';

export {
  EMAIL_MARKETING_PURPOSES,
  SMS_PURPOSES,
} from './rules.ts';

export type { Finding, Verification, VerifyOptions } from './verifier.ts';
export { verifyWorkflow } from './verifier.ts';
