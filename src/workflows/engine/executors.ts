import { type Actor, assertNever, unreachable } from '../../core/index.ts';
import type { Db, WorkflowRunsTable } from '../../store/index.ts';
import {
  sendChatMessage,
  sendHttpRequest,
  sendSignedWebhook,
  upsertHubspotContact,
  upsertSalesforceLead,
  type WebhookSigner,
} from '../actions/connectors.ts';
import type { EmailSender } from '../actions/email.ts';
import { OutboundError, type SafeHttp } from '../actions/safe-http.ts';
import { sendTwilioMessage } from '../actions/sms.ts';
import type { CredentialStore } from '../credentials/credential-store.ts';
import type { WorkspaceWorkflowSettings } from '../credentials/settings-store.ts';
import type { Step, StepOf, Workflow } from '../dsl/index.ts';
import type { CouncilPort, LeadPatch, LeadPort, SplitWeights } from '../ports.ts';
import type { TemplateStore } from '../templates/template-store.ts';
import { evaluate, type RunScope, renderJson, renderText, templateView } from './evaluate.ts';
import { countryOfNumber, nextSendingWindow, recipientZones, toE164 } from './quiet-hours.ts';
import { chooseVariant, weightedTurn } from './split-choice.ts';
import { nextTimeOfDay } from './time.ts';

/** How long a `start_workflow` with `wait: true` waits for its child run before it fails. */
const CHILD_RUN_DEADLINE_MS = 30 * 86_400_000;

/** What one step does next: continue along an edge (or end), or wait until a due time. */
export type StepOutcome =
  | {
      kind: 'continue';
      next: string | undefined;
      output: Record<string, unknown>;
      status?: 'completed' | 'skipped';
    }
  | { kind: 'wait'; wakeAt: number; output: Record<string, unknown> };

/** A step failed; `retryable` decides between the step's retry policy and its error edge. */
export class StepFailure extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'StepFailure';
    this.retryable = retryable;
  }
}

export interface StepRuntime {
  db: Db;
  workspaceId: string;
  run: WorkflowRunsTable;
  workflow: Workflow;
  stepKey: string;
  scope: RunScope;
  settings: WorkspaceWorkflowSettings;
  /** run id + step key: the same on every attempt of this step, different for every other step. */
  idempotencyKey: string;
  now: number;
  signal: AbortSignal;
}

export interface ExecutorDeps {
  leads: LeadPort;
  council: CouncilPort | null;
  credentials: CredentialStore;
  templates: TemplateStore;
  http: SafeHttp;
  email: EmailSender | null;
  sign: WebhookSigner;
  unsubscribeUrl: (workspaceId: string, leadId: string) => string | null;
  /** Starts another workflow's run for the same lead (the `workflow` trigger); returns its id. */
  startChild(
    db: Db,
    workspaceId: string,
    input: {
      workflowId: string;
      version: number | 'latest';
      leadId: string | null;
      dedupeKey: string;
      parentRunId: string;
    },
  ): Promise<string | null>;
  /** The run's ordinal among its workflow's runs (round-robin assignment). */
  runOrdinal(db: Db, run: WorkflowRunsTable): Promise<number>;
  /** Weights of `split` steps set by the optimiser (absent: the steps' own weights). */
  splits?: SplitWeights;
  /** Uniform draws in [0, 1) (variant picks); seeded in tests. */
  random?: () => number;
}

const WORKFLOW_ACTOR = (run: WorkflowRunsTable): Actor => ({
  type: 'worker',
  id: `workflow:${run.workflow_id}`,
});

function leadOf(rt: StepRuntime): Record<string, unknown> {
  if (!rt.scope.lead) throw new StepFailure('this step needs a lead and the run has none', false);
  return rt.scope.lead;
}

async function credential<K extends Parameters<CredentialStore['reveal']>[3]>(
  deps: ExecutorDeps,
  rt: StepRuntime,
  name: string,
  kind: K,
) {
  const value = await deps.credentials.reveal(rt.db, { workspaceId: rt.workspaceId }, name, kind);
  if (!value)
    throw new StepFailure(`the credential "${name}" of kind ${kind} does not exist in this workspace`, false);
  return value;
}

const policy = (rt: StepRuntime) => ({ allow: rt.settings.egressAllow });

/** A stored template's pinned version: the one asked for, else the one current when the run started. */
async function storedTemplate(
  deps: ExecutorDeps,
  rt: StepRuntime,
  id: string,
  version: number | undefined,
  channel: 'email' | 'sms',
): Promise<{ version: number; subject?: string; text?: string; html?: string }> {
  const found = await deps.templates.resolve(rt.db, { workspaceId: rt.workspaceId }, id, {
    ...(version !== undefined ? { version } : {}),
    asOf: Number(rt.run.created_at),
  });
  if (!found)
    throw new StepFailure(
      `template ${id}${version ? ` v${version}` : ''} does not exist in this workspace`,
      false,
    );
  if (found.channel !== channel)
    throw new StepFailure(`template ${id} is an ${found.channel} template, not ${channel}`, false);
  return { version: found.version, ...found.content };
}

/** Turns connector errors into step failures that keep their retryability. */
async function outbound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StepFailure) throw error;
    if (error instanceof OutboundError) throw new StepFailure(error.message, error.retryable);
    throw new StepFailure((error as Error).message, true);
  }
}

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

async function updateLead(
  deps: ExecutorDeps,
  rt: StepRuntime,
  patch: LeadPatch,
  reason: string,
): Promise<void> {
  const lead = leadOf(rt);
  await deps.leads.update(
    rt.db,
    { workspaceId: rt.workspaceId },
    String(lead.id),
    patch,
    WORKFLOW_ACTOR(rt.run),
    reason,
  );
}

/** Runs one step. Effects carry `rt.idempotencyKey`; the engine memoises the outcome. */
export async function executeStep(step: Step, rt: StepRuntime, deps: ExecutorDeps): Promise<StepOutcome> {
  const go = (next: string | undefined, output: Record<string, unknown> = {}): StepOutcome => ({
    kind: 'continue',
    next,
    output,
  });
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
    case 'send_email': {
      if (!deps.email) throw new StepFailure('no SMTP server is configured (LEADLOOP_SMTP_URL)', false);
      const lead = rt.scope.lead;
      const to =
        step.to === 'lead' ? (lead?.email as string | null | undefined) : renderText(step.to, rt.scope);
      if (!to) throw new StepFailure('the recipient has no e-mail address', false);
      const commercial = step.purpose === 'marketing';
      const sender = rt.settings.sender;
      const from = step.from
        ? renderText(step.from, rt.scope)
        : (sender?.from ?? rt.workflow.settings?.sender?.email);
      if (!from)
        throw new StepFailure(
          'no sender: set the workspace sender (workflow settings) or the step’s from',
          false,
        );
      const postalAddress =
        step.postalAddress ?? sender?.postalAddress ?? rt.workflow.settings?.sender?.postalAddress ?? '';
      const unsubscribeUrl = commercial && lead ? deps.unsubscribeUrl(rt.workspaceId, String(lead.id)) : null;
      const stored = step.template
        ? await storedTemplate(deps, rt, step.template, step.templateVersion, 'email')
        : null;
      const subject = stored ? stored.subject : step.subject;
      const text = stored ? stored.text : step.body;
      const html = stored ? stored.html : step.html;
      const sent = await outbound(() =>
        (deps.email as EmailSender).send(
          { from, postalAddress, ...(sender?.replyTo ? { replyTo: sender.replyTo } : {}) },
          {
            to,
            subject: subject ?? '',
            ...(text !== undefined ? { text } : {}),
            ...(html !== undefined ? { html } : {}),
            commercial,
            ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
            idempotencyKey: rt.idempotencyKey,
          },
          templateView(rt.scope),
        ),
      );
      return go(step.next, {
        messageId: sent.messageId,
        accepted: sent.accepted.length,
        purpose: step.purpose,
        ...(stored ? { template: step.template, templateVersion: stored.version } : {}),
      });
    }
    case 'send_sms': {
      const lead = rt.scope.lead;
      const raw =
        step.to === 'lead' ? (lead?.phone as string | null | undefined) : renderText(step.to, rt.scope);
      if (!raw) throw new StepFailure('the recipient has no phone number', false);
      const leadCountry = typeof lead?.country === 'string' ? lead.country : null;
      const to = toE164(raw, leadCountry);
      if (!to) throw new StepFailure('the recipient’s phone number is not a number in E.164 form', false);
      const channel = step.channel ?? 'sms';
      if (step.purpose !== 'internal') {
        const zones = recipientZones({
          leadTimeZone: (lead?.attributes as Record<string, unknown> | undefined)?.timezone,
          numberCountry: countryOfNumber(to),
          leadCountry,
          fallback: rt.workflow.settings?.timezone ?? 'UTC',
        });
        const opens = nextSendingWindow(rt.now, zones);
        // Quiet hours: the step waits (a durable timer) and sends when the window opens.
        if (opens > rt.now)
          return {
            kind: 'wait',
            wakeAt: opens,
            output: { quietHours: true, until: new Date(opens).toISOString(), timeZones: [...zones] },
          };
      }
      const stored = step.template
        ? await storedTemplate(deps, rt, step.template, step.templateVersion, 'sms')
        : null;
      const body = stored ? stored.text : step.text;
      if (!body) throw new StepFailure('the SMS step has neither text nor a template', false);
      const account = await credential(deps, rt, step.credential ?? 'sms-provider', 'twilio');
      const result = await outbound(() =>
        sendTwilioMessage(
          { http: deps.http, policy: policy(rt), signal: rt.signal },
          { account, channel, to, text: renderText(body, rt.scope), idempotencyKey: rt.idempotencyKey },
        ),
      );
      return go(step.next, {
        status: result.status,
        country: countryOfNumber(to),
        ...result.summary,
        ...(stored ? { template: step.template, templateVersion: stored.version } : {}),
      });
    }
    case 'http_request': {
      const url = new URL(renderText(step.url, rt.scope));
      for (const [k, v] of Object.entries(step.query ?? {})) url.searchParams.set(k, renderText(v, rt.scope));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.headers ?? {})) headers[k] = renderText(v, rt.scope);
      if (step.credential) {
        const stored = await deps.credentials.reveal(
          rt.db,
          { workspaceId: rt.workspaceId },
          step.credential,
          'bearer_token',
        );
        const header = stored
          ? null
          : await deps.credentials.reveal(rt.db, { workspaceId: rt.workspaceId }, step.credential, 'header');
        if (stored) headers.authorization = `Bearer ${stored.token}`;
        else if (header) headers[header.name] = header.value;
        else
          throw new StepFailure(
            `the credential "${step.credential}" (bearer_token or header) does not exist`,
            false,
          );
      }
      const method = step.method === 'HEAD' ? 'GET' : step.method;
      const result = await outbound(() =>
        sendHttpRequest(
          { http: deps.http, policy: policy(rt), signal: rt.signal },
          {
            method,
            url: url.toString(),
            headers,
            ...(step.body !== undefined ? { body: renderJson(step.body, rt.scope) } : {}),
            idempotencyKey: rt.idempotencyKey,
          },
        ),
      );
      let body: unknown = result.body;
      try {
        body = JSON.parse(result.body);
      } catch {}
      return go(step.next, {
        status: result.status,
        ...(step.saveAs ? { saveAs: step.saveAs, response: body } : {}),
        ...result.summary,
      });
    }
    case 'webhook': {
      const secret = await credential(deps, rt, step.secret, 'webhook_secret');
      const data =
        step.payload !== undefined
          ? renderJson(step.payload, rt.scope)
          : { leadId: rt.run.lead_id, runId: rt.run.id };
      const result = await outbound(() =>
        sendSignedWebhook(
          { http: deps.http, policy: policy(rt), signal: rt.signal, sign: deps.sign, nowMs: rt.now },
          {
            url: renderText(step.url, rt.scope),
            secret: secret.secret,
            idempotencyKey: rt.idempotencyKey,
            payload: { type: step.event, timestamp: new Date(rt.now).toISOString(), data },
          },
        ),
      );
      return go(step.next, { status: result.status, ...result.summary });
    }
    case 'chat_message': {
      const hook = await credential(deps, rt, step.webhook, 'chat_webhook');
      const result = await outbound(() =>
        sendChatMessage(
          { http: deps.http, policy: policy(rt), signal: rt.signal },
          { channel: step.channel, webhookUrl: hook.url, text: renderText(step.text, rt.scope) },
        ),
      );
      return go(step.next, { status: result.status, ...result.summary });
    }
    case 'crm_upsert': {
      const lead = leadOf(rt);
      const email = lead.email as string | null;
      if (!email) throw new StepFailure('the lead has no e-mail to match the CRM record on', false);
      const properties: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.fields ?? {})) properties[k] = renderText(v, rt.scope);
      const deps2 = { http: deps.http, policy: policy(rt), signal: rt.signal };
      const result =
        step.provider === 'hubspot'
          ? await (async () => {
              const c = await credential(deps, rt, step.credential, 'hubspot');
              return outbound(() =>
                upsertHubspotContact(deps2, {
                  ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
                  token: c.token,
                  idempotencyKey: rt.idempotencyKey,
                  record: { email, properties },
                }),
              );
            })()
          : await (async () => {
              const c = await credential(deps, rt, step.credential, 'salesforce');
              return outbound(() =>
                upsertSalesforceLead(deps2, {
                  instanceUrl: c.instanceUrl,
                  token: c.token,
                  ...(c.externalIdField ? { externalIdField: c.externalIdField } : {}),
                  record: { email, properties },
                }),
              );
            })();
      return go(step.next, { status: result.status, ...result.summary });
    }
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
