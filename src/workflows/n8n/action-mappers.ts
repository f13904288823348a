import type { JsonTemplate } from '../dsl/index.ts';
import { gmailApi } from './google-requests.ts';
import {
  type MapContext,
  type N8nNode,
  type NodeMapping,
  opaque,
  step,
  str,
  templater,
} from './mapper-kit.ts';
import { hubspotRead, slackWebApi } from './vendor-requests.ts';

/** Mappers of n8n's action nodes: e-mail and Gmail, Slack and Teams, HubSpot and Salesforce, HTTP Request, Twilio, Execute Workflow. */

export function emailNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const isGmail = node.type.endsWith('.gmail');
  if (isGmail) {
    const op = str(p.operation) ?? 'send';
    if ((p.resource ?? 'message') !== 'message' || (op !== 'send' && op !== 'reply')) {
      return (
        gmailApi(node, p, ctx) ??
        opaque(node, `Gmail ${String(p.resource ?? 'message')} ${op} has no Leadloop step`)
      );
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

export function slackNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const isTeams = node.type.endsWith('.microsoftTeams');
  const resource = str(p.resource) ?? (isTeams ? 'channelMessage' : 'message');
  const operation = str(p.operation) ?? (isTeams ? 'create' : 'post');
  const ok = isTeams
    ? ['channelMessage', 'chatMessage'].includes(resource) && operation === 'create'
    : resource === 'message' && operation === 'post';
  const api = !ok && !isTeams ? slackWebApi(node, p, ctx, resource) : null;
  if (api) return api;
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

export function crmNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const provider = node.type.endsWith('.hubspot') ? 'hubspot' : 'salesforce';
  // n8n leaves defaults out of saved parameters: HubSpot v1 defaults to deals, v2 to contacts.
  const hubspotDefault = (node.typeVersion ?? 1) >= 2 ? 'contact' : 'deal';
  const resource = str(p.resource) ?? (provider === 'hubspot' ? hubspotDefault : 'lead');
  const operation =
    str(p.operation) ?? (provider === 'hubspot' && resource === 'contact' ? 'upsert' : 'create');
  if (provider === 'hubspot') {
    const read = hubspotRead(node, p, ctx, resource, operation);
    if (read) return read;
  }
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

export function httpNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
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

export function twilioNode(node: N8nNode, p: Record<string, unknown>, ctx: MapContext): NodeMapping {
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

export function executeWorkflowNode(node: N8nNode, p: Record<string, unknown>): NodeMapping {
  const raw = p.workflowId;
  const id = typeof raw === 'string' ? raw : str((raw as Record<string, unknown> | undefined)?.value);
  if (!id || id.startsWith('=') || (p.source !== undefined && p.source !== 'database')) {
    return opaque(node, 'Execute Workflow without a stored workflow id');
  }
  return step({ type: 'start_workflow', workflowId: id.slice(0, 100) }, [
    'the n8n workflow id must be replaced by the imported Leadloop workflow id',
  ]);
}
