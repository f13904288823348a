import type { JsonTemplate } from '../dsl/index.ts';
import {
  type MapContext,
  type N8nNode,
  type NodeMapping,
  opaque,
  pageSize,
  type Rec,
  rec,
  saveAsName,
  step,
  str,
  templater,
} from './mapper-kit.ts';

/**
 * n8n Gmail operations other than sending, as Gmail API v1 calls (`gmail.googleapis.com/gmail/v1/
 * users/me/...`) through the `google_oauth` credential named `gmail`, whose access token the engine
 * refreshes from the stored refresh token. Reads keep Google's JSON under `vars.<saveAs>`.
 */

/**
 * A Google API call as an `http_request` step through a `google_oauth` credential: the account's
 * own mailbox or drive, so processing for the business. A read keeps Google's answer under
 * `vars.<node name>`.
 */
function googleApiStep(node: N8nNode, credential: string, request: Rec, reasons: string[]): NodeMapping {
  reasons.push(
    `authenticates with the credential "${credential}" (google_oauth: client id, secret and refresh token; the access token is refreshed when due)`,
  );
  return step(
    {
      type: 'http_request',
      credential,
      sharing: 'service_provider',
      ...request,
      ...(request.method === 'GET' ? { saveAs: saveAsName(node) } : {}),
    },
    reasons,
  );
}

const GMAIL_API = 'https://gmail.googleapis.com/gmail/v1/users/me';

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
        const limit = pageSize(p.limit, 500, 50);
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
  return googleApiStep(node, 'gmail', request, reasons);
}

const DRIVE_API = 'https://www.googleapis.com/drive/v3';
const FOLDER_MIME = 'application/vnd.google-apps.folder';

/** A resource locator's or plain parameter's value, as a template; undefined when empty. */
function locator(v: unknown, t: (value: unknown, what: string) => string, what: string): string | undefined {
  const raw = v && typeof v === 'object' && '__rl' in (v as Rec) ? (v as Rec).value : v;
  return typeof raw === 'string' && raw.length > 0 ? t(raw, what) : undefined;
}

/**
 * Google Drive operations on metadata (Drive API v3): search files and folders, create a folder,
 * copy, delete or trash, share. Uploads, downloads and updates move file content, which a JSON run
 * does not carry; they stay unmapped (null here).
 */
export function googleDriveApi(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping | null {
  const resource = str(p.resource) ?? 'file';
  const operation =
    str(p.operation) ?? { file: 'upload', folder: 'create', fileFolder: 'search' }[resource] ?? '';
  const { t, reasons } = templater(ctx);
  const options = rec(p.options);
  const shared = { supportsAllDrives: 'true' };
  let request: Rec | null = null;
  if (resource === 'fileFolder' && operation === 'search') {
    const filter = rec(p.filter);
    const q: string[] = ['trashed = false'];
    if (p.searchMethod === 'query' && typeof p.queryString === 'string' && p.queryString)
      q.push(`(${t(p.queryString, 'query')})`);
    else if (typeof p.queryString === 'string' && p.queryString) {
      q.push(`name contains '${t(p.queryString, 'name')}'`);
      reasons.push("a name with a quote in it must be escaped (\\') in the Drive query");
    }
    if (filter.whatToSearch === 'folders') q.push(`mimeType = '${FOLDER_MIME}'`);
    if (filter.whatToSearch === 'files') q.push(`mimeType != '${FOLDER_MIME}'`);
    const folder = locator(filter.folderId, t, 'folder');
    if (folder && folder !== 'root') q.push(`'${folder}' in parents`);
    const limit = pageSize(p.limit, 1000, 50);
    if (p.returnAll === true) reasons.push('one page of 1,000 is read, not all');
    request = {
      method: 'GET',
      url: `${DRIVE_API}/files`,
      query: {
        q: q.join(' and '),
        pageSize: String(p.returnAll === true ? 1000 : limit),
        fields: 'nextPageToken, files(id, name, mimeType, webViewLink, parents)',
        includeItemsFromAllDrives: 'true',
        ...shared,
      },
    };
  } else if (resource === 'folder' && operation === 'create') {
    const parent = locator(p.folderId, t, 'parent folder');
    if (typeof p.name !== 'string' || !p.name) return opaque(node, 'a Google Drive folder without a name');
    request = {
      method: 'POST',
      url: `${DRIVE_API}/files`,
      query: shared,
      body: { name: t(p.name, 'name'), mimeType: FOLDER_MIME, ...(parent ? { parents: [parent] } : {}) },
    };
    reasons.push(
      'Drive takes no idempotency key: a retried step whose answer was lost can create a second folder',
    );
  } else if (resource === 'file' && ['copy', 'deleteFile', 'share'].includes(operation)) {
    const id = locator(p.fileId, t, 'file id');
    if (!id) return opaque(node, `Google Drive ${operation} without a file id`);
    if (operation === 'copy') {
      const parent = p.sameFolder === false ? locator(p.folderId, t, 'folder') : undefined;
      request = {
        method: 'POST',
        url: `${DRIVE_API}/files/${id}/copy`,
        query: shared,
        body: {
          ...(typeof p.name === 'string' && p.name ? { name: t(p.name, 'name') } : {}),
          ...(parent ? { parents: [parent] } : {}),
        },
      };
    } else if (operation === 'deleteFile') {
      request =
        options.deletePermanently === true
          ? { method: 'DELETE', url: `${DRIVE_API}/files/${id}`, query: shared }
          : { method: 'PATCH', url: `${DRIVE_API}/files/${id}`, query: shared, body: { trashed: true } };
    } else {
      const perm = rec(rec(p.permissionsUi).permissionsValues);
      if (typeof perm.role !== 'string' || typeof perm.type !== 'string')
        return opaque(node, 'a Google Drive share without a role and type');
      const body: Record<string, JsonTemplate> = { role: perm.role, type: perm.type };
      if (typeof perm.emailAddress === 'string') body.emailAddress = t(perm.emailAddress, 'e-mail');
      if (typeof perm.domain === 'string') body.domain = t(perm.domain, 'domain');
      if (typeof perm.allowFileDiscovery === 'boolean') body.allowFileDiscovery = perm.allowFileDiscovery;
      request = { method: 'POST', url: `${DRIVE_API}/files/${id}/permissions`, query: shared, body };
    }
  }
  if (!request) return null;
  return googleApiStep(node, 'google_drive', request, reasons);
}
