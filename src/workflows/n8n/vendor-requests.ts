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
 * n8n vendor operations that Leadloop runs as an `http_request` step speaking the vendor's
 * documented REST API: HubSpot and Pipedrive reads (get, search) and LinkedIn posts. Leadloop has
 * no step of its own for these, and an HTTP request with a stored token is exactly what n8n does.
 * Each is approximated, never mapped exactly: the answer is the vendor's JSON as it comes (under
 * `vars.<saveAs>`, named after the node), not n8n's reshaped item, and the token is a credential
 * the user stores.
 */

const HUBSPOT_API = 'https://api.hubapi.com';
const PIPEDRIVE_API = 'https://api.pipedrive.com/v1';
const LINKEDIN_API = 'https://api.linkedin.com/rest';
/** A version LinkedIn documents for the Posts API (`LinkedIn-Version: YYYYMM`); versions live about a year. */
const LINKEDIN_VERSION = '202601';

/** A vendor read by the n8n node's resource and operation; null when the operation is not a read here. */
type VendorRead = (
  node: N8nNode,
  p: Rec,
  ctx: MapContext,
  resource: string,
  operation: string,
) => NodeMapping | null;

/** The value of an n8n resource locator (`{ __rl, mode, value }`) or a plain value. */
function locatorValue(v: unknown): unknown {
  const r = rec(v);
  return '__rl' in r ? r.value : v;
}

function tokenReason(credential: string, kind: string): string {
  return `authenticates with the credential "${credential}" (${kind}); store the account's token under that name`;
}

const HUBSPOT_OBJECTS: Record<string, string> = {
  contact: 'contacts',
  deal: 'deals',
  company: 'companies',
  ticket: 'tickets',
};

/** n8n's HubSpot filter operators (the CRM search API's own names). */
const HUBSPOT_OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/**
 * HubSpot get / getAll / search / searchByDomain through CRM v3: `GET /crm/v3/objects/{type}/{id}`,
 * `GET /crm/v3/objects/{type}?limit=` (one page) and `POST /crm/v3/objects/{type}/search` with
 * `filterGroups`, `properties`, `sorts`, `limit`.
 * Null when the operation is not one of these (the caller reports it).
 */
export const hubspotRead: VendorRead = (node, p, ctx, resource, operation) => {
  const type = HUBSPOT_OBJECTS[resource];
  if (!type || !['get', 'getAll', 'search', 'searchByDomain'].includes(operation)) return null;
  if (operation === 'searchByDomain' && resource !== 'company') return null;
  const { t, reasons } = templater(ctx);
  const extra = { ...rec(p.additionalFields), ...rec(p.options) };
  const properties = (Array.isArray(extra.properties) ? extra.properties : [])
    .filter((x): x is string => typeof x === 'string' && /^[A-Za-z0-9_]{1,100}$/.test(x))
    .slice(0, 100);
  const common = {
    type: 'http_request',
    credential: 'hubspot_token',
    // The account's own CRM, processing for the business: as a crm_upsert is.
    sharing: 'service_provider',
    headers: { accept: 'application/json' },
    saveAs: saveAsName(node),
  };
  reasons.push(tokenReason('hubspot_token', 'bearer_token: a private app token'));
  reasons.push("the answer is HubSpot's JSON (`properties.<name>`), not n8n's reshaped item");
  if (operation === 'get') {
    const idParam = { contact: p.contactId, deal: p.dealId, company: p.companyId, ticket: p.ticketId }[
      resource as 'contact'
    ];
    const id = locatorValue(idParam);
    if (typeof id !== 'string' && typeof id !== 'number')
      return opaque(node, `HubSpot ${resource} get without a record id`);
    return step(
      {
        ...common,
        method: 'GET',
        url: `${HUBSPOT_API}/crm/v3/objects/${type}/${t(String(id), `${resource} id`)}`,
        ...(properties.length > 0 ? { query: { properties: properties.join(',') } } : {}),
      },
      reasons,
    );
  }
  if (operation === 'getAll') {
    if (p.returnAll === true) reasons.push('at most 100 records are read (one page), not all');
    const limit = pageSize(p.limit, 100, 100);
    return step(
      {
        ...common,
        method: 'GET',
        url: `${HUBSPOT_API}/crm/v3/objects/${type}`,
        query: {
          limit: String(limit),
          ...(properties.length > 0 ? { properties: properties.join(',') } : {}),
        },
      },
      reasons,
    );
  }
  const filterGroups: JsonTemplate[] = [];
  if (operation === 'searchByDomain') {
    filterGroups.push({
      filters: [{ propertyName: 'domain', operator: 'EQ', value: t(p.domain ?? '', 'domain') }],
    });
  } else {
    const groups = (rec(p.filterGroupsUi).filterGroupsValues ?? []) as Rec[];
    for (const g of Array.isArray(groups) ? groups.slice(0, 5) : []) {
      const filters: JsonTemplate[] = [];
      const values = (rec(g.filtersUi).filterValues ?? []) as Rec[];
      for (const f of Array.isArray(values) ? values.slice(0, 6) : []) {
        // n8n v2 keeps "name|type" in propertyName; the API takes the name alone.
        const name = String(f.propertyName ?? '').split('|')[0] ?? '';
        const operator = String(f.operator ?? 'EQ');
        if (!/^[A-Za-z0-9_]{1,100}$/.test(name) || !HUBSPOT_OPERATORS.has(operator)) {
          return opaque(node, `HubSpot search filter "${name} ${operator}" has no CRM search equivalent`);
        }
        filters.push({
          propertyName: name,
          operator,
          ...(operator.endsWith('HAS_PROPERTY') ? {} : { value: t(f.value ?? '', `filter ${name}`) }),
        });
      }
      if (filters.length > 0) filterGroups.push({ filters });
    }
  }
  const limit = pageSize(p.limit, 200, 100);
  if (p.returnAll === true) reasons.push('at most 200 records are read (one page), not all');
  const sortBy = str(extra.sortBy);
  const body: Record<string, JsonTemplate> = {
    filterGroups,
    ...(properties.length > 0 ? { properties } : {}),
    ...(sortBy && /^[A-Za-z0-9_]{1,100}$/.test(sortBy)
      ? {
          sorts: [
            { propertyName: sortBy, direction: extra.direction === 'ASCENDING' ? 'ASCENDING' : 'DESCENDING' },
          ],
        }
      : {}),
    limit: p.returnAll === true ? 200 : limit,
  };
  return step(
    { ...common, method: 'POST', url: `${HUBSPOT_API}/crm/v3/objects/${type}/search`, body },
    reasons,
  );
};

const PIPEDRIVE_PATHS: Record<string, string> = {
  person: 'persons',
  organization: 'organizations',
  deal: 'deals',
  lead: 'leads',
  product: 'products',
};

/**
 * Pipedrive get / getAll / search through its v1 API: `GET /v1/{items}/{id}`, `GET
 * /v1/{items}?start=0&limit=` (one page) and `GET /v1/{items}/search?term=&fields=&exact_match=&limit=`
 * (the API token in `x-api-token`).
 * Null when the operation is not one of these.
 */
export const pipedriveRead: VendorRead = (node, p, ctx, resource, operation) => {
  const path = PIPEDRIVE_PATHS[resource];
  if (!path || !['get', 'getAll', 'search'].includes(operation)) return null;
  const { t, reasons } = templater(ctx);
  const common = {
    type: 'http_request',
    method: 'GET',
    credential: 'pipedrive_token',
    sharing: 'service_provider',
    saveAs: saveAsName(node),
  };
  reasons.push(tokenReason('pipedrive_token', 'header: x-api-token and the company API token'));
  reasons.push("the answer is Pipedrive's JSON (`data`), not n8n's reshaped item");
  if (operation === 'get') {
    const id = locatorValue(p[`${resource}Id`]);
    if (typeof id !== 'string' && typeof id !== 'number')
      return opaque(node, `Pipedrive ${resource} get without a record id`);
    if (p.resolveProperties === true) reasons.push('custom field keys are not resolved to their names');
    return step({ ...common, url: `${PIPEDRIVE_API}/${path}/${t(String(id), `${resource} id`)}` }, reasons);
  }
  if (operation === 'getAll') {
    if (p.returnAll === true) reasons.push('at most 500 records are read (one page), not all');
    const limit = pageSize(p.limit, 500, 100);
    return step(
      {
        ...common,
        url: `${PIPEDRIVE_API}/${path}`,
        query: { start: '0', limit: String(p.returnAll === true ? 500 : limit) },
      },
      reasons,
    );
  }
  if (resource === 'lead' || resource === 'product') return null;
  const extra = rec(p.additionalFields);
  const query: Record<string, string> = { term: t(p.term ?? '', 'term') };
  const fields = str(extra.fields);
  if (fields && /^[a-z_,]{1,200}$/.test(fields)) query.fields = fields;
  if (extra.exactMatch === true || p.exactMatch === true) query.exact_match = 'true';
  const includeFields = str(extra.includeFields);
  if (includeFields && /^[a-z_.,]{1,200}$/.test(includeFields)) query.include_fields = includeFields;
  const limit = pageSize(p.limit, 500, 100);
  if (p.returnAll === true) reasons.push('at most 500 results are read (one page), not all');
  query.limit = String(p.returnAll === true ? 500 : limit);
  return step({ ...common, url: `${PIPEDRIVE_API}/${path}/search`, query }, reasons);
};

/**
 * LinkedIn's "create a post" as the Posts API does it: `POST /rest/posts` with `LinkedIn-Version`
 * and `X-Restli-Protocol-Version: 2.0.0`, a text (or article link) post by a member or an
 * organisation. Image posts need the file uploaded first, which a JSON run cannot do.
 */
export function linkedInNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const resource = str(p.resource) ?? 'post';
  const operation = str(p.operation) ?? 'create';
  if (resource !== 'post' || operation !== 'create')
    return opaque(node, `LinkedIn ${resource} ${operation} has no Leadloop step`);
  const media = str(p.shareMediaCategory) ?? 'NONE';
  if (media !== 'NONE' && media !== 'ARTICLE')
    return opaque(
      node,
      'a LinkedIn image post uploads the image first (Images API); Leadloop runs carry JSON, not files',
    );
  const asOrganization = p.postAs === 'organization';
  const who = asOrganization ? p.organization : p.person;
  if (typeof who !== 'string' || who.length === 0)
    return opaque(node, 'a LinkedIn post without the member or organisation it is posted as');
  const extra = rec(p.additionalFields);
  const body: Record<string, JsonTemplate> = {
    author: `urn:li:${asOrganization ? 'organization' : 'person'}:${t(who, 'author')}`,
    commentary: t(p.text ?? '', 'text'),
    visibility: extra.visibility === 'CONNECTIONS' && !asOrganization ? 'CONNECTIONS' : 'PUBLIC',
    distribution: { feedDistribution: 'MAIN_FEED', targetEntities: [], thirdPartyDistributionChannels: [] },
    lifecycleState: 'PUBLISHED',
    isReshareDisabledByAuthor: false,
  };
  if (media === 'ARTICLE') {
    if (!extra.originalUrl) return opaque(node, 'a LinkedIn article post without its URL');
    body.content = {
      article: {
        source: t(extra.originalUrl, 'article URL'),
        ...(extra.title !== undefined ? { title: t(extra.title, 'article title') } : {}),
        ...(extra.description !== undefined
          ? { description: t(extra.description, 'article description') }
          : {}),
      },
    };
  }
  reasons.push(
    tokenReason(
      'linkedin_token',
      'bearer_token: an OAuth token with w_member_social or w_organization_social',
    ),
  );
  reasons.push('LinkedIn takes no idempotency key: a retried step whose answer was lost can post twice');
  return step(
    {
      type: 'http_request',
      method: 'POST',
      url: `${LINKEDIN_API}/posts`,
      headers: { 'LinkedIn-Version': LINKEDIN_VERSION, 'X-Restli-Protocol-Version': '2.0.0' },
      body,
      credential: 'linkedin_token',
    },
    reasons,
  );
}

const SLACK_API = 'https://slack.com/api';

type SlackMethod = ['GET' | 'POST', string];

/** Slack Web API methods named `<family>.<operation>` after the n8n operation: writes POST, reads GET. */
function slackFamily(family: string, writes: readonly string[], reads: readonly string[] = []) {
  const methods: Record<string, SlackMethod> = {};
  for (const op of writes) methods[op] = ['POST', `${family}.${op}`];
  for (const op of reads) methods[op] = ['GET', `${family}.${op}`];
  return methods;
}

/** Slack Web API methods by n8n resource and operation: [HTTP method, API method]. */
const SLACK_METHODS: Record<string, Record<string, SlackMethod>> = {
  message: {
    ...slackFamily('chat', ['update', 'delete'], ['getPermalink']),
    search: ['GET', 'search.messages'],
  },
  reaction: slackFamily('reactions', ['add', 'remove'], ['get']),
  channel: {
    ...slackFamily(
      'conversations',
      [
        'create',
        'archive',
        'unarchive',
        'invite',
        'join',
        'leave',
        'open',
        'rename',
        'setPurpose',
        'setTopic',
      ],
      ['history', 'replies'],
    ),
    get: ['GET', 'conversations.info'],
    getAll: ['GET', 'conversations.list'],
    member: ['GET', 'conversations.members'],
  },
  user: {
    ...slackFamily('users', [], ['getPresence']),
    info: ['GET', 'users.info'],
    getAll: ['GET', 'users.list'],
  },
};

/** n8n's default operation per Slack resource (left out of saved parameters). */
const SLACK_DEFAULT_OP: Record<string, string> = {
  message: 'post',
  reaction: 'add',
  channel: 'create',
  user: 'info',
};

/**
 * Slack operations other than posting a message (which is the incoming-webhook `chat_message`
 * step) as Slack Web API calls (`https://slack.com/api/<method>`, a bot token as bearer; JSON body
 * for writes, query arguments for reads). Null when the operation has no Web API method here
 * (files, which upload binary data; profiles; sendAndWait, which waits for a person).
 */
export function slackWebApi(node: N8nNode, p: Rec, ctx: MapContext, resource: string): NodeMapping | null {
  const operation = str(p.operation) ?? SLACK_DEFAULT_OP[resource] ?? '';
  const method = SLACK_METHODS[resource]?.[operation];
  if (!method) return null;
  const { t, reasons } = templater(ctx);
  const args: Record<string, string> = {};
  const put = (name: string, value: unknown, what: string) => {
    const v = locatorValue(value);
    if (v === undefined || v === null || v === '') return;
    args[name] = Array.isArray(v) ? v.map((x) => t(x, what)).join(',') : t(v, what);
  };
  const options = {
    ...rec(p.otherOptions),
    ...rec(p.options),
    ...rec(p.filters),
    ...rec(p.additionalFields),
  };
  put('channel', p.channelId ?? p.channel, 'channel');
  if (resource === 'message') {
    put('ts', p.ts, 'ts');
    if (operation === 'update') put('text', p.text, 'text');
    if (operation === 'search') {
      put('query', p.query, 'query');
      if (typeof p.limit === 'number') args.count = String(pageSize(p.limit, 100, 100));
      reasons.push('search.messages needs a user token (search:read), not a bot token');
    }
    if (operation === 'getPermalink') put('message_ts', p.timestamp ?? p.ts, 'ts');
  } else if (resource === 'reaction') {
    put('name', p.name, 'emoji name');
    put('timestamp', p.timestamp, 'timestamp');
  } else if (resource === 'channel') {
    if (operation === 'create') {
      if (!args.channel) return opaque(node, 'a Slack channel create without a name');
      args.name = args.channel;
      delete args.channel;
      if (p.channelVisibility === 'private' || options.isPrivate === true) args.is_private = 'true';
    }
    if (operation === 'invite' || operation === 'open') put('users', p.userIds ?? options.users, 'users');
    if (operation === 'replies') put('ts', p.ts, 'ts');
    if (operation === 'rename') put('name', p.name, 'name');
    if (operation === 'setPurpose') put('purpose', p.purpose, 'purpose');
    if (operation === 'setTopic') put('topic', p.topic, 'topic');
    if (operation === 'getAll' && options.excludeArchived === true) args.exclude_archived = 'true';
  } else if (resource === 'user') {
    put('user', p.user, 'user');
  }
  if (p.returnAll === true) reasons.push('one page of results is read (Slack pages by cursor), not all');
  reasons.push(tokenReason('slack_token', "bearer_token: the Slack app's bot token"));
  reasons.push('Slack answers a failed call with 200 and `ok: false`; the step does not fail on it');
  const isRead = method[0] === 'GET';
  return step(
    {
      type: 'http_request',
      method: method[0],
      url: `${SLACK_API}/${method[1]}`,
      ...(isRead ? (Object.keys(args).length > 0 ? { query: args } : {}) : { body: args }),
      credential: 'slack_token',
      // The business's own workspace, as the chat_message step posts to.
      sharing: 'service_provider',
      ...(isRead ? { saveAs: saveAsName(node) } : {}),
    },
    reasons,
  );
}
