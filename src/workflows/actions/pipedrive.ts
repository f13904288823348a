import type { ConnectorDeps, CrmRecord, EffectResult } from './connectors.ts';
import { isRetryableStatus, OutboundError, type OutboundResponse } from './safe-http.ts';

/**
 * Pipedrive through its v1 REST API, authenticated by the company's API token in the
 * `x-api-token` header (never in the URL, where proxies and logs would keep it). A person is
 * matched on e-mail (`GET /v1/persons/search`, exact match) and updated (`PUT /v1/persons/{id}`)
 * or created (`POST /v1/persons`); a `lead` or `deal` is then created for that person
 * (`POST /v1/leads`, `POST /v1/deals`, `POST /v1/notes`), and a `company` is an organisation
 * matched on name.
 * Pipedrive takes no idempotency key: the person step is an upsert and repeats harmlessly, but a
 * retried lead or deal creation whose first answer was lost can create a second one.
 */

const PIPEDRIVE_API = 'https://api.pipedrive.com';

export interface PipedriveInput {
  token: string;
  /** The company domain's API root (`https://acme.pipedrive.com/api`) or a test server; default the public API. */
  baseUrl?: string;
  object: 'contact' | 'lead' | 'company' | 'deal' | 'note';
  record: CrmRecord;
}

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
function firstHit(response: OutboundResponse): number | null {
  const items = data(response).items;
  const id = Array.isArray(items) ? (items[0] as { item?: { id?: unknown } } | undefined)?.item?.id : null;
  return typeof id === 'number' ? id : null;
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
  const created = await call(
    'POST',
    path,
    input.object === 'note'
      ? { ...rest, content: String(rest.content ?? title ?? ''), person_id: personId }
      : { ...rest, title: recordTitle, person_id: personId },
  );
  return {
    status: created.status,
    summary: { ...summary, id: data(created).id ?? null, personId, created: true },
  };
}
