import { assertNever, unreachable } from '../../core/index.ts';
import type { Step, StepOf } from '../dsl/index.ts';
import type { LeadPatch } from '../ports.ts';
import { collectStep, htmlExtractStep, renderStep } from './data-executors.ts';
import { evaluate, renderJson, renderText } from './evaluate.ts';
import {
  type ExecutorDeps,
  go,
  leadOf,
  outbound,
  StepFailure,
  type StepOutcome,
  type StepRuntime,
  updateLead,
} from './executor-kit.ts';
import { chatMessageStep, sendEmailStep, sendSmsStep } from './message-executors.ts';
import { crmUpsertStep, httpRequestStep, tableRowStep, webhookStep } from './record-executors.ts';
import { chooseVariant, weightedTurn } from './split-choice.ts';
import { nextTimeOfDay } from './time.ts';

export { type ExecutorDeps, StepFailure, type StepOutcome, type StepRuntime } from './executor-kit.ts';

/** How long a `start_workflow`/** How long a `start_workflow` with `wait: true` waits for its child run before it fails. */
const CHILD_RUN_DEADLINE_MS = 30 * 86_400_000;

function waitUntil(step: StepOf<'wait'>, rt: StepRuntime): number {
  const spec = step.wait;
  switch (spec.kind) {
    case 'duration':
      return rt.now + spec.ms;
    case 'event':
      return rt.now + spec.timeoutMs;
    case 'until': {
      if (spec.at !== undefined) {
        const at = Date.parse(renderText(spec.at, rt.scope));
        if (Number.isNaN(at)) throw new StepFailure(`wait "until" did not yield a time: ${spec.at}`, false);
        return Math.max(at, rt.now);
      }
      const tz = spec.timezone ?? rt.workflow.settings?.timezone ?? 'UTC';
      return nextTimeOfDay(rt.now, spec.timeOfDay as string, tz, spec.weekdays);
    }
    default:
      return assertNever(spec, 'wait');
  }
}

async function assignOwner(
  step: StepOf<'assign_owner'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<string | null> {
  const lead = leadOf(rt);
  const owners = step.owners;
  switch (step.strategy) {
    case 'round_robin': {
      const ordinal = await deps.runOrdinal(rt.db, rt.run);
      const learned = (await deps.splits?.current(rt.db, rt, rt.run.workflow_id, step.id)) ?? null;
      if (!learned && owners.every((o) => o.weight === undefined))
        return owners[ordinal % owners.length]?.id ?? step.fallbackOwner ?? null;
      const weights = owners.map((o) => ({ id: o.id, weight: learned?.[o.id] ?? o.weight ?? 1 }));
      return weightedTurn(weights, ordinal) ?? step.fallbackOwner ?? null;
    }
    case 'territory': {
      const places = [lead.country, lead.region]
        .filter((v): v is string => typeof v === 'string')
        .map((v) => v.toUpperCase());
      const match = owners.find((o) => o.territories?.some((t) => places.includes(t.toUpperCase())));
      return match?.id ?? step.fallbackOwner ?? null;
    }
    case 'capacity': {
      const counts =
        (await deps.leads.countOpenByOwner?.(
          rt.db,
          { workspaceId: rt.workspaceId },
          owners.map((o) => o.id),
        )) ?? {};
      const open = owners
        .filter((o) => o.capacity === undefined || (counts[o.id] ?? 0) < o.capacity)
        .sort((a, b) => (counts[a.id] ?? 0) - (counts[b.id] ?? 0));
      return open[0]?.id ?? step.fallbackOwner ?? null;
    }
    default:
      return assertNever(step.strategy, 'strategy');
  }
}

/** Runs one step. Effects carry `rt.idempotencyKey`; the engine memoises the outcome. */
export async function executeStep(step: Step, rt: StepRuntime, deps: ExecutorDeps): Promise<StepOutcome> {
  switch (step.type) {
    case 'condition': {
      const result = evaluate(step.when, rt.scope);
      return go(result ? step.onTrue : step.onFalse, { branch: result ? 'onTrue' : 'onFalse' });
    }
    case 'switch': {
      const index = step.cases.findIndex((c) => evaluate(c.when, rt.scope));
      return index >= 0
        ? go(step.cases[index]?.next, { case: index })
        : go(step.default, { case: 'default' });
    }
    case 'split': {
      const current = (await deps.splits?.current(rt.db, rt, rt.run.workflow_id, step.id)) ?? null;
      const chosen = chooseVariant(step, current, deps.random ?? Math.random);
      return go(chosen.next, { variant: chosen.name, share: chosen.weight });
    }
    case 'wait':
      return {
        kind: 'wait',
        wakeAt: waitUntil(step, rt),
        output:
          step.wait.kind === 'event' ? { waitingFor: step.wait.event, match: step.wait.match ?? null } : {},
      };
    case 'send_email':
      return sendEmailStep(step, rt, deps);
    case 'send_sms':
      return sendSmsStep(step, rt, deps);
    case 'http_request':
      return httpRequestStep(step, rt, deps);
    case 'webhook':
      return webhookStep(step, rt, deps);
    case 'chat_message':
      return chatMessageStep(step, rt, deps);
    case 'crm_upsert':
      return crmUpsertStep(step, rt, deps);
    case 'table_row':
      return tableRowStep(step, rt, deps);
    case 'assign_owner': {
      const owner = await assignOwner(step, rt, deps);
      if (!owner) throw new StepFailure('no owner matched and the step has no fallbackOwner', false);
      await updateLead(deps, rt, { owner }, `assigned by workflow step ${step.id} (${step.strategy})`);
      return go(step.next, { owner, strategy: step.strategy });
    }
    case 'update_lead': {
      const attributes: Record<string, string | number | boolean | null> = {};
      const fields: Record<string, string | number | boolean | null> = {};
      for (const [key, value] of Object.entries(step.set ?? {})) {
        const rendered = typeof value === 'string' ? renderText(value, rt.scope) : value;
        if (key.startsWith('attributes.')) attributes[key.slice('attributes.'.length)] = rendered;
        else fields[key] = rendered;
      }
      const patch: LeadPatch = {
        ...(Object.keys(attributes).length > 0 || Object.keys(fields).length > 0
          ? { attributes: { ...attributes, ...fields } }
          : {}),
        ...(step.addTags ? { tagsAdd: step.addTags } : {}),
        ...(step.removeTags ? { tagsRemove: step.removeTags } : {}),
        ...(step.status ? { status: step.status } : {}),
      };
      await updateLead(deps, rt, patch, `updated by workflow step ${step.id}`);
      return go(step.next, {
        fields: Object.keys(step.set ?? {}),
        tagsAdded: step.addTags ?? [],
        tagsRemoved: step.removeTags ?? [],
        status: step.status ?? null,
      });
    }
    case 'ask_council': {
      if (!deps.council)
        throw new StepFailure('the council is not available to workflows in this process', false);
      const lead = leadOf(rt);
      const answer = await outbound(() =>
        (deps.council as NonNullable<ExecutorDeps['council']>).ask(
          { workspaceId: rt.workspaceId },
          { leadId: String(lead.id), question: renderText(step.question, rt.scope), signal: rt.signal },
        ),
      );
      const branch = step.branches.find((b) => b.decision === answer.decision);
      const output = {
        decisionId: answer.decisionId,
        decision: answer.decision,
        confidence: answer.confidence,
        ...(step.saveAs ? { saveAs: step.saveAs, response: answer } : {}),
      };
      return go(branch ? branch.next : step.default, output);
    }
    case 'add_to_sequence':
      await updateLead(
        deps,
        rt,
        { attributes: { sequence: step.sequence }, tagsAdd: [`sequence:${step.sequence}`] },
        `enrolled in sequence ${step.sequence} by workflow step ${step.id}`,
      );
      return go(step.next, { sequence: step.sequence });
    case 'start_workflow': {
      const child = await deps.startChild(rt.db, rt.workspaceId, {
        workflowId: step.workflowId,
        version: step.version ?? 'latest',
        leadId: rt.run.lead_id,
        dedupeKey: `parent:${rt.idempotencyKey}`,
        parentRunId: rt.run.id,
      });
      if (!child) throw new StepFailure(`workflow ${step.workflowId} is not active in this workspace`, false);
      // Waiting: the child's end wakes this step (the engine's `resumeParent`); the timer is its deadline.
      if (step.wait)
        return {
          kind: 'wait',
          wakeAt: rt.now + CHILD_RUN_DEADLINE_MS,
          output: { childRunId: child, waitingForRun: child },
        };
      return go(step.next, { childRunId: child, waited: false });
    }
    case 'loop':
      // The engine decides loop entries (it knows the previous visits); see `loopOutcome`.
      return unreachable('loop steps are handled by the engine');
    case 'set_vars': {
      const vars: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(step.values)) vars[k] = renderJson(v, rt.scope);
      return go(step.next, { vars });
    }
    case 'collect':
      return collectStep(step, rt);
    case 'render':
      return renderStep(step, rt);
    case 'html_extract':
      return htmlExtractStep(step, rt);
    case 'noop':
      return go(step.next);
    case 'opaque':
      throw new StepFailure(
        `step ${step.id} is an imported ${step.origin.nodeType} node that Leadloop does not run: ${step.reason}`,
        false,
      );
    default:
      return assertNever(step, 'step');
  }
}
