import { assertNever } from '../../core/index.ts';
import {
  type EffectResult,
  sendHttpRequest,
  sendSignedWebhook,
  upsertHubspotRecord,
  upsertSalesforceRecord,
} from '../actions/connectors.ts';
import { googleAccessToken } from '../actions/google-oauth.ts';
import { upsertPipedriveRecord } from '../actions/pipedrive.ts';
import { airtableRow, googleSheetsRow } from '../actions/tables.ts';
import type { StepOf } from '../dsl/index.ts';
import { renderJson, renderText } from './evaluate.ts';
import {
  credential,
  type ExecutorDeps,
  go,
  leadOf,
  outbound,
  policy,
  StepFailure,
  type StepOutcome,
  type StepRuntime,
} from './executor-kit.ts';

/** Executors of the steps that send lead data to another system: HTTP, signed webhooks, CRMs, tables. */

/** An SSRF-guarded HTTP request; the response may be kept under `vars.<saveAs>`. */
export async function httpRequestStep(
  step: StepOf<'http_request'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  const url = new URL(renderText(step.url, rt.scope));
  for (const [k, v] of Object.entries(step.query ?? {})) url.searchParams.set(k, renderText(v, rt.scope));
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.headers ?? {})) headers[k] = renderText(v, rt.scope);
  if (step.credential) {
    const stored = await deps.credentials.reveal(
      rt.db,
      { workspaceId: rt.workspaceId },
      step.credential,
      'bearer_token',
    );
    const header = stored
      ? null
      : await deps.credentials.reveal(rt.db, { workspaceId: rt.workspaceId }, step.credential, 'header');
    const google =
      stored || header
        ? null
        : await deps.credentials.reveal(
            rt.db,
            { workspaceId: rt.workspaceId },
            step.credential,
            'google_oauth',
          );
    if (stored) headers.authorization = `Bearer ${stored.token}`;
    else if (header) headers[header.name] = header.value;
    else if (google) headers.authorization = `Bearer ${await googleToken(step.credential, google, rt, deps)}`;
    else
      throw new StepFailure(
        `the credential "${step.credential}" (bearer_token, header or google_oauth) does not exist`,
        false,
      );
  }
  const method = step.method === 'HEAD' ? 'GET' : step.method;
  const result = await outbound(() =>
    sendHttpRequest(
      { http: deps.http, policy: policy(rt), signal: rt.signal },
      {
        method,
        url: url.toString(),
        headers,
        ...(step.body !== undefined ? { body: renderJson(step.body, rt.scope) } : {}),
        idempotencyKey: rt.idempotencyKey,
      },
    ),
  );
  let body: unknown = result.body;
  try {
    body = JSON.parse(result.body);
  } catch {}
  return go(step.next, {
    status: result.status,
    ...(step.saveAs ? { saveAs: step.saveAs, response: body } : {}),
    ...result.summary,
  });
}

/**
 * A Google access token for the credential, refreshed when due; a refreshed token is sealed back
 * into the credential store so the next step (and run) reuses it instead of refreshing again.
 */
async function googleToken(
  name: string,
  credential: Extract<Parameters<ExecutorDeps['credentials']['put']>[3], { kind: 'google_oauth' }>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<string> {
  const { token, refreshed } = await outbound(() =>
    googleAccessToken({ http: deps.http, policy: policy(rt), signal: rt.signal, nowMs: rt.now }, credential),
  );
  if (refreshed)
    await deps.credentials.put(rt.db, { workspaceId: rt.workspaceId }, name, { ...credential, ...refreshed });
  return token;
}

/** A Standard Webhooks signed POST. */
export async function webhookStep(
  step: StepOf<'webhook'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  const secret = await credential(deps, rt, step.secret, 'webhook_secret');
  const data =
    step.payload !== undefined
      ? renderJson(step.payload, rt.scope)
      : { leadId: rt.run.lead_id, runId: rt.run.id };
  const result = await outbound(() =>
    sendSignedWebhook(
      { http: deps.http, policy: policy(rt), signal: rt.signal, sign: deps.sign, nowMs: rt.now },
      {
        url: renderText(step.url, rt.scope),
        secret: secret.secret,
        idempotencyKey: rt.idempotencyKey,
        payload: { type: step.event, timestamp: new Date(rt.now).toISOString(), data },
      },
    ),
  );
  return go(step.next, { status: result.status, ...result.summary });
}

/** The schema lets only Pipedrive write notes; this says so to the type checker too. */
function personOrRecord(step: StepOf<'crm_upsert'>): Exclude<StepOf<'crm_upsert'>['object'], 'note'> {
  if (step.object === 'note')
    throw new StepFailure(`notes are a Pipedrive object, not ${step.provider}'s`, false);
  return step.object;
}

/** Create-or-update a CRM record for the run's lead. */
export async function crmUpsertStep(
  step: StepOf<'crm_upsert'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  const lead = leadOf(rt);
  const email = lead.email as string | null;
  if (!email) throw new StepFailure('the lead has no e-mail to match the CRM record on', false);
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.fields ?? {})) properties[k] = renderText(v, rt.scope);
  const on = { http: deps.http, policy: policy(rt), signal: rt.signal };
  const record = { email, properties };
  let result: EffectResult;
  switch (step.provider) {
    case 'hubspot': {
      const c = await credential(deps, rt, step.credential, 'hubspot');
      result = await outbound(() =>
        upsertHubspotRecord(on, {
          ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
          token: c.token,
          object: personOrRecord(step),
          ...(c.keyProperty ? { keyProperty: c.keyProperty } : {}),
          idempotencyKey: rt.idempotencyKey,
          record,
        }),
      );
      break;
    }
    case 'salesforce': {
      const c = await credential(deps, rt, step.credential, 'salesforce');
      result = await outbound(() =>
        upsertSalesforceRecord(on, {
          instanceUrl: c.instanceUrl,
          token: c.token,
          object: personOrRecord(step),
          idempotencyKey: rt.idempotencyKey,
          ...(c.externalIdField ? { externalIdField: c.externalIdField } : {}),
          record,
        }),
      );
      break;
    }
    case 'pipedrive': {
      const c = await credential(deps, rt, step.credential, 'pipedrive');
      result = await outbound(() =>
        upsertPipedriveRecord(on, {
          ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
          token: c.token,
          ...(c.keyField ? { keyField: c.keyField } : {}),
          idempotencyKey: rt.idempotencyKey,
          object: step.object,
          record,
        }),
      );
      break;
    }
    default:
      return assertNever(step.provider, 'CRM provider');
  }
  return go(step.next, { status: result.status, ...result.summary });
}

/** The column or field a table `append` keeps the step's idempotency key in, unless the step names another. */
const DEFAULT_KEY_COLUMN = 'leadloop_key';

/**
 * A spreadsheet or Airtable row. Lookups keep the rows found under `vars.<saveAs>`; writes keep
 * only a summary (which row, created or updated), never the cells, in the step's output.
 */
export async function tableRowStep(
  step: StepOf<'table_row'>,
  rt: StepRuntime,
  deps: ExecutorDeps,
): Promise<StepOutcome> {
  const columns: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.columns ?? {})) columns[k] = renderText(v, rt.scope);
  const on = { http: deps.http, policy: policy(rt), signal: rt.signal };
  const c = await credential(deps, rt, step.credential, step.provider);
  const input = {
    token: c.token,
    ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}),
    document: renderText(step.document, rt.scope),
    table: renderText(step.table, rt.scope),
    operation: step.operation,
    columns,
    ...(step.matchOn ? { matchOn: step.matchOn } : {}),
    ...(step.keyColumn === false
      ? {}
      : { idempotency: { key: rt.idempotencyKey, column: step.keyColumn ?? DEFAULT_KEY_COLUMN } }),
  };
  const result = await outbound(() =>
    step.provider === 'google_sheets' ? googleSheetsRow(on, input) : airtableRow(on, input),
  );
  return go(step.next, {
    status: result.status,
    ...result.summary,
    ...(step.saveAs ? { saveAs: step.saveAs, response: result.rows ?? result.summary } : {}),
  });
}
