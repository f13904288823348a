import { stepSchema, type Trigger, triggerSchema } from '../dsl/index.ts';
import {
  crmNode,
  emailNode,
  executeWorkflowNode,
  httpNode,
  slackNode,
  twilioNode,
} from './action-mappers.ts';
import { aggregateNode, formNode, htmlNode, markdownNode, REPORTED, splitOutNode } from './data-mappers.ts';
import { condition, setNode, switchNode, waitNode } from './flow-mappers.ts';
import { googleDriveApi } from './google-requests.ts';
import {
  type MapContext,
  type Mapper,
  type N8nNode,
  type NodeMapping,
  opaque,
  outcomeOf,
  step,
  str,
} from './mapper-kit.ts';
import { cronFromCronNode, cronFromScheduleRule } from './schedule.ts';
import { airtableNode, googleSheetsNode, pipedriveNode } from './table-mappers.ts';
import { linkedInNode } from './vendor-requests.ts';

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

/** Whether an n8n trigger type becomes the inbound webhook with its data as the body (forms, app pushes). */
export function pushesBody(type: string): boolean {
  return type.startsWith('n8n-nodes-base.') && WEBHOOK_PUSH_TRIGGERS.has(type.replace(/^.*\./, ''));
}

function webhookPath(raw: unknown): string | undefined {
  const s = str(raw)
    ?.toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63);
  return s && /^[a-z0-9][a-z0-9-]{0,62}$/.test(s) ? s : undefined;
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
  googleSheets: googleSheetsNode,
  airtable: airtableNode,
  pipedrive: pipedriveNode,
  linkedIn: linkedInNode,
  googleDrive: (node, p, ctx) => {
    const op = String(p.operation ?? (p.resource === 'folder' ? 'create' : 'upload'));
    return (
      googleDriveApi(node, p, ctx) ??
      opaque(
        node,
        ['upload', 'download', 'update', 'createFromText'].includes(op)
          ? `Google Drive ${op} moves file content; Leadloop runs carry JSON, not files`
          : `Google Drive ${op} has no Leadloop step`,
      )
    );
  },
  splitOut: splitOutNode,
  aggregate: aggregateNode,
  markdown: markdownNode,
  html: htmlNode,
  form: formNode,
  ...Object.fromEntries(
    Object.entries(REPORTED).map(([type, reason]): [string, Mapper] => [
      type,
      (node) => opaque(node, reason),
    ]),
  ),
  code: (node) => opaque(node, 'Code nodes are never executed'),
  function: (node) => opaque(node, 'Function nodes are never executed'),
  functionItem: (node) => opaque(node, 'Function Item nodes are never executed'),
};

/** What a user reads about a push trigger: where its data arrives, and a form's fields by name. */
function pushReason(short: string, p: Record<string, unknown>): string {
  if (short !== 'formTrigger')
    return `${short} becomes the workflow's inbound webhook; point the service at it (its data arrives as trigger.body)`;
  const fields = (
    ((p.formFields as Record<string, unknown> | undefined)?.values ?? []) as Record<string, unknown>[]
  )
    .map((f) => str(f.fieldLabel))
    .filter((f): f is string => Boolean(f));
  return `the form becomes the workflow's inbound webhook: the form page posts to it and its fields${
    fields.length > 0 ? ` (${fields.join(', ').slice(0, 300)})` : ''
  } arrive as trigger.body.<field>`;
}

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
        ? trigger([{ type: 'webhook' }], [pushReason(short, node.parameters ?? {})])
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
