import {
  type JsonTemplate,
  type Predicate,
  type Step,
  stepSchema,
  type Trigger,
  triggerSchema,
} from '../dsl/index.ts';
import { predicateFromN8n } from './conditions.ts';
import { type RefContext, templateFromN8n } from './expressions.ts';
import { cronFromCronNode, cronFromScheduleRule } from './schedule.ts';

/**
 * One n8n node → a Leadloop trigger, step or note, without its edges (the importer wires them
 * from `connections`). Each result says whether the node was mapped, approximated (runs, but not
 * exactly as in n8n: the reasons say how) or unmapped (kept as an opaque step that never runs).
 */

export interface N8nNode {
  id?: string;
  name: string;
  type: string;
  typeVersion?: number;
  position?: [number, number];
  parameters?: Record<string, unknown>;
  credentials?: Record<string, unknown>;
  disabled?: boolean;
  notes?: string;
  onError?: string;
  webhookId?: string;
}

export type Outcome = 'mapped' | 'approximated' | 'unmapped';

/** A step without edges; the importer adds them. */
type Unwired = Step;

export type NodeMapping =
  | { kind: 'trigger'; triggers: Trigger[]; outcome: Outcome; reasons: string[] }
  | { kind: 'step'; step: Unwired; outcome: Outcome; reasons: string[] }
  | { kind: 'note'; text: string; size?: [number, number] };

export interface MapContext extends RefContext {
  id: string;
  timezone: string;
}

type Mapper = (node: N8nNode, p: Record<string, unknown>, ctx: MapContext) => NodeMapping;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Collects template conversions and whether all were exact. */
function templater(ctx: MapContext) {
  const reasons: string[] = [];
  const t = (value: unknown, what: string): string => {
    const c = templateFromN8n(value, ctx);
    if (!c.exact) reasons.push(`${what}: a JavaScript expression is kept as text and not evaluated`);
    return c.text.slice(0, 20_000);
  };
  return { t, reasons };
}

function outcomeOf(reasons: string[]): Outcome {
  return reasons.length === 0 ? 'mapped' : 'approximated';
}

function opaque(node: N8nNode, reason: string): NodeMapping {
  const step: Step = {
    id: '',
    type: 'opaque',
    origin: {
      system: 'n8n',
      nodeType: node.type,
      ...(node.typeVersion !== undefined ? { typeVersion: node.typeVersion } : {}),
      ...(node.parameters ? { parameters: node.parameters } : {}),
    },
    reason,
  };
  return { kind: 'step', step, outcome: 'unmapped', reasons: [reason] };
}

function step(s: Record<string, unknown>, reasons: string[]): NodeMapping {
  return { kind: 'step', step: { id: '', ...s } as Step, outcome: outcomeOf(reasons), reasons };
}

const WEBHOOK_PUSH_TRIGGERS = new Set([
  'formTrigger',
  'typeformTrigger',
  'jotFormTrigger',
  'calendlyTrigger',
  'hubspotTrigger',
  'pipedriveTrigger',
  'stripeTrigger',
  'activeCampaignTrigger',
  'mailchimpTrigger',
  'acuitySchedulingTrigger',
  'surveyMonkeyTrigger',
  'webflowTrigger',
  'wufooTrigger',
  'formstackTrigger',
  'salesforceTrigger',
]);

const UNIT_MS: Record<string, number> = {
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};
const MAX_WAIT_MS = 366 * 86_400_000;

function webhookPath(raw: unknown): string | undefined {
  const s = str(raw)
    ?.toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63);
  return s && /^[a-z0-9][a-z0-9-]{0,62}$/.test(s) ? s : undefined;
}

function condition(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const when = predicateFromN8n(p, ctx, node.typeVersion ?? 1);
  if (when) return step({ type: 'condition', when }, []);
  const fallback: Predicate = { field: `vars.${ctx.id.slice(0, 56)}_passed`, op: 'eq', value: true };
  return step({ type: 'condition', when: fallback }, [
    `the condition uses expressions Leadloop cannot read; it now tests vars.${ctx.id.slice(0, 56)}_passed — rewrite it`,
  ]);
}

function switchNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const version = node.typeVersion ?? 1;
  const reasons: string[] = [];
  if (version >= 3) {
    if (p.mode === 'expression')
      return opaque(node, 'a Switch in expression mode computes its output in JavaScript');
    const values = ((p.rules as Record<string, unknown> | undefined)?.values ?? []) as Record<
      string,
      unknown
    >[];
    const cases = values.map((rule, i) => {
      const when = predicateFromN8n((rule ?? {}) as Record<string, unknown>, ctx, 2);
      if (when) return { when };
      reasons.push(`rule ${i + 1} uses expressions Leadloop cannot read`);
      return { when: { field: `vars.${ctx.id.slice(0, 50)}_rule${i}`, op: 'eq', value: true } as Predicate };
    });
    if (cases.length === 0) return opaque(node, 'a Switch without rules');
    return step({ type: 'switch', cases }, reasons);
  }
  const rules = ((p.rules as Record<string, unknown> | undefined)?.rules ?? []) as Record<string, unknown>[];
  const cases = rules.map((rule, i) => {
    const when = predicateFromN8n(
      {
        conditions: {
          [String(p.dataType ?? 'number')]: [
            { value1: p.value1, operation: rule.operation, value2: rule.value2 },
          ],
        },
      },
      ctx,
      1,
    );
    if (when) return { when };
    reasons.push(`rule ${i + 1} uses expressions Leadloop cannot read`);
    return { when: { field: `vars.${ctx.id.slice(0, 50)}_rule${i}`, op: 'eq', value: true } as Predicate };
  });
  if (p.mode === 'expression' || cases.length === 0)
    return opaque(node, 'a Switch in expression mode computes its output in JavaScript');
  return step({ type: 'switch', cases }, reasons);
}

function setNode(_node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const values: Record<string, JsonTemplate> = {};
  const put = (name: unknown, value: unknown): void => {
    const raw = String(name ?? '');
    const key = raw.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || 'value';
    if (key !== raw) reasons.push(`field "${raw}" is stored as vars.${key}`);
    values[key] = typeof value === 'string' ? t(value, `field ${key}`) : ((value ?? null) as JsonTemplate);
  };
  const assignments = (p.assignments as Record<string, unknown> | undefined)?.assignments;
  if (Array.isArray(assignments))
    for (const a of assignments as Record<string, unknown>[]) put(a.name, a.value);
  const fields = (p.fields as Record<string, unknown> | undefined)?.values;
  if (Array.isArray(fields)) {
    for (const f of fields as Record<string, unknown>[]) {
      put(f.name, f.stringValue ?? f.numberValue ?? f.booleanValue ?? f.arrayValue ?? f.objectValue ?? null);
    }
  }
  const v1 = p.values as Record<string, unknown> | undefined;
  if (v1 && typeof v1 === 'object') {
    for (const type of ['string', 'number', 'boolean']) {
      const list = v1[type];
      if (Array.isArray(list)) for (const f of list as Record<string, unknown>[]) put(f.name, f.value);
    }
  }
  if (p.mode === 'raw' || p.jsonOutput !== undefined) {
    put('json', p.jsonOutput ?? '');
    reasons.push('raw JSON output is kept as one template in vars.json');
  }
  return step({ type: 'set_vars', values }, reasons);
}

function waitNode(_node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const resume = str(p.resume) ?? 'timeInterval';
  if (resume === 'timeInterval') {
    const amount = typeof p.amount === 'number' ? p.amount : p.amount === undefined ? 1 : Number.NaN;
    const unit = UNIT_MS[str(p.unit) ?? 'hours'] ?? 3_600_000;
    if (!Number.isFinite(amount)) reasons.push('the wait amount is an expression; it is set to one unit');
    const ms = Math.min(MAX_WAIT_MS, Math.max(1, Math.round((Number.isFinite(amount) ? amount : 1) * unit)));
    return step({ type: 'wait', wait: { kind: 'duration', ms } }, reasons);
  }
  if (resume === 'specificTime') {
    return step({ type: 'wait', wait: { kind: 'until', at: t(p.dateTime ?? '', 'date and time') } }, reasons);
  }
  let timeoutMs = MAX_WAIT_MS;
  if (p.limitWaitTime === true && p.limitType !== 'atSpecifiedTime') {
    const amount = typeof p.resumeAmount === 'number' ? p.resumeAmount : 1;
    timeoutMs = Math.min(
      MAX_WAIT_MS,
      Math.max(1, Math.round(amount * (UNIT_MS[str(p.resumeUnit) ?? 'hours'] ?? 3_600_000))),
    );
  } else {
    reasons.push(
      p.limitWaitTime === true
        ? 'a time limit at a date becomes the longest wait (366 days)'
        : 'n8n waits without limit; Leadloop waits at most 366 days',
    );
  }
  reasons.push(`resuming by ${resume} becomes waiting for the workflow's webhook event`);
  return step({ type: 'wait', wait: { kind: 'event', event: 'webhook.received', timeoutMs } }, reasons);
}

function emailNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const isGmail = node.type.endsWith('.gmail');
  if (isGmail) {
    const op = str(p.operation) ?? 'send';
    if ((p.resource ?? 'message') !== 'message' || (op !== 'send' && op !== 'reply')) {
      return opaque(node, `Gmail ${String(p.resource ?? 'message')} ${op} has no Leadloop step`);
    }
    if (op === 'reply') reasons.push('a Gmail reply becomes a new e-mail');
  }
  const toRaw = isGmail ? p.sendTo : p.toEmail;
  const to = t(toRaw ?? '', 'recipient');
  const body = t(isGmail ? p.message : (p.text ?? ''), 'body');
  const html = isGmail
    ? p.emailType !== 'text'
    : p.emailFormat === 'html' || (p.html !== undefined && p.text === undefined);
  return step(
    {
      type: 'send_email',
      to: to === '{{lead.email}}' ? 'lead' : to,
      purpose: 'marketing',
      subject: t(p.subject ?? '', 'subject'),
      ...(html ? { html: isGmail ? body : t(p.html ?? '', 'html') } : { body }),
      ...(str(p.fromEmail) ? { from: t(p.fromEmail, 'from') } : {}),
    },
    reasons,
  );
}

function slackNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const isTeams = node.type.endsWith('.microsoftTeams');
  const resource = str(p.resource) ?? (isTeams ? 'channelMessage' : 'message');
  const operation = str(p.operation) ?? (isTeams ? 'create' : 'post');
  const ok = isTeams
    ? ['channelMessage', 'chatMessage'].includes(resource) && operation === 'create'
    : resource === 'message' && operation === 'post';
  if (!ok)
    return opaque(node, `${isTeams ? 'Teams' : 'Slack'} ${resource} ${operation} has no Leadloop step`);
  reasons.push('the channel is set by the incoming-webhook credential named in `webhook`');
  return step(
    {
      type: 'chat_message',
      channel: isTeams ? 'teams' : 'slack',
      webhook: isTeams ? 'teams' : 'slack',
      text: t(p.text ?? p.message ?? '', 'text'),
    },
    reasons,
  );
}

const CRM_OBJECT: Record<string, 'contact' | 'lead' | 'company' | 'deal'> = {
  contact: 'contact',
  lead: 'lead',
  company: 'company',
  account: 'company',
  deal: 'deal',
  opportunity: 'deal',
};

function crmNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const provider = node.type.endsWith('.hubspot') ? 'hubspot' : 'salesforce';
  const resource = str(p.resource) ?? (provider === 'hubspot' ? 'deal' : 'lead');
  const operation =
    str(p.operation) ?? (provider === 'hubspot' && resource === 'contact' ? 'upsert' : 'create');
  const object = CRM_OBJECT[resource];
  if (!object || !['create', 'upsert', 'update'].includes(operation)) {
    return opaque(node, `${provider} ${resource} ${operation} has no Leadloop step`);
  }
  const fields: Record<string, string> = {};
  for (const key of ['email', 'name', 'lastname', 'company', 'firstname', 'title', 'stage']) {
    if (p[key] !== undefined && typeof p[key] !== 'object') fields[key] = t(p[key], key);
  }
  const extra = (p.additionalFields ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      fields[key.slice(0, 100)] = t(value, key);
    else reasons.push(`the ${key} field group is left out`);
  }
  if (operation !== 'upsert') reasons.push(`${operation} becomes an upsert`);
  return step(
    {
      type: 'crm_upsert',
      provider,
      object,
      credential: provider,
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    },
    reasons,
  );
}

function httpNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const v4 = (node.typeVersion ?? 1) >= 3;
  const method = String((v4 ? p.method : p.requestMethod) ?? 'GET').toUpperCase();
  if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].includes(method))
    return opaque(node, `HTTP method ${method}`);
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  const list = (group: unknown, key: string): Record<string, unknown>[] =>
    ((group as Record<string, unknown> | undefined)?.[key] ?? []) as Record<string, unknown>[];
  const headerList = v4 ? list(p.headerParameters, 'parameters') : list(p.headerParametersUi, 'parameter');
  for (const h of headerList)
    if (h.name) headers[String(h.name).slice(0, 200)] = t(h.value ?? '', `header ${String(h.name)}`);
  const queryList = v4 ? list(p.queryParameters, 'parameters') : list(p.queryParametersUi, 'parameter');
  for (const q of queryList)
    if (q.name) query[String(q.name).slice(0, 200)] = t(q.value ?? '', `query ${String(q.name)}`);
  let body: JsonTemplate | undefined;
  const rawJson = v4
    ? p.specifyBody === 'json'
      ? p.jsonBody
      : undefined
    : p.jsonParameters
      ? p.bodyParametersJson
      : undefined;
  if (rawJson !== undefined) {
    const text = t(rawJson, 'JSON body');
    try {
      body = JSON.parse(text) as JsonTemplate;
    } catch {
      body = text;
      reasons.push('the JSON body is not plain JSON; it is sent as a text template');
    }
  } else {
    const pairs = v4 ? list(p.bodyParameters, 'parameters') : list(p.bodyParametersUi, 'parameter');
    if (pairs.length > 0) {
      const obj: Record<string, JsonTemplate> = {};
      for (const b of pairs)
        if (b.name) obj[String(b.name).slice(0, 200)] = t(b.value ?? '', `body ${String(b.name)}`);
      body = obj;
    }
  }
  const options = (p.options ?? {}) as Record<string, unknown>;
  const timeout = typeof options.timeout === 'number' ? options.timeout : undefined;
  const otherOptions = Object.keys(options).filter((k) => k !== 'timeout');
  if (otherOptions.length > 0) reasons.push(`options left out: ${otherOptions.join(', ')}`);
  if (p.authentication && p.authentication !== 'none')
    reasons.push('authentication uses the credential named "http"; store it in the credential store');
  return step(
    {
      type: 'http_request',
      method,
      url: t(p.url ?? '', 'url'),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(p.authentication && p.authentication !== 'none' ? { credential: 'http' } : {}),
      ...(timeout && timeout >= 1 && timeout <= 86_400_000 ? { timeoutMs: Math.round(timeout) } : {}),
    },
    reasons,
  );
}

function twilioNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  if ((p.operation ?? 'send') !== 'send' || (p.resource ?? 'sms') !== 'sms')
    return opaque(node, 'Twilio calls other than sending SMS');
  const to = t(p.to ?? '', 'to');
  return step(
    {
      type: 'send_sms',
      to: to === '{{lead.phone}}' ? 'lead' : to,
      purpose: 'marketing',
      text: t(p.message ?? '', 'message'),
      credential: 'twilio',
    },
    reasons,
  );
}

function executeWorkflowNode(node: N8nNode, p: Record<string, unknown>): NodeMapping {
  const raw = p.workflowId;
  const id = typeof raw === 'string' ? raw : str((raw as Record<string, unknown> | undefined)?.value);
  if (!id || id.startsWith('=') || (p.source !== undefined && p.source !== 'database')) {
    return opaque(node, 'Execute Workflow without a stored workflow id');
  }
  return step({ type: 'start_workflow', workflowId: id.slice(0, 100) }, [
    'the n8n workflow id must be replaced by the imported Leadloop workflow id',
  ]);
}

const trigger = (triggers: Trigger[], reasons: string[] = []): NodeMapping => ({
  kind: 'trigger',
  triggers,
  outcome: outcomeOf(reasons),
  reasons,
});

/** Mappers by n8n node type (the part after the package prefix). */
const N8N_MAPPERS: Record<string, Mapper> = {
  manualTrigger: () => trigger([{ type: 'manual' }]),
  start: () => trigger([{ type: 'manual' }]),
  executeWorkflowTrigger: () => trigger([{ type: 'workflow' }]),
  webhook: (n, p) => {
    // n8n's editor uses the node's webhookId as the default path: that is "no path of its own".
    const path = p.path === n.webhookId ? undefined : webhookPath(p.path);
    return trigger([{ type: 'webhook', ...(path ? { path } : {}) }]);
  },
  scheduleTrigger: (_n, p, ctx) => {
    const intervals = ((p.rule as Record<string, unknown> | undefined)?.interval ?? [{}]) as Record<
      string,
      unknown
    >[];
    const reasons: string[] = [];
    const triggers: Trigger[] = intervals.map((i) => {
      const { cron, exact } = cronFromScheduleRule(i);
      if (!exact) reasons.push(`the interval ${JSON.stringify(i)} is rounded to the cron "${cron}"`);
      return { type: 'schedule', cron, timezone: ctx.timezone };
    });
    return trigger(triggers, reasons);
  },
  cron: (_n, p, ctx) => {
    const items = ((p.triggerTimes as Record<string, unknown> | undefined)?.item ?? []) as Record<
      string,
      unknown
    >[];
    const reasons: string[] = [];
    const triggers: Trigger[] = items.map((i) => {
      const { cron, exact } = cronFromCronNode(i);
      if (!exact) reasons.push(`the time ${JSON.stringify(i)} is rounded to the cron "${cron}"`);
      return { type: 'schedule', cron, timezone: ctx.timezone };
    });
    return triggers.length > 0
      ? trigger(triggers, reasons)
      : trigger([{ type: 'manual' }], ['a Cron node without times']);
  },
  if: condition,
  filter: (node, p, ctx) => {
    const mapped = condition(node, p, ctx);
    if (mapped.kind === 'step') mapped.reasons.push('items that fail the filter end the run');
    return mapped.kind === 'step' ? { ...mapped, outcome: 'approximated' } : mapped;
  },
  switch: switchNode,
  set: setNode,
  merge: () =>
    step({ type: 'noop' }, [
      'a Merge becomes a join point: a Leadloop run follows one path, so nothing is combined',
    ]),
  noOp: () => step({ type: 'noop' }, []),
  wait: waitNode,
  httpRequest: httpNode,
  emailSend: emailNode,
  gmail: emailNode,
  slack: slackNode,
  microsoftTeams: slackNode,
  hubspot: crmNode,
  salesforce: crmNode,
  twilio: twilioNode,
  executeWorkflow: executeWorkflowNode,
  splitInBatches: () =>
    step({ type: 'loop', body: '', maxIterations: 1000 }, [
      'batches become at most 1,000 iterations of the loop body',
    ]),
  respondToWebhook: () =>
    step({ type: 'noop' }, [
      'Leadloop answers its inbound webhook at once (202); the custom response is left out',
    ]),
  stopAndError: () =>
    step({ type: 'noop' }, ['the run ends here (n8n marks it failed; Leadloop records it as finished)']),
  code: (node) => opaque(node, 'Code nodes are never executed'),
  function: (node) => opaque(node, 'Function nodes are never executed'),
  functionItem: (node) => opaque(node, 'Function Item nodes are never executed'),
};

/** Prefix of node notes that carry the Leadloop step or trigger an export could not express in n8n parameters. */
export const LEADLOOP_NOTES_PREFIX = 'leadloop:';

/** The Leadloop step or trigger kept in an exported node's notes, if valid. */
function embedded(node: N8nNode): NodeMapping | null {
  if (typeof node.notes !== 'string' || !node.notes.startsWith(LEADLOOP_NOTES_PREFIX)) return null;
  let value: unknown;
  try {
    value = JSON.parse(node.notes.slice(LEADLOOP_NOTES_PREFIX.length));
  } catch {
    return null;
  }
  const reasons = ['restored from the Leadloop definition kept in the node notes'];
  const v = (value ?? {}) as Record<string, unknown>;
  if (Array.isArray(v.triggers)) {
    const triggers = v.triggers.map((t) => triggerSchema.safeParse(t));
    if (triggers.every((t) => t.success)) {
      return {
        kind: 'trigger',
        triggers: triggers.map((t) => t.data as Trigger),
        outcome: 'mapped',
        reasons,
      };
    }
    return null;
  }
  const parsed = stepSchema.safeParse({ id: 'embedded', ...(v.step as Record<string, unknown>) });
  return parsed.success
    ? { kind: 'step', step: { ...parsed.data, id: '' }, outcome: 'mapped', reasons }
    : null;
}

/** The mapping of one node (sticky notes become notes; disabled nodes pass through). */
export function mapNode(node: N8nNode, ctx: MapContext): NodeMapping {
  const restored = embedded(node);
  if (restored) return restored;
  const short = node.type.replace(/^.*\./, '');
  if (short === 'stickyNote') {
    const { width, height } = node.parameters ?? {};
    const size: [number, number] | undefined =
      typeof width === 'number' && typeof height === 'number' ? [width, height] : undefined;
    return {
      kind: 'note',
      text: String(node.parameters?.content ?? '').slice(0, 20_000),
      ...(size ? { size } : {}),
    };
  }
  const mapper =
    Object.hasOwn(N8N_MAPPERS, short) && node.type.startsWith('n8n-nodes-base.')
      ? N8N_MAPPERS[short]
      : undefined;
  if (!mapper) {
    if (/Trigger$/.test(short)) {
      return WEBHOOK_PUSH_TRIGGERS.has(short)
        ? trigger(
            [{ type: 'webhook' }],
            [`${short} becomes the workflow's inbound webhook; point the service at it`],
          )
        : {
            kind: 'trigger',
            triggers: [],
            outcome: 'unmapped',
            reasons: [`${node.type} (a polling or app trigger) has no Leadloop trigger`],
          };
    }
    return opaque(node, `no Leadloop step for ${node.type}`);
  }
  const mapped = mapper(node, node.parameters ?? {}, ctx);
  if (node.disabled === true && mapped.kind === 'step') {
    return step({ type: 'noop' }, ['the node is disabled in n8n (items pass through)']);
  }
  return mapped;
}
