import {
  type MapContext,
  type N8nNode,
  type NodeMapping,
  opaque,
  type Rec,
  rec,
  step,
  str,
  templater,
} from './mapper-kit.ts';
import { pipedriveRead } from './vendor-requests.ts';

/**
 * Mappers of n8n's spreadsheet and CRM nodes that Leadloop runs itself: Google Sheets and Airtable
 * (→ `table_row`), Pipedrive (→ `crm_upsert` with provider `pipedrive`). Sheets and bases named by
 * an expression are kept as templates; the credential is the one named after the provider.
 */

const SEG = /^[A-Za-z0-9_-]{1,64}$/;

/** n8n's resource locator (`{ __rl, mode, value, cachedResultName }`) or a plain value. */
function locator(v: unknown): { value: string; name?: string; mode?: string } {
  if (typeof v === 'string' || typeof v === 'number') return { value: String(v) };
  const r = rec(v);
  const name = str(r.cachedResultName);
  return {
    value: r.value === undefined || r.value === null ? '' : String(r.value),
    ...(name && name !== '=' ? { name } : {}),
    ...(str(r.mode) ? { mode: str(r.mode) } : {}),
  };
}

/** Columns written, from the mapper (`columns.value`), `fieldsUi`, or (auto-mapped) the schema's column ids. */
function columnsOf(
  p: Rec,
  t: (v: unknown, what: string) => string,
  reasons: string[],
): Record<string, string> {
  const columns: Record<string, string> = {};
  const mapping = rec(p.columns);
  const auto = mapping.mappingMode === 'autoMapInputData' || p.dataMode === 'autoMapInputData';
  for (const [k, v] of Object.entries(rec(mapping.value))) columns[k.slice(0, 200)] = t(v, `column ${k}`);
  for (const f of (rec(p.fieldsUi).values ?? rec(p.fieldsUi).fieldValues ?? []) as Rec[]) {
    const name = str(f.column) ?? str(f.fieldId);
    if (name) columns[name.slice(0, 200)] = t(f.fieldValue ?? '', `column ${name}`);
  }
  if (auto || Object.keys(columns).length === 0) {
    const schema = (Array.isArray(mapping.schema) ? mapping.schema : []) as Rec[];
    const ids = schema.filter((c) => c.removed !== true).map((c) => str(c.id) ?? '');
    const fields = Array.isArray(p.fields) ? (p.fields as unknown[]).map(String) : [];
    for (const id of [...ids, ...fields]) {
      if (id && !(id in columns) && SEG.test(id)) columns[id] = `{{vars.${id}}}`;
    }
    reasons.push(
      Object.keys(columns).length > 0
        ? "the item's fields are written by name (each column takes the run variable of that name)"
        : 'the columns are mapped from the incoming item in n8n; name them in `columns`',
    );
  }
  return columns;
}

export function googleSheetsNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const resource = str(p.resource) ?? 'sheet';
  const op = str(p.operation) ?? 'read';
  const operation =
    op === 'append'
      ? 'append'
      : op === 'appendOrUpdate' || op === 'update' || op === 'upsert'
        ? 'upsert'
        : op === 'read' || op === 'lookup'
          ? 'lookup'
          : null;
  if (resource !== 'sheet' || !operation)
    return opaque(node, `Google Sheets ${resource} ${op} (only rows are read and written)`);
  const doc = locator(p.documentId ?? p.sheetId);
  const url = /\/spreadsheets\/d\/([A-Za-z0-9_-]+)/.exec(doc.value);
  const document = url ? (url[1] as string) : t(doc.value, 'spreadsheet');
  const sheet = locator(p.sheetName);
  let table = sheet.name ?? '';
  if (!table && sheet.value && (sheet.mode === 'name' || !/^(gid=)?\d+$/.test(sheet.value)))
    table = t(sheet.value, 'sheet');
  if (!table) {
    const range = str(p.range);
    table = range?.includes('!') ? (range.split('!')[0] as string).replace(/^'|'$/g, '') : 'Sheet1';
    reasons.push(`the sheet is named "${table}"; the n8n node chose it by id`);
  }
  if (!document) reasons.push('the spreadsheet id is empty; set `document`');
  const columns = operation === 'lookup' ? {} : columnsOf(p, t, reasons);
  let matchOn: string | undefined;
  const matching = rec(p.columns).matchingColumns;
  if (operation === 'upsert') {
    matchOn =
      (Array.isArray(matching) ? str(matching[0]) : undefined) ?? str(p.columnToMatchOn) ?? str(p.key);
    if (matchOn && p.valueToMatchOn !== undefined) columns[matchOn] = t(p.valueToMatchOn, 'value to match');
    if (!matchOn || columns[matchOn] === undefined) {
      if (!matchOn) reasons.push('no column to match on: the row is appended');
      else reasons.push(`the column to match on (${matchOn}) has no value: the row is appended`);
      matchOn = undefined;
    }
    if (op === 'update')
      reasons.push("a row that does not match is added (n8n's update leaves the sheet unchanged)");
  }
  if (operation === 'lookup') {
    const filters = (rec(p.filtersUI).values ?? []) as Rec[];
    const first = filters[0];
    const column = str(first?.lookupColumn) ?? str(p.lookupColumn);
    if (column) {
      matchOn = column;
      columns[column] = t(first?.lookupValue ?? p.lookupValue ?? '', 'lookup value');
    }
    if (filters.length > 1) reasons.push('only the first filter is applied');
    reasons.push(
      'the rows found (at most 100) are kept in vars.rows and the steps after it run once per row',
    );
  }
  return step(
    {
      type: 'table_row',
      provider: 'google_sheets',
      operation: matchOn === undefined && operation === 'upsert' ? 'append' : operation,
      document: document || 'spreadsheet-id',
      table: table.slice(0, 2000),
      ...(Object.keys(columns).length > 0 ? { columns } : {}),
      ...(matchOn ? { matchOn } : {}),
      ...(operation === 'lookup' ? { saveAs: 'rows' } : {}),
      credential: 'google_sheets',
    },
    reasons,
  );
}

export function airtableNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const resource = str(p.resource) ?? 'record';
  const op = str(p.operation) ?? ((node.typeVersion ?? 1) >= 2 ? 'read' : 'read');
  const operation =
    op === 'append' || op === 'create'
      ? 'append'
      : op === 'upsert' || op === 'update'
        ? 'upsert'
        : op === 'search' || op === 'list'
          ? 'lookup'
          : null;
  if (resource !== 'record' || !operation)
    return opaque(node, `Airtable ${resource} ${op} (only records are created, updated and searched)`);
  const base = locator(p.base ?? p.application);
  const table = locator(p.table);
  const columns = operation === 'lookup' ? {} : columnsOf(p, t, reasons);
  let matchOn: string | undefined;
  if (operation === 'upsert') {
    const matching = rec(p.columns).matchingColumns;
    matchOn = Array.isArray(matching) ? str(matching[0]) : undefined;
    if (!matchOn || columns[matchOn] === undefined) {
      reasons.push(
        matchOn === 'id' || !matchOn
          ? 'records are matched on a field, not on the Airtable record id: without one the record is created'
          : `the field to match on (${matchOn}) has no value: the record is created`,
      );
      matchOn = undefined;
    } else if (op === 'update') reasons.push("a record that does not match is created (n8n's update fails)");
  }
  if (operation === 'lookup') {
    const formula = str(p.filterByFormula) ?? str(rec(p.additionalOptions).filterByFormula);
    const simple = formula ? /^\{([^}]+)\}\s*=\s*['"](.*)['"]$/.exec(formula.replace(/^=/, '').trim()) : null;
    if (simple) {
      matchOn = simple[1] as string;
      columns[matchOn] = t(`=${simple[2]}`, 'search value');
    } else if (formula)
      reasons.push(
        `the formula ${formula.slice(0, 200)} is not a single field = value test: every record is read`,
      );
    reasons.push(
      'the records found (at most 100) are kept in vars.records and the steps after it run once per record',
    );
  }
  const document = base.value ? t(base.value, 'base') : '';
  const name = table.name ?? (table.value ? t(table.value, 'table') : '');
  if (!document || !name) reasons.push('the base or table is empty; set `document` and `table`');
  return step(
    {
      type: 'table_row',
      provider: 'airtable',
      operation: matchOn === undefined && operation === 'upsert' ? 'append' : operation,
      document: (document || 'base-id').slice(0, 2000),
      table: (name || 'table').slice(0, 2000),
      ...(Object.keys(columns).length > 0 ? { columns } : {}),
      ...(matchOn ? { matchOn } : {}),
      ...(operation === 'lookup' ? { saveAs: 'records' } : {}),
      credential: 'airtable',
    },
    reasons,
  );
}

const PIPEDRIVE_OBJECT: Record<string, 'contact' | 'lead' | 'deal' | 'company' | 'note'> = {
  note: 'note',
  person: 'contact',
  lead: 'lead',
  deal: 'deal',
  organization: 'company',
};

export function pipedriveNode(node: N8nNode, p: Rec, ctx: MapContext): NodeMapping {
  const { t, reasons } = templater(ctx);
  const resource = str(p.resource) ?? 'deal';
  const op = str(p.operation) ?? 'create';
  const read = pipedriveRead(node, p, ctx, resource, op);
  if (read) return read;
  const object = PIPEDRIVE_OBJECT[resource];
  if (!object || (op !== 'create' && op !== 'update'))
    return opaque(
      node,
      `Pipedrive ${resource} ${op}: Leadloop creates or updates people, leads, deals, notes and organisations only`,
    );
  const fields: Record<string, string> = {};
  for (const key of ['name', 'title', 'content'])
    if (typeof p[key] === 'string') fields[key] = t(p[key], key);
  for (const [key, value] of Object.entries(rec(p.additionalFields))) {
    if (object === 'note' && /^(person|deal|lead|org)_id$/.test(key)) {
      reasons.push(`the note is attached to the lead's person (found by e-mail), not to the ${key} given`);
    } else if (key === 'email' || key === 'phone') {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string' && key === 'phone') fields.phone = t(first, key);
      if (key === 'email') reasons.push("the person is matched on the lead's e-mail");
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      fields[key.slice(0, 100)] = t(value, key);
    else reasons.push(`the ${key} field group is left out`);
  }
  if (op === 'update') reasons.push('an update matches the person on e-mail (not on the Pipedrive id)');
  if (object === 'lead' || object === 'deal' || object === 'note')
    reasons.push(`the ${object} is created for the lead's person (found by e-mail or created)`);
  return step(
    {
      type: 'crm_upsert',
      provider: 'pipedrive',
      object,
      credential: 'pipedrive',
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    },
    reasons,
  );
}
