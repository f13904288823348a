import { assertNever } from '../../core/index.ts';
import { EFFECT_CLASS, type Step, type Workflow } from '../dsl/index.ts';
import { type ActionMatcher, DEFAULT_HEALTH_FIELDS, type StepCheckName } from './rules.ts';

/** What a step check knows besides the step. */
export interface StepCheckContext {
  workflow: Workflow;
  /** The workspace sender's postal address; `null` when the workspace has none; `undefined` when unknown (the engine adds the workspace's). */
  senderPostalAddress: string | null | undefined;
}

/** Does `rule.appliesTo` cover this step? */
export function matchesAction(matcher: ActionMatcher, step: Step): boolean {
  const effect = EFFECT_CLASS[step.type];
  if (effect === null || !matcher.effects.includes(effect)) return false;
  if (step.type === 'send_email' || step.type === 'send_sms') {
    if (matcher.purposes && !matcher.purposes.includes(step.purpose)) return false;
    if (matcher.toLeadOnly && !addressesLead(step.to)) return false;
  }
  if (step.type === 'add_to_sequence' && matcher.purposes && !matcher.purposes.includes('marketing'))
    return false;
  if (
    matcher.sharing &&
    (step.type === 'http_request' ||
      step.type === 'webhook' ||
      step.type === 'crm_upsert' ||
      step.type === 'table_row')
  ) {
    const sharing =
      step.sharing ??
      (step.type === 'crm_upsert' || step.type === 'table_row' ? 'service_provider' : 'third_party');
    if (!matcher.sharing.includes(sharing)) return false;
  }
  return true;
}

/** An address template names the lead when it is `lead` or mentions the lead's e-mail / phone. */
function addressesLead(to: string): boolean {
  return to === 'lead' || /\{\{\s*lead\.(email|phone)\s*\}\}/.test(to);
}

/** The sensitive attribute names of a workflow (defaults plus `settings.sensitiveFields`). */
function sensitiveFields(workflow: Workflow): Set<string> {
  return new Set([...DEFAULT_HEALTH_FIELDS, ...(workflow.settings?.sensitiveFields ?? [])]);
}

/** Sensitive lead attributes a step's templates mention. */
function sensitiveReferences(step: Step, sensitive: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const m of JSON.stringify(step).matchAll(/lead\.attributes\.([A-Za-z0-9_-]+)/g)) {
    if (sensitive.has(m[1] as string)) found.add(m[1] as string);
  }
  return [...found];
}

function carriesHealthData(step: Step, sensitive: ReadonlySet<string>): string | null {
  if ('healthData' in step && step.healthData === true) return 'the step is marked as carrying health data';
  const refs = sensitiveReferences(step, sensitive);
  if (refs.length > 0) return `it uses ${refs.map((r) => `lead.attributes.${r}`).join(', ')}`;
  // A webhook without a payload sends the whole lead record, attributes included.
  if (step.type === 'webhook' && step.payload === undefined) return 'it sends the whole lead record';
  return null;
}

/** Runs a named check; returns the problem in words, or null when the step passes. */
export function runStepCheck(check: StepCheckName, step: Step, ctx: StepCheckContext): string | null {
  switch (check) {
    case 'unsubscribe_and_address': {
      if (step.type !== 'send_email') return null;
      if (step.unsubscribeLink === false) return 'the unsubscribe link is turned off';
      const address =
        step.postalAddress ?? ctx.workflow.settings?.sender?.postalAddress ?? ctx.senderPostalAddress;
      if (address === null || (typeof address === 'string' && address.trim() === '')) {
        return 'no sender postal address is set (step, workflow sender or workspace)';
      }
      return null;
    }
    case 'no_health_data': {
      const why = carriesHealthData(step, sensitiveFields(ctx.workflow));
      return why && step.type !== 'webhook' ? `health data in a message: ${why}` : null;
    }
    case 'covered_endpoint': {
      if ('covered' in step && step.covered === true) return null;
      const why = carriesHealthData(step, sensitiveFields(ctx.workflow));
      return why ? `the endpoint is not marked as covered and ${why}` : null;
    }
    case 'not_opaque':
      return step.type === 'opaque' ? `${step.origin.nodeType}: ${step.reason}` : null;
    default:
      return assertNever(check, 'step check');
  }
}
