import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/index.ts';
import type { JsonTemplate, Step, Trigger, Workflow } from '../dsl/index.ts';
import { n8nConditionsFromPredicate } from './conditions.ts';
import { n8nFromTemplate } from './expressions.ts';
import type { N8nNode } from './mapper-kit.ts';
import { LEADLOOP_NOTES_PREFIX, mapNode } from './node-mappers.ts';
import { type NodeSpec, tableRowNode } from './table-export.ts';

/**
 * A Leadloop workflow → n8n workflow JSON that n8n's importers accept: `name`, `nodes` (uuid `id`,
 * unique `name`, `type`, `typeVersion`, `position`, `parameters`), `connections` keyed by node
 * name, `settings: { executionOrder: 'v1', timezone }`, without instance fields (`id`, `active`,
 * `versionId`). Steps map to the nodes of the anchor's table; where n8n parameters cannot express
 * a step or trigger exactly (consent checks aside, which become conditions on `$json.leadloop.*`),
 * the node carries the Leadloop definition in its notes (`leadloop:{…}`) so importing it back
 * restores it, and the export report says so.
 */

export interface N8nWorkflowJson {
  name: string;
  nodes: Record<string, unknown>[];
  connections: Record<string, { main: { node: string; type: 'main'; index: number }[][] }>;
  settings: { executionOrder: 'v1'; timezone?: string };
}

export interface ExportReport {
  /** Steps and triggers whose n8n node carries the Leadloop definition in its notes. */
  embedded: string[];
  /** What n8n cannot hold at all (a wait's separate timeout branch). */
  lossy: string[];
}

/** Deterministic uuid from a seed, so exporting twice gives the same document. */
function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const EDGE_KEYS = ['next', 'onTrue', 'onFalse', 'default', 'onTimeout', 'onError', 'outputs'] as const;

/** A step without its edges (they live in n8n connections). */
function withoutEdges(step: Step): Record<string, unknown> {
  const copy = structuredClone(step) as Record<string, unknown>;
  for (const key of EDGE_KEYS) delete copy[key];
  delete copy.id;
  delete copy.name;
  if (step.type === 'loop') copy.body = 'body';
  if (step.type === 'switch') copy.cases = step.cases.map(({ next: _n, ...c }) => c);
  if (step.type === 'ask_council') copy.branches = step.branches.map(({ next: _n, ...b }) => b);
  return copy;
}

/** A step as the importer would rebuild it from parameters alone (edges and notes come from elsewhere). */
function comparable(step: Step): string {
  const c = withoutEdges(step);
  delete c.notes;
  return canonicalJson(c);
}

function templateTree(value: JsonTemplate, names: ReadonlyMap<string, string>): JsonTemplate {
  if (typeof value === 'string') return n8nFromTemplate(value, names);
  if (Array.isArray(value)) return value.map((v) => templateTree(v, names));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templateTree(v, names)]));
  }
  return value;
}

function jsonBody(body: JsonTemplate, names: ReadonlyMap<string, string>): string {
  if (typeof body === 'string') return n8nFromTemplate(body, names);
  const text = JSON.stringify(body, null, 2);
  return text.includes('{{') ? n8nFromTemplate(text, names) : text;
}

function durationParams(ms: number, amountKey: string, unitKey: string): Record<string, unknown> {
  for (const [unit, size] of [
    ['days', 86_400_000],
    ['hours', 3_600_000],
    ['minutes', 60_000],
    ['seconds', 1000],
  ] as const) {
    if (ms % size === 0) return { [amountKey]: ms / size, [unitKey]: unit };
  }
  return { [amountKey]: ms / 1000, [unitKey]: 'seconds' };
}

function nodeFor(step: Step, names: ReadonlyMap<string, string>): NodeSpec {
  const t = (s: string | undefined) => (s === undefined ? '' : n8nFromTemplate(s, names));
  const base = (type: string, typeVersion: number, parameters: Record<string, unknown>): NodeSpec => ({
    type: `n8n-nodes-base.${type}`,
    typeVersion,
    parameters,
  });
  const ifParams = (conditions: ReturnType<typeof n8nConditionsFromPredicate>) => ({
    conditions: {
      options: { version: 2, leftValue: '', caseSensitive: true, typeValidation: 'loose' },
      conditions: conditions?.conditions ?? [],
      combinator: conditions?.combinator ?? 'and',
    },
    options: {},
  });
  switch (step.type) {
    case 'condition':
      return base('if', 2.2, ifParams(n8nConditionsFromPredicate(step.when, names)));
    case 'switch':
      return base('switch', 3.2, {
        rules: {
          values: step.cases.map((c) => ({
            conditions: ifParams(n8nConditionsFromPredicate(c.when, names)).conditions,
          })),
        },
        options: step.default ? { fallbackOutput: 'extra' } : {},
      });
    case 'wait': {
      const w = step.wait;
      if (w.kind === 'duration')
        return base('wait', 1.1, { resume: 'timeInterval', ...durationParams(w.ms, 'amount', 'unit') });
      if (w.kind === 'until') return base('wait', 1.1, { resume: 'specificTime', dateTime: t(w.at ?? '') });
      return base('wait', 1.1, {
        resume: 'webhook',
        limitWaitTime: true,
        limitType: 'afterTimeInterval',
        ...durationParams(w.timeoutMs, 'resumeAmount', 'resumeUnit'),
        options: {},
      });
    }
    case 'send_email':
      return base('emailSend', 2.1, {
        fromEmail: t(step.from),
        toEmail: step.to === 'lead' ? '={{ $json.lead.email }}' : t(step.to),
        subject: t(step.subject),
        emailFormat: step.html !== undefined ? 'html' : 'text',
        ...(step.html !== undefined ? { html: t(step.html) } : { text: t(step.body) }),
        options: {},
      });
    case 'send_sms':
      return base('twilio', 1, {
        operation: 'send',
        from: '',
        to: step.to === 'lead' ? '={{ $json.lead.phone }}' : t(step.to),
        message: t(step.text),
      });
    case 'http_request':
    case 'webhook': {
      const isHook = step.type === 'webhook';
      const headers = !isHook && step.headers ? Object.entries(step.headers) : [];
      const query = !isHook && step.query ? Object.entries(step.query) : [];
      const body = isHook ? step.payload : step.body;
      return base('httpRequest', 4.2, {
        method: isHook ? 'POST' : step.method,
        url: t(step.url),
        ...(headers.length > 0
          ? {
              sendHeaders: true,
              headerParameters: { parameters: headers.map(([name, value]) => ({ name, value: t(value) })) },
            }
          : {}),
        ...(query.length > 0
          ? {
              sendQuery: true,
              queryParameters: { parameters: query.map(([name, value]) => ({ name, value: t(value) })) },
            }
          : {}),
        ...(body !== undefined
          ? { sendBody: true, specifyBody: 'json', jsonBody: jsonBody(body, names) }
          : {}),
        ...(!isHook && step.credential ? { authentication: 'genericCredentialType' } : {}),
        options: step.timeoutMs ? { timeout: step.timeoutMs } : {},
      });
    }
    case 'chat_message':
      return step.channel === 'slack'
        ? base('slack', 2.2, {
            resource: 'message',
            operation: 'post',
            select: 'channel',
            channelId: { __rl: true, mode: 'name', value: '#leads' },
            text: t(step.text),
            otherOptions: {},
          })
        : base('microsoftTeams', 2, {
            resource: 'channelMessage',
            operation: 'create',
            message: t(step.text),
          });
    case 'crm_upsert': {
      if (step.provider === 'pipedrive') {
        const { name, title, content, ...rest } = step.fields ?? {};
        return base('pipedrive', 1, {
          resource: { contact: 'person', lead: 'lead', deal: 'deal', company: 'organization', note: 'note' }[
            step.object
          ],
          operation: 'create',
          ...(name !== undefined ? { name: t(name) } : {}),
          ...(title !== undefined ? { title: t(title) } : {}),
          ...(content !== undefined ? { content: t(content) } : {}),
          additionalFields: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, t(v)])),
        });
      }
      const fields = Object.fromEntries(Object.entries(step.fields ?? {}).map(([k, v]) => [k, t(v)]));
      const resource =
        step.provider === 'hubspot'
          ? step.object
          : (
              {
                contact: 'contact',
                lead: 'lead',
                company: 'account',
                deal: 'opportunity',
                note: 'note',
              } as const
            )[step.object];
      return base(step.provider, step.provider === 'hubspot' ? 2 : 1, {
        resource,
        operation: 'upsert',
        additionalFields: fields,
      });
    }
    case 'table_row':
      return tableRowNode(step, names);
    case 'render':
      return step.format === 'markdown_to_html' || step.format === 'html_to_markdown'
        ? base('markdown', 1, {
            mode: step.format === 'markdown_to_html' ? 'markdownToHtml' : 'htmlToMarkdown',
            [step.format === 'markdown_to_html' ? 'markdown' : 'html']: t(step.template),
            destinationKey: step.saveAs,
            options: {},
          })
        : base('html', 1.2, { operation: 'generateHtmlTemplate', html: t(step.template) });
    case 'html_extract':
      return base('html', 1.2, {
        operation: 'extractHtmlContent',
        sourceData: 'json',
        dataPropertyName: step.source.replace(/^vars\./, ''),
        extractionValues: {
          values: step.extract.map((e) => ({
            key: e.key,
            cssSelector: e.selector,
            returnValue: e.value,
            ...(e.attribute !== undefined ? { attribute: e.attribute } : {}),
            ...(e.skip !== undefined ? { skipSelectors: e.skip } : {}),
            ...(e.all ? { returnArray: true } : {}),
          })),
        },
        options: {
          ...(step.trim === false ? { trimValues: false } : {}),
          ...(step.cleanUpText ? { cleanUpText: true } : {}),
        },
      });
    case 'start_workflow':
      return base('executeWorkflow', 1.2, {
        source: 'database',
        workflowId: { __rl: true, mode: 'id', value: step.workflowId },
        options: {},
      });
    case 'loop':
      return base('splitInBatches', 3, { options: {} });
    case 'set_vars':
      return base('set', 3.4, {
        assignments: {
          assignments: Object.entries(step.values).map(([name, value], i) => ({
            id: uuidFrom(`${step.id}:${name}:${i}`),
            name,
            value:
              typeof value === 'string'
                ? n8nFromTemplate(value, names)
                : typeof value === 'object' && value !== null
                  ? templateTree(value, names)
                  : value,
            type:
              typeof value === 'number'
                ? 'number'
                : typeof value === 'boolean'
                  ? 'boolean'
                  : typeof value === 'object' && value !== null
                    ? 'object'
                    : 'string',
          })),
        },
        options: {},
      });
    case 'opaque':
      return {
        type: step.origin.nodeType,
        typeVersion: step.origin.typeVersion ?? 1,
        parameters: step.origin.parameters ?? {},
      };
    case 'ask_council':
      return base('switch', 3.2, {
        rules: {
          values: step.branches.map((b) => ({
            conditions: ifParams({
              combinator: 'and',
              conditions: [
                {
                  id: 'c0',
                  leftValue: '={{ $json.leadloop.decision }}',
                  rightValue: b.decision,
                  operator: { type: 'string', operation: 'equals' },
                },
              ],
            }).conditions,
          })),
        },
        options: step.default ? { fallbackOutput: 'extra' } : {},
      });
    default:
      return base('noOp', 1, {});
  }
}

function triggerNode(t: Trigger, i: number): NodeSpec & { name: string; webhookId?: string } {
  switch (t.type) {
    case 'manual':
      return {
        name: `Manual Trigger ${i + 1}`,
        type: 'n8n-nodes-base.manualTrigger',
        typeVersion: 1,
        parameters: {},
      };
    case 'workflow':
      return {
        name: `Execute Workflow Trigger ${i + 1}`,
        type: 'n8n-nodes-base.executeWorkflowTrigger',
        typeVersion: 1,
        parameters: {},
      };
    case 'schedule':
      return {
        name: `Schedule Trigger ${i + 1}`,
        type: 'n8n-nodes-base.scheduleTrigger',
        typeVersion: 1.2,
        parameters: { rule: { interval: [{ field: 'cronExpression', expression: t.cron }] } },
      };
    default: {
      const webhookId = uuidFrom(`trigger:${i}:${t.type}`);
      const path = t.type === 'webhook' ? (t.path ?? webhookId) : `leadloop-${t.type.replace('.', '-')}`;
      return {
        name: `Webhook ${i + 1}`,
        type: 'n8n-nodes-base.webhook',
        typeVersion: 2,
        parameters: { httpMethod: 'POST', path, options: {} },
        webhookId,
      };
    }
  }
}

/** Outputs of a step in n8n order (see the importer's wiring), then the error output. */
function outputsOf(step: Step): (string | undefined)[] {
  switch (step.type) {
    case 'condition':
      return [step.onTrue, step.onFalse];
    case 'switch':
      return [...step.cases.map((c) => c.next), ...(step.default ? [step.default] : [])];
    case 'ask_council':
      return [...step.branches.map((b) => b.next), ...(step.default ? [step.default] : [])];
    case 'split':
      return step.variants.map((v) => v.next);
    case 'loop':
      return [step.next, step.body];
    case 'opaque':
      return [step.next, ...(step.outputs ?? []).map((o) => o ?? undefined)];
    default:
      return [(step as { next?: string }).next];
  }
}

export function exportN8nWorkflow(workflow: Workflow): { workflow: N8nWorkflowJson; report: ExportReport } {
  const names = new Map<string, string>();
  const used = new Set<string>();
  const triggers = workflow.triggers.map(triggerNode);
  for (const t of triggers) used.add(t.name);
  for (const s of workflow.steps) {
    const wanted = s.name !== undefined && s.name.trim() !== '' ? s.name : s.id;
    let name = wanted;
    for (let n = 2; used.has(name); n++) name = `${wanted} ${n}`;
    used.add(name);
    names.set(s.id, name);
  }
  const triggerNames = new Set(triggers.map((t) => t.name));
  const report: ExportReport = { embedded: [], lossy: [] };
  const nodes: Record<string, unknown>[] = [];
  const connections: N8nWorkflowJson['connections'] = {};
  const link = (from: string, outs: (string | undefined)[]): void => {
    if (outs.every((o) => o === undefined)) return;
    connections[from] = {
      main: outs.map((o) => (o ? [{ node: names.get(o) as string, type: 'main', index: 0 }] : [])),
    };
  };
  const timezone =
    workflow.triggers.find((t) => t.type === 'schedule')?.timezone ?? workflow.settings?.timezone;

  workflow.triggers.forEach((t, i) => {
    const spec = triggers[i] as ReturnType<typeof triggerNode>;
    const node: Record<string, unknown> = { id: uuidFrom(`trigger:${i}`), ...spec, position: [0, i * 200] };
    const back = mapNode(node as unknown as N8nNode, {
      id: '',
      timezone: timezone ?? 'UTC',
      stepIdByName: names,
      triggerNames,
    });
    const { start: _s, ...plain } = t;
    if (back.kind !== 'trigger' || canonicalJson(back.triggers) !== canonicalJson([plain])) {
      node.notes = `${LEADLOOP_NOTES_PREFIX}${JSON.stringify({ triggers: [plain] })}`;
      report.embedded.push(`trigger ${i + 1} (${t.type})`);
    }
    nodes.push(node);
    link(spec.name, [t.start ?? workflow.start]);
  });

  workflow.steps.forEach((step, i) => {
    const name = names.get(step.id) as string;
    const spec = nodeFor(step, names);
    const node: Record<string, unknown> = {
      id: uuidFrom(`step:${step.id}`),
      name,
      ...spec,
      position: workflow.ui?.positions?.[step.id] ?? [250 * (1 + (i % 8)), 200 * Math.floor(i / 8)],
    };
    if (step.onError) node.onError = 'continueErrorOutput';
    if (step.notes) node.notes = step.notes;
    const back = mapNode(node as unknown as N8nNode, {
      id: step.id,
      timezone: timezone ?? 'UTC',
      stepIdByName: names,
      triggerNames,
    });
    if (back.kind !== 'step' || comparable({ ...back.step, id: step.id } as Step) !== comparable(step)) {
      node.notes = `${LEADLOOP_NOTES_PREFIX}${JSON.stringify({ step: withoutEdges(step) })}`;
      report.embedded.push(step.id);
    }
    if (step.type === 'wait' && step.onTimeout !== undefined && step.onTimeout !== step.next) {
      report.lossy.push(
        `${step.id}: n8n's Wait has one output, so the timeout continues at "${step.next ?? 'the end'}"`,
      );
    }
    nodes.push(node);
    link(name, [...outputsOf(step), ...(step.onError ? [step.onError] : [])]);
  });

  for (const [i, note] of (workflow.notes ?? []).entries()) {
    let name = `Sticky Note ${i + 1}`;
    while (used.has(name)) name = `${name}'`;
    used.add(name);
    nodes.push({
      id: uuidFrom(`note:${i}`),
      name,
      type: 'n8n-nodes-base.stickyNote',
      typeVersion: 1,
      position: note.position ?? [0, -300 - 200 * i],
      parameters: { content: note.text, ...(note.size ? { width: note.size[0], height: note.size[1] } : {}) },
    });
  }
  return {
    workflow: {
      name: workflow.name,
      nodes,
      connections,
      settings: { executionOrder: 'v1', ...(timezone ? { timezone } : {}) },
    },
    report,
  };
}
