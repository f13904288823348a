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
 * n8n vendor operations that Leadloop runs as an `http_request` step speaking the vendor's
 * documented REST API: HubSpot and Pipedrive reads (get, search) and LinkedIn posts. Leadloop has
 * no step of its own for these, and an HTTP request with a stored token is exactly what n8n does.
 * Each is approximated, never mapped exactly: the answer is the vendor's JSON as it comes (under
 * `vars.<saveAs>`, named after the node), not n8n's reshaped item, and the token is a credential
 * the user stores.
 */

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

const HUBSPOT_API = 'https://api.hubapi.com';
const PIPEDRIVE_API = 'https://api.pipedrive.com/v1';
const LINKEDIN_API = 'https://api.linkedin.com/rest';
/** A version LinkedIn documents for the Posts API (`LinkedIn-Version: YYYYMM`); versions live about a year. */
const LINKEDIN_VERSION = '202601';

/** The value of an n8n resource locator (`{ __rl, mode, value }`) or a plain value. */
function locatorValue(v: unknown): unknown {
  const r = rec(v);
  return '__rl' in r ? r.value : v;
}

function tokenReason(credential: string, kind: string): string {
  return `authenticates with the credential "${credential}" (${kind}); store the account's token under that name`;
}

function saveAs(node: N8nNode): string {
  const slug = node.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
  return slug ? slug : 'response';
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
export function hubspotRead(
  node: N8nNode,
  p: Rec,
  ctx: MapContext,
  resource: string,
  operation: string,
): NodeMapping | null {
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
    saveAs: saveAs(node),
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
    const limit = typeof p.limit === 'number' ? Math.min(Math.max(1, Math.round(p.limit)), 100) : 100;
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
  const limit = typeof p.limit === 'number' ? Math.min(Math.max(1, Math.round(p.limit)), 200) : 100;
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
}

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
export function pipedriveRead(
  node: N8nNode,
  p: Rec,
  ctx: MapContext,
  resource: string,
  operation: string,
): NodeMapping | null {
  const path = PIPEDRIVE_PATHS[resource];
  if (!path || !['get', 'getAll', 'search'].includes(operation)) return null;
  const { t, reasons } = templater(ctx);
  const common = {
    type: 'http_request',
    method: 'GET',
    credential: 'pipedrive_token',
    sharing: 'service_provider',
    saveAs: saveAs(node),
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
    const limit = typeof p.limit === 'number' ? Math.min(Math.max(1, Math.round(p.limit)), 500) : 100;
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
  const limit = typeof p.limit === 'number' ? Math.min(Math.max(1, Math.round(p.limit)), 500) : 100;
  if (p.returnAll === true) reasons.push('at most 500 results are read (one page), not all');
  query.limit = String(p.returnAll === true ? 500 : limit);
  return step({ ...common, url: `${PIPEDRIVE_API}/${path}/search`, query }, reasons);
}

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
