import type { HolderRegistry, SubjectScope } from './holders.ts';

/** GDPR Art. 15/20: everything held about the person, one entry per table, machine-readable. */
export interface ExportBundle {
  format: 'leadloop.subject-export/1';
  generatedAt: string;
  requestId: string;
  workspaceId: string;
  leadIds: string[];
  /** Rows per table, as stored (JSON columns parsed). */
  tables: Record<string, Record<string, unknown>[]>;
  /** Per holder: which tables it read and how many rows. */
  holders: { name: string; tables: string[]; rows: number; onErasure: string }[];
}

function parsed(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (typeof value === 'string' && (value.startsWith('{') || value.startsWith('['))) {
      try {
        out[key] = JSON.parse(value);
        continue;
      } catch {
        // Not JSON after all: keep the text.
      }
    }
    out[key] = typeof value === 'bigint' ? Number(value) : value;
  }
  return out;
}

export async function buildExport(
  registry: HolderRegistry,
  scope: SubjectScope,
  meta: { requestId: string; now: number },
): Promise<ExportBundle> {
  const tables: Record<string, Record<string, unknown>[]> = {};
  const holders: ExportBundle['holders'] = [];
  for (const holder of registry.holders()) {
    const rows = (await holder.export(scope)).map(parsed);
    const table = holder.tables[0] ?? holder.name;
    tables[table] = [...(tables[table] ?? []), ...rows];
    holders.push({
      name: holder.name,
      tables: [...holder.tables],
      rows: rows.length,
      onErasure: holder.action,
    });
  }
  return {
    format: 'leadloop.subject-export/1',
    generatedAt: new Date(meta.now).toISOString(),
    requestId: meta.requestId,
    workspaceId: scope.ctx.workspaceId,
    leadIds: [...scope.leadIds],
    tables,
    holders,
  };
}

function csvCell(value: unknown): string {
  const text =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The same bundle as one long CSV (table, row, column, value), which any spreadsheet opens. */
export function exportCsv(bundle: ExportBundle): string {
  const lines = ['table,row,column,value'];
  for (const [table, rows] of Object.entries(bundle.tables)) {
    rows.forEach((row, index) => {
      for (const [column, value] of Object.entries(row))
        lines.push(
          [table, String(index + 1), column, csvCell(value)]
            .map((c, i) => (i < 3 ? csvCell(c) : c))
            .join(','),
        );
    });
  }
  return `${lines.join('\r\n')}\r\n`;
}
