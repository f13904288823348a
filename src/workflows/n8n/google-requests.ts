import type { JsonTemplate } from '../dsl/index.ts';
import {
  type MapContext,
  type N8nNode,
  type NodeMapping,
  opaque,
  step,
  str,
  templater,
} from './mapper-kit.ts';

/**
 * n8n Gmail operations other than sending, as Gmail API v1 calls (`gmail.googleapis.com/gmail/v1/
 * users/me/...`) through the `google_oauth` credential named `gmail`, whose access token the engine
 * refreshes from the stored refresh token. Reads keep Google's JSON under `vars.<saveAs>`.
 */

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

const GMAIL_API = 'https://gmail.googleapis.com/gmail/v1/users/me';

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 60) || 'response'
  );
}

/** n8n's default operation per Gmail resource (left out of saved parameters). */
const DEFAULT_OP: Record<string, string> = {
  message: 'send',
  thread: 'getAll',
  label: 'getAll',
  draft: 'create',
};

/** Gmail reads and label changes; null for what is not a Gmail API call here (drafts, send-and-wait). */
export function gmailApi(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping | null {
  const given = str(p.resource) ?? 'message';
  // Gmail v1's "messageLabel" add/remove is v2's message addLabels/removeLabels.
  const resource = given === 'messageLabel' ? 'message' : given;
  const raw = str(p.operation) ?? DEFAULT_OP[given] ?? '';
  const operation =
    given === 'messageLabel' ? ({ add: 'addLabels', remove: 'removeLabels' }[raw] ?? raw) : raw;
  const { t, reasons } = templater(ctx);
  const collection = resource === 'thread' ? 'threads' : 'messages';
  const idParam = resource === 'thread' ? p.threadId : p.messageId;
  const id = typeof idParam === 'string' && idParam.length > 0 ? t(idParam, `${resource} id`) : undefined;
  const labels = (value: unknown): JsonTemplate[] => {
    if (Array.isArray(value)) return value.filter((v) => typeof v === 'string').map((v) => t(v, 'label id'));
    if (typeof value === 'string' && value.length > 0) {
      reasons.push('labels given by an expression are sent as one label id');
      return [t(value, 'label id')];
    }
    return [];
  };
  const common = { type: 'http_request', credential: 'gmail', sharing: 'service_provider' };
  let request: Rec | null = null;
  if (resource === 'label') {
    if (operation === 'getAll') request = { method: 'GET', url: `${GMAIL_API}/labels` };
    else if (operation === 'get' && typeof p.labelId === 'string')
      request = { method: 'GET', url: `${GMAIL_API}/labels/${t(p.labelId, 'label id')}` };
  } else if (resource === 'message' || resource === 'thread') {
    const modify = (body: Rec) =>
      id ? { method: 'POST', url: `${GMAIL_API}/${collection}/${id}/modify`, body } : null;
    switch (operation) {
      case 'get': {
        if (!id) break;
        const full = p.simple === false || resource === 'thread';
        request = {
          method: 'GET',
          url: `${GMAIL_API}/${collection}/${id}`,
          query: { format: full ? 'full' : 'metadata' },
        };
        if (!full) reasons.push("the answer is Gmail's metadata format, not n8n's simplified fields");
        break;
      }
      case 'getAll': {
        const filters = rec(p.filters);
        const q: string[] = [];
        if (typeof filters.q === 'string' && filters.q) q.push(t(filters.q, 'search query'));
        if (filters.readStatus === 'unread') q.push('is:unread');
        if (filters.readStatus === 'read') q.push('is:read');
        if (typeof filters.sender === 'string' && filters.sender)
          q.push(`from:${t(filters.sender, 'sender')}`);
        const left = Object.keys(filters).filter(
          (k) => !['q', 'readStatus', 'sender', 'labelIds'].includes(k),
        );
        if (left.length > 0) reasons.push(`filters left out: ${left.join(', ')}`);
        const labelIds = labels(filters.labelIds);
        const limit = typeof p.limit === 'number' ? Math.min(Math.max(1, Math.round(p.limit)), 500) : 50;
        if (p.returnAll === true) reasons.push('one page of 500 is read, not all');
        request = {
          method: 'GET',
          url: `${GMAIL_API}/${collection}`,
          query: {
            maxResults: String(p.returnAll === true ? 500 : limit),
            ...(q.length > 0 ? { q: q.join(' ') } : {}),
            ...(labelIds.length === 1 ? { labelIds: labelIds[0] as string } : {}),
          },
        };
        if (labelIds.length > 1) reasons.push('only the first label filter is sent');
        reasons.push('the answer lists ids (Gmail `messages[].id`); n8n fetched each message');
        break;
      }
      case 'addLabels':
        request = modify({ addLabelIds: labels(p.labelIds) });
        break;
      case 'removeLabels':
        request = modify({ removeLabelIds: labels(p.labelIds) });
        break;
      case 'markAsRead':
        request = modify({ removeLabelIds: ['UNREAD'] });
        break;
      case 'markAsUnread':
        request = modify({ addLabelIds: ['UNREAD'] });
        break;
      case 'delete':
        request = id ? { method: 'DELETE', url: `${GMAIL_API}/${collection}/${id}` } : null;
        break;
      case 'trash':
      case 'untrash':
        request = id ? { method: 'POST', url: `${GMAIL_API}/${collection}/${id}/${operation}` } : null;
        break;
    }
  }
  if (!request) {
    if ((operation === 'get' || operation === 'delete') && !id)
      return opaque(node, `Gmail ${resource} ${operation} without an id`);
    return null;
  }
  reasons.push(
    'authenticates with the credential "gmail" (google_oauth: client id, secret and refresh token; the access token is refreshed when due)',
  );
  return step(
    { ...common, ...request, ...(request.method === 'GET' ? { saveAs: slug(node.name) } : {}) },
    reasons,
  );
}
