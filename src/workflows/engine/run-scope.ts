import type { Db, WorkflowRunsTable, WorkflowStepsTable } from '../../store/index.ts';
import { SMS_PURPOSES } from '../compliance/index.ts';
import { EFFECT_CLASS, type Step, type Workflow } from '../dsl/index.ts';
import type { ConsentPort, LeadPort, WorkflowLead } from '../ports.ts';
import { evaluate, leadView, type RunScope, readsConsent } from './evaluate.ts';
import type { StepOutcome } from './executors.ts';
import { countryOfNumber, toE164 } from './quiet-hours.ts';
import { parseOutput } from './run-store.ts';

/**
 * Steps whose only effects are database writes (conditions, variables, lead updates, assignment,
 * loops, starting another workflow): their effect and their memo commit in one transaction, so
 * they cannot half-happen. After another step they run in the transaction that records it; as a
 * job of their own (a run's first step, or after a wait) in the transaction that records them.
 */
export const DATABASE_ONLY: ReadonlySet<Step['type']> = new Set<Step['type']>([
  'condition',
  'switch',
  'set_vars',
  'collect',
  'render',
  'html_extract',
  'noop',
  'loop',
  'update_lead',
  'assign_owner',
  'add_to_sequence',
  'start_workflow',
]);

/** Steps after which the run's view of the lead is read again (they change it). */
export const CHANGES_LEAD: ReadonlySet<Step['type']> = new Set<Step['type']>([
  'update_lead',
  'assign_owner',
  'add_to_sequence',
]);

/** Steps whose output's `vars` become run variables (a loop's item, collected lists). */
const VARS_FROM_OUTPUT: ReadonlySet<Step['type']> = new Set<Step['type']>([
  'set_vars',
  'loop',
  'collect',
  'html_extract',
]);

/** Folds a finished step's output into the scope the next steps read. */
export function absorb(
  scope: RunScope,
  step: Pick<Step, 'id' | 'type'>,
  output: Record<string, unknown>,
): void {
  scope.steps[step.id] = output;
  if (VARS_FROM_OUTPUT.has(step.type) && output.vars && typeof output.vars === 'object')
    Object.assign(scope.vars, output.vars);
  if (typeof output.saveAs === 'string') scope.vars[output.saveAs] = output.response;
  if (step.type === 'loop' && output.entered)
    scope.loop[step.id] = { index: Number(output.index), item: output.item ?? null };
}

const READS_CONSENT_STATE: ReadonlySet<Step['type']> = new Set<Step['type']>([
  'send_email',
  'send_sms',
  'add_to_sequence',
]);

/**
 * Whether running `step` (and the database-only steps after it) may read the lead's consent state:
 * a workflow with a consent or privacy condition anywhere, or a step whose run-time checks read it.
 * Otherwise the state is not read at all (a query saved on most steps).
 */
export function needsConsent(step: Step, wf: Workflow): boolean {
  if (READS_CONSENT_STATE.has(step.type) || ('sharing' in step && step.sharing === 'third_party'))
    return true;
  return wf.steps.some(
    (s) =>
      (s.type === 'condition' && readsConsent(s.when)) ||
      (s.type === 'switch' && s.cases.some((c) => readsConsent(c.when))),
  );
}

/** Everything a step may read, rebuilt from the stored rows: a resumed run sees what it saw. */
export async function scopeOf(
  db: Db,
  ports: { leads: LeadPort; consent: ConsentPort },
  run: WorkflowRunsTable,
  rows: WorkflowStepsTable[],
  withConsent = true,
): Promise<RunScope> {
  const ctx = { workspaceId: run.workspace_id };
  const lead: WorkflowLead | null = run.lead_id ? await ports.leads.find(db, ctx, run.lead_id) : null;
  const scope: RunScope = {
    lead: lead ? leadView(lead) : null,
    trigger: JSON.parse(run.input) as Record<string, unknown>,
    vars: {},
    steps: {},
    loop: {},
    consent: lead && withConsent ? await ports.consent.stateOf(db, ctx, lead.id) : null,
  };
  for (const row of rows) {
    if (row.status !== 'completed') continue;
    absorb(scope, { id: row.step_id, type: row.type as Step['type'] }, parseOutput(row));
  }
  return scope;
}

/** Loop entries are counted from the loop's previous visits since it last exited. */
export function loopOutcome(
  step: Extract<Step, { type: 'loop' }>,
  rows: WorkflowStepsTable[],
  scope: RunScope,
): StepOutcome {
  const previous = rows.filter((r) => r.step_id === step.id && r.status === 'completed').at(-1);
  const last = previous ? parseOutput(previous) : null;
  const index = last?.entered ? Number(last.index) + 1 : 0;
  let items: unknown[] | null = null;
  if (step.over) {
    const value = step.over
      .split('.')
      .reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        scope,
      );
    items = Array.isArray(value) ? value : [];
  }
  const more = index < step.maxIterations && (items === null || index < items.length);
  if (!more) return { kind: 'continue', next: step.next, output: { entered: false, iterations: index } };
  const item = items ? items[index] : null;
  return {
    kind: 'continue',
    next: step.body,
    output: { entered: true, index, item, ...itemVars(step, item) },
  };
}

/** The run variables a loop's item sets (`as`, `spread`); none without them. */
function itemVars(step: Extract<Step, { type: 'loop' }>, item: unknown): { vars?: Record<string, unknown> } {
  if (step.spread && item !== null && typeof item === 'object' && !Array.isArray(item)) {
    const vars = Object.fromEntries(
      Object.entries(item as Record<string, unknown>).filter(([k]) => /^[A-Za-z0-9_-]{1,64}$/.test(k)),
    );
    return { vars };
  }
  return step.as ? { vars: { [step.as]: item ?? null } } : {};
}

/**
 * Consent can be withdrawn while a run waits: before an outbound action to the lead, every
 * consent or privacy condition the run passed is evaluated again against today's state, and
 * marketing to an unsubscribed person or third-party sharing after an opt-out never happens.
 */
export function suppression(
  step: Step,
  wf: Workflow,
  rows: WorkflowStepsTable[],
  scope: RunScope,
): string | null {
  const effect = EFFECT_CLASS[step.type];
  if (!effect || effect === 'ai' || effect === 'unknown' || !scope.lead) return null;
  if (step.type === 'send_email' && step.to !== 'lead') return null;
  const byId = new Map(wf.steps.map((s) => [s.id, s]));
  for (const row of rows) {
    if (row.status !== 'completed' || row.type !== 'condition') continue;
    const condition = byId.get(row.step_id);
    if (condition?.type !== 'condition' || !readsConsent(condition.when)) continue;
    const took = parseOutput(row).branch === 'onTrue';
    if (evaluate(condition.when, scope) !== took)
      return `consent changed since condition ${condition.id}: it would now take the other branch`;
  }
  const state = scope.consent;
  if (
    state?.unsubscribed &&
    ((step.type === 'send_email' && step.purpose === 'marketing') || step.type === 'add_to_sequence')
  )
    return 'the person unsubscribed';
  // TCPA: an SMS or automated call to a US number needs prior express written consent, checked
  // again here because it can be withdrawn while the run waits (quiet hours included).
  if (step.type === 'send_sms' && step.to === 'lead' && step.purpose !== 'internal') {
    const phone = typeof scope.lead.phone === 'string' ? scope.lead.phone : '';
    const country = typeof scope.lead.country === 'string' ? scope.lead.country : null;
    const number = toE164(phone, country);
    const written = state?.writtenPurposes.some((p) => SMS_PURPOSES.includes(p)) ?? false;
    if (number && countryOfNumber(number) === 'US' && !written)
      return 'no prior express written consent for SMS or automated calls to a US number (TCPA)';
  }
  const sharing = 'sharing' in step ? step.sharing : undefined;
  if (state?.saleShareOptOut && sharing === 'third_party')
    return 'the person opted out of sale/share (or sent GPC)';
  return null;
}
