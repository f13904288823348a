import type { Step } from '../dsl/index.ts';
import { n8nFromTemplate } from './expressions.ts';

/** An n8n node without its name, id and position. */
export type NodeSpec = { type: string; typeVersion: number; parameters: Record<string, unknown> };

/** Google Sheets v4.5 / Airtable v2.1 node parameters for a `table_row` step. */
export function tableRowNode(
  step: Extract<Step, { type: 'table_row' }>,
  names: ReadonlyMap<string, string>,
): NodeSpec {
  const t = (s: string) => n8nFromTemplate(s, names);
  const columns = Object.fromEntries(Object.entries(step.columns ?? {}).map(([k, v]) => [k, t(v)]));
  const sheets = step.provider === 'google_sheets';
  const mapping = {
    mappingMode: 'defineBelow',
    value: columns,
    matchingColumns: step.matchOn ? [step.matchOn] : [],
    schema: Object.keys(columns).map((id) => ({ id, displayName: id, type: 'string', display: true })),
  };
  const rl = (value: string, name?: string) => ({
    __rl: true,
    mode: name ? 'name' : 'id',
    value: t(value),
    ...(name ? { cachedResultName: name } : {}),
  });
  if (step.operation === 'lookup') {
    const value = step.matchOn ? (step.columns?.[step.matchOn] ?? '') : '';
    return sheets
      ? {
          type: 'n8n-nodes-base.googleSheets',
          typeVersion: 4.5,
          parameters: {
            documentId: rl(step.document),
            sheetName: rl(step.table, step.table),
            ...(step.matchOn
              ? { filtersUI: { values: [{ lookupColumn: step.matchOn, lookupValue: t(value) }] } }
              : {}),
            options: {},
          },
        }
      : {
          type: 'n8n-nodes-base.airtable',
          typeVersion: 2.1,
          parameters: {
            operation: 'search',
            base: rl(step.document),
            table: rl(step.table, step.table),
            ...(step.matchOn ? { filterByFormula: `{${step.matchOn}} = '${t(value)}'` } : {}),
            options: {},
          },
        };
  }
  const operation = sheets
    ? step.operation === 'append'
      ? 'append'
      : 'appendOrUpdate'
    : step.operation === 'append'
      ? 'create'
      : 'upsert';
  return {
    type: sheets ? 'n8n-nodes-base.googleSheets' : 'n8n-nodes-base.airtable',
    typeVersion: sheets ? 4.5 : 2.1,
    parameters: {
      operation,
      [sheets ? 'documentId' : 'base']: rl(step.document),
      [sheets ? 'sheetName' : 'table']: rl(step.table, step.table),
      columns: mapping,
      options: {},
    },
  };
}
