import { EMAIL_MARKETING_PURPOSES, SMS_PURPOSES } from '../compliance/index.ts';
import type { Predicate, Workflow } from '../dsl/index.ts';
import type { GeneratedWorkflow, GenerationRefusal } from './generate.ts';

/**
 * The properties a generated workflow must have for a fixture goal
 * (`test/fixtures/workflow-goals/*.json`), checked by the test and the generation bench.
 */
export interface GoalExpectation {
  trigger?: string[];
  steps?: string[];
  /** `email_consent`, `sms_written_consent`, `sale_share`, `unsubscribe_link`. */
  guards?: string[];
  /** Rule ids the generator must report as added. */
  addedGuards?: string[];
  refuse?: boolean;
  reasonIncludes?: string;
}

export interface GoalFixture {
  goal: string;
  constraints?: Record<string, unknown>;
  expect: GoalExpectation;
  adversarial?: boolean;
}

function predicates(workflow: Workflow): Predicate[] {
  const out: Predicate[] = [];
  const walk = (p: Predicate): void => {
    out.push(p);
    if ('all' in p) p.all.forEach(walk);
    else if ('any' in p) p.any.forEach(walk);
    else if ('not' in p) walk(p.not);
  };
  for (const t of workflow.triggers) if (t.filter) walk(t.filter);
  for (const s of workflow.steps) {
    if (s.type === 'condition') walk(s.when);
    if (s.type === 'switch') for (const c of s.cases) walk(c.when);
  }
  return out;
}

const GUARD_TESTS: Record<string, (w: Workflow) => boolean> = {
  email_consent: (w) =>
    predicates(w).some(
      (p) => 'consent' in p && p.consent.purposes.some((x) => EMAIL_MARKETING_PURPOSES.includes(x)),
    ),
  sms_written_consent: (w) =>
    predicates(w).some(
      (p) =>
        'consent' in p &&
        p.consent.written === true &&
        p.consent.purposes.some((x) => SMS_PURPOSES.includes(x)),
    ),
  sale_share: (w) => predicates(w).some((p) => 'privacy' in p && p.privacy === 'sale_share_allowed'),
  unsubscribe_link: (w) => w.steps.every((s) => s.type !== 'send_email' || s.unsubscribeLink !== false),
};

/** The properties the result misses (empty: all met). */
export function unmetProperties(
  result: { ok: true; value: GeneratedWorkflow } | { ok: false; error: GenerationRefusal },
  expect: GoalExpectation,
): string[] {
  if (expect.refuse) {
    if (result.ok) return ['expected a refusal'];
    return expect.reasonIncludes &&
      !result.error.reason.toLowerCase().includes(expect.reasonIncludes.toLowerCase())
      ? [`refusal reason lacks "${expect.reasonIncludes}": ${result.error.reason}`]
      : [];
  }
  if (!result.ok) return [`refused: ${result.error.reason}`];
  const { workflow, verification, findings } = result.value;
  const missing: string[] = [];
  if (!verification.ok)
    missing.push(`does not verify: ${verification.findings.map((f) => f.rule).join(', ')}`);
  if (expect.trigger && !workflow.triggers.some((t) => expect.trigger?.includes(t.type))) {
    missing.push(
      `trigger ${workflow.triggers.map((t) => t.type).join(',')} not in ${expect.trigger.join('|')}`,
    );
  }
  for (const type of expect.steps ?? []) {
    if (!workflow.steps.some((s) => s.type === type)) missing.push(`no ${type} step`);
  }
  for (const guard of expect.guards ?? []) {
    const test = GUARD_TESTS[guard];
    if (!test?.(workflow)) missing.push(`no ${guard} guard`);
  }
  for (const rule of expect.addedGuards ?? []) {
    if (!findings.some((f) => f.rule === rule)) missing.push(`no finding that ${rule} was added`);
  }
  return missing;
}
