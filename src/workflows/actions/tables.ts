import type { ConnectorDeps, EffectResult } from './connectors.ts';
import { isRetryableStatus, OutboundError, type OutboundResponse } from './safe-http.ts';

/**
 * Rows in spreadsheet-like tables through their documented REST APIs: Google Sheets v4
 * (`spreadsheets.values`) and Airtable (`/v0/{baseId}/{table}`). Both take a bearer token from the
 * credential store. Neither API takes an idempotency key, so an `upsert` (matched on a column) is
 * the way to make a retried step write its row once; a retried `append` after a lost answer may
 * add a second row.
 */

/** Column name → cell value, already rendered. */
type RowValues = Record<string, string>;

export interface TableRowInput {
  token: string;
  /** API root override (tests, proxies); default the provider's public API. */
  baseUrl?: string;
  /** Google Sheets: spreadsheet id. Airtable: base id. */
  document: string;
  /** Google Sheets: the sheet's name. Airtable: the table's name or id. */
  table: string;
  operation: 'append' | 'upsert' | 'lookup';
  columns: RowValues;
  matchOn?: string;
}

/** What a table step hands back: the effect summary and, for lookups, the rows found. */
export interface TableRowResult extends EffectResult {
  rows?: Record<string, unknown>[];
}

/** Rows a lookup returns at most. */
const LOOKUP_LIMIT = 100;

const SHEETS_API = 'https://sheets.googleapis.com';
const AIRTABLE_API = 'https://api.airtable.com';

function failIfBad(response: OutboundResponse, what: string): void {
  if (response.status >= 200 && response.status < 300) return;
  throw new OutboundError(
    `${what} answered ${response.status}: ${response.body.slice(0, 200)}`,
    isRetryableStatus(response.status),
  );
}

function json(response: OutboundResponse): Record<string, unknown> {
  try {
    const value = JSON.parse(response.body) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A sheet name quoted for A1 notation (`'Leads 2026'!A1`): quotes doubled. */
const sheetRange = (sheet: string, cells: string) => `'${sheet.replace(/'/g, "''")}'!${cells}`;

/** 1 → A, 27 → AA (A1 column letters). */
function columnLetter(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/**
 * Google Sheets: the header row names the columns (as n8n's Google Sheets node reads it). An empty
 * sheet gets the step's columns as its header. `append` posts to `values/{range}:append`;
 * `upsert` reads the sheet, rewrites the first row whose `matchOn` cell equals the value (cells the
 * step does not name are kept) or appends; `lookup` returns matching rows as header → cell objects.
 */
export async function googleSheetsRow(deps: ConnectorDeps, input: TableRowInput): Promise<TableRowResult> {
  const root = `${input.baseUrl ?? SHEETS_API}/v4/spreadsheets/${encodeURIComponent(input.document)}/values`;
  const auth = { authorization: `Bearer ${input.token}` };
  const send = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
    const response = await deps.http.send(
      deps.policy,
      {
        method,
        url: `${root}/${path}`,
        headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      deps.signal,
    );
    failIfBad(response, 'Google Sheets');
    return json(response);
  };
  // An append needs only the header row; an upsert or lookup reads the rows it matches against.
  const cells = input.operation === 'append' ? '1:1' : 'A:ZZ';
  const sheet = await send('GET', encodeURIComponent(sheetRange(input.table, cells)));
  const grid = (Array.isArray(sheet.values) ? sheet.values : []) as unknown[][];
  let header = (grid[0] ?? []).map((c) => String(c ?? ''));
  const summary = { table: 'google_sheets', sheet: input.table };
  const rowObject = (row: unknown[]) => Object.fromEntries(header.map((h, i) => [h, row[i] ?? '']));
  const matchIndex = () => {
    if (!input.matchOn) return -1;
    const col = header.indexOf(input.matchOn);
    const wanted = input.columns[input.matchOn] ?? '';
    return col < 0 ? -1 : grid.findIndex((row, i) => i > 0 && String(row[col] ?? '') === wanted);
  };

  if (input.operation === 'lookup') {
    if (input.matchOn && !header.includes(input.matchOn))
      throw new OutboundError(`the sheet has no column "${input.matchOn}" in its header row`, false);
    const col = input.matchOn ? header.indexOf(input.matchOn) : -1;
    const wanted = input.matchOn ? (input.columns[input.matchOn] ?? '') : '';
    const rows = grid
      .slice(1)
      .filter((row) => col < 0 || String(row[col] ?? '') === wanted)
      .slice(0, LOOKUP_LIMIT)
      .map(rowObject);
    return { status: 200, summary: { ...summary, found: rows.length }, rows };
  }

  const names = Object.keys(input.columns);
  if (header.length === 0) {
    header = names;
    await send(
      'PUT',
      `${encodeURIComponent(sheetRange(input.table, `A1:${columnLetter(header.length)}1`))}?valueInputOption=RAW`,
      { range: sheetRange(input.table, `A1:${columnLetter(header.length)}1`), values: [header] },
    );
  }
  const unknown = names.filter((n) => !header.includes(n));
  if (unknown.length > 0)
    throw new OutboundError(
      `the sheet's header row has no column ${unknown.map((n) => `"${n}"`).join(', ')}`,
      false,
    );

  const at = input.operation === 'upsert' ? matchIndex() : -1;
  if (at > 0) {
    const existing = grid[at] ?? [];
    const row = header.map((h, i) => input.columns[h] ?? String(existing[i] ?? ''));
    const range = sheetRange(input.table, `A${at + 1}:${columnLetter(header.length)}${at + 1}`);
    await send('PUT', `${encodeURIComponent(range)}?valueInputOption=USER_ENTERED`, {
      range,
      majorDimension: 'ROWS',
      values: [row],
    });
    return { status: 200, summary: { ...summary, row: at + 1, created: false } };
  }
  const row = header.map((h) => input.columns[h] ?? '');
  const appended = await send(
    'POST',
    `${encodeURIComponent(sheetRange(input.table, 'A1'))}:append?valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS`,
    { majorDimension: 'ROWS', values: [row] },
  );
  const updates = (appended.updates ?? {}) as { updatedRange?: string };
  return { status: 200, summary: { ...summary, range: updates.updatedRange ?? null, created: true } };
}

/** An Airtable formula string literal: backslashes and double quotes escaped. */
const formulaString = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * Airtable: `append` is `POST /v0/{base}/{table}` with one record; `upsert` is `PATCH` with
 * `performUpsert.fieldsToMergeOn` (Airtable matches and creates in one call); `lookup` is `GET`
 * with `filterByFormula` `{field} = "value"`. `typecast` lets Airtable convert text to the field's type.
 */
export async function airtableRow(deps: ConnectorDeps, input: TableRowInput): Promise<TableRowResult> {
  const url = `${input.baseUrl ?? AIRTABLE_API}/v0/${encodeURIComponent(input.document)}/${encodeURIComponent(input.table)}`;
  const headers = { authorization: `Bearer ${input.token}`, 'content-type': 'application/json' };
  const summary = { table: 'airtable', name: input.table };
  if (input.operation === 'lookup') {
    const query = new URLSearchParams({ maxRecords: String(LOOKUP_LIMIT) });
    if (input.matchOn)
      query.set(
        'filterByFormula',
        `{${input.matchOn.replace(/[{}]/g, '')}} = ${formulaString(input.columns[input.matchOn] ?? '')}`,
      );
    const response = await deps.http.send(
      deps.policy,
      { method: 'GET', url: `${url}?${query}`, headers: { authorization: headers.authorization } },
      deps.signal,
    );
    failIfBad(response, 'Airtable');
    const records = (json(response).records ?? []) as { id?: string; fields?: Record<string, unknown> }[];
    const rows = records.slice(0, LOOKUP_LIMIT).map((r) => ({ id: r.id ?? null, ...(r.fields ?? {}) }));
    return { status: response.status, summary: { ...summary, found: rows.length }, rows };
  }
  const upsert = input.operation === 'upsert' && input.matchOn !== undefined;
  const response = await deps.http.send(
    deps.policy,
    {
      method: upsert ? 'PATCH' : 'POST',
      url,
      headers,
      body: JSON.stringify({
        ...(upsert ? { performUpsert: { fieldsToMergeOn: [input.matchOn] } } : {}),
        records: [{ fields: input.columns }],
        typecast: true,
      }),
    },
    deps.signal,
  );
  failIfBad(response, 'Airtable');
  const parsed = json(response) as { records?: { id?: string }[]; createdRecords?: string[] };
  const id = parsed.records?.[0]?.id ?? null;
  const created = upsert ? id !== null && (parsed.createdRecords ?? []).includes(id) : true;
  return { status: response.status, summary: { ...summary, id, created } };
}
