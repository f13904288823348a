import type { ConnectorDeps, CrmRecord, EffectResult } from './connectors.ts';
import { isRetryableStatus, OutboundError, type OutboundResponse } from './safe-http.ts';

/**
 * Pipedrive through its v1 REST API, authenticated by the company's API token in the
 * `x-api-token` header (never in the URL, where proxies and logs would keep it). A person is
 * matched on e-mail (`GET /v1/persons/search`, exact match) and updated (`PUT /v1/persons/{id}`)
 * or created (`POST /v1/persons`); a `lead` or `deal` is then created for that person
 * (`POST /v1/leads`, `POST /v1/deals`, `POST /v1/notes`), and a `company` is an organisation
 * matched on name.
 * Pipedrive takes no idempotency key, so the step's own key (run id + step key) is stored with what
 * it creates and looked up first: a note ends with a `leadloop_key:` line and the person's notes
 * are read before adding one; a lead or deal is created with the key as its `origin_id` (a field
 * the API sets only on creation and returns on every read) and the person's leads or deals are
 * listed and matched on it — or, when the credential names a `keyField` custom field, the key is
 * also written there and found through the search endpoint. The person step is an upsert on
 * e-mail. See docs/decisions/2026-12-07-pipedrive-idempotency.md.
 */

const PIPEDRIVE_API = 'https://api.pipedrive.com';

export interface PipedriveInput {
  token: string;
  /** The company domain's API root (`https://acme.pipedrive.com/api`) or a test server; default the public API. */
  baseUrl?: string;
  object: 'contact' | 'lead' | 'company' | 'deal' | 'note';
  record: CrmRecord;
  /** The step's idempotency key (run id + step key). */
  idempotencyKey?: string;
  /** The API key of the deal/lead custom field that keeps `idempotencyKey`. */
  keyField?: string;
}

/** The line a note's content ends with, naming the step that wrote it. */
const noteMarker = (key: string) => `leadloop_key: ${key}`;

function failIfBad(response: OutboundResponse): void {
  if (response.status >= 200 && response.status < 300) return;
  throw new OutboundError(
    `Pipedrive answered ${response.status}: ${response.body.slice(0, 200)}`,
    isRetryableStatus(response.status),
  );
}

function data(response: OutboundResponse): Record<string, unknown> {
  try {
    const parsed = JSON.parse(response.body) as { data?: unknown };
    return parsed.data && typeof parsed.data === 'object' ? (parsed.data as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Pipedrive's first search hit's id (`data.items[0].item.id`), or null. */
function firstHit(response: OutboundResponse): number | string | null {
  const items = data(response).items;
  const id = Array.isArray(items) ? (items[0] as { item?: { id?: unknown } } | undefined)?.item?.id : null;
  return typeof id === 'number' || typeof id === 'string' ? id : null;
}

export async function upsertPipedriveRecord(
  deps: ConnectorDeps,
  input: PipedriveInput,
): Promise<EffectResult> {
  const root = `${input.baseUrl ?? PIPEDRIVE_API}/v1`;
  const call = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: Record<string, unknown>) => {
    const response = await deps.http.send(
      deps.policy,
      {
        method,
        url: `${root}${path}`,
        headers: {
          'x-api-token': input.token,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      },
      deps.signal,
    );
    failIfBad(response);
    return response;
  };
  const { title, name, ...rest } = input.record.properties;
  const summary = { crm: 'pipedrive', object: input.object };

  if (input.object === 'company') {
    const orgName = String(name ?? title ?? '');
    if (!orgName) throw new OutboundError('a Pipedrive organisation needs a name field', false);
    const search = new URLSearchParams({ term: orgName, fields: 'name', exact_match: 'true', limit: '1' });
    const found = firstHit(await call('GET', `/organizations/search?${search}`));
    const written = found
      ? await call('PUT', `/organizations/${found}`, { ...rest, name: orgName })
      : await call('POST', '/organizations', { ...rest, name: orgName });
    return {
      status: written.status,
      summary: { ...summary, id: data(written).id ?? found, created: !found },
    };
  }

  const email = input.record.email;
  const search = new URLSearchParams({ term: email, fields: 'email', exact_match: 'true', limit: '1' });
  const found = firstHit(await call('GET', `/persons/search?${search}`));
  const personFields = input.object === 'contact' ? rest : {};
  const person = found
    ? await call('PUT', `/persons/${found}`, { ...personFields, ...(name ? { name } : {}) })
    : await call('POST', '/persons', {
        ...personFields,
        name: String(name ?? email),
        email: [{ value: email, primary: true, label: 'work' }],
      });
  const personId = (data(person).id as number | undefined) ?? found;
  if (input.object === 'contact')
    return { status: person.status, summary: { ...summary, id: personId, created: !found } };

  const recordTitle = String(title ?? `${String(name ?? email)} ${input.object}`);
  const path = { lead: '/leads', deal: '/deals', note: '/notes' }[input.object];
  const key = input.idempotencyKey;
  const earlier = key ? await findEarlier(call, input.object, personId, key, input.keyField) : null;
  if (earlier !== null)
    return {
      status: 200,
      summary: { ...summary, id: earlier, personId, created: false, replayed: true },
    };
  const content = String(rest.content ?? title ?? '');
  const created = await call(
    'POST',
    path,
    input.object === 'note'
      ? { ...rest, content: key ? `${content}\n\n${noteMarker(key)}` : content, person_id: personId }
      : {
          ...rest,
          ...(key ? { origin_id: key } : {}),
          ...(key && input.keyField ? { [input.keyField]: key } : {}),
          title: recordTitle,
          person_id: personId,
        },
  );
  return {
    status: created.status,
    summary: { ...summary, id: data(created).id ?? null, personId, created: true },
  };
}

type PipedriveCall = (method: 'GET', path: string) => Promise<OutboundResponse>;

/**
 * What an earlier attempt of this step created for the person, found by its key: a note whose
 * content carries the marker (the person's latest 100 notes), or a lead or deal whose `keyField`
 * equals the key (Pipedrive's search, exact match). Null when there is none or no way to tell.
 */
async function findEarlier(
  call: PipedriveCall,
  object: 'lead' | 'deal' | 'note',
  personId: unknown,
  key: string,
  keyField: string | undefined,
): Promise<string | number | null> {
  if (object === 'note') {
    const query = new URLSearchParams({ person_id: String(personId), limit: '100', sort: 'add_time DESC' });
    const response = await call('GET', `/notes?${query}`);
    let notes: unknown;
    try {
      notes = (JSON.parse(response.body) as { data?: unknown }).data;
    } catch {
      notes = null;
    }
    const marker = noteMarker(key);
    const hit = (Array.isArray(notes) ? notes : []).find(
      (n: { content?: unknown }) => typeof n?.content === 'string' && n.content.includes(marker),
    ) as { id?: string | number } | undefined;
    return hit?.id ?? null;
  }
  if (!keyField) return findByOrigin(call, object, personId, key);
  const query = new URLSearchParams({
    term: key,
    fields: 'custom_fields',
    exact_match: 'true',
    person_id: String(personId),
    limit: '1',
  });
  return firstHit(await call('GET', `/${object}s/search?${query}`));
}

/** Pages of the person's leads or deals read before giving up (100 each, newest deals first). */
const ORIGIN_PAGES = 5;

/**
 * The person's lead or deal whose `origin_id` is the key. Leads: `GET /v1/leads?person_id=`
 * (not archived ones, oldest first, paged); deals: `GET /v1/persons/{id}/deals` with every status
 * but deleted, newest first. Both are plain listings, current on the next read, unlike the
 * search index.
 */
async function findByOrigin(
  call: PipedriveCall,
  object: 'lead' | 'deal',
  personId: unknown,
  key: string,
): Promise<string | number | null> {
  for (let page = 0; page < ORIGIN_PAGES; page += 1) {
    const paging = { start: String(page * 100), limit: '100' };
    const path =
      object === 'lead'
        ? `/leads?${new URLSearchParams({ person_id: String(personId), ...paging })}`
        : `/persons/${encodeURIComponent(String(personId))}/deals?${new URLSearchParams({
            status: 'all_not_deleted',
            sort: 'add_time DESC',
            ...paging,
          })}`;
    let parsed: { data?: unknown; additional_data?: { pagination?: { more_items_in_collection?: unknown } } };
    try {
      parsed = JSON.parse((await call('GET', path)).body) as typeof parsed;
    } catch {
      return null;
    }
    const rows = Array.isArray(parsed.data) ? (parsed.data as { id?: unknown; origin_id?: unknown }[]) : [];
    const hit = rows.find((r) => r?.origin_id === key);
    if (hit && (typeof hit.id === 'string' || typeof hit.id === 'number')) return hit.id;
    const more =
      parsed.additional_data?.pagination?.more_items_in_collection ??
      (parsed.additional_data as { more_items_in_collection?: unknown } | undefined)
        ?.more_items_in_collection;
    if (more !== true) return null;
  }
  return null;
}
