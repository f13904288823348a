import { LeadloopError } from '../../core/index.ts';
import type { CsvTable } from './csv-table.ts';

/** A field value as it arrives from a CSV cell, a JSON body or a lead record. */
export type RawValue = string | number | boolean | null | undefined;

/** A lead (or any row) by column name. */
export type LeadRecord = Readonly<Record<string, RawValue>>;

/** Reads one row's fields by column name. */
export type ColumnReader = (column: string) => RawValue;

/**
 * Rows to train on or score, whatever their origin. Training and scoring both go through this,
 * so a CSV row and a stored lead are encoded by the same code.
 */
export interface RowSource {
  readonly length: number;
  readonly columns: readonly string[];
  reader(row: number): ColumnReader;
}

/** Rows of a parsed CSV, read by column name. */
export function tableSource(table: CsvTable): RowSource {
  const index = new Map(table.columns.map((name, i) => [name, i]));
  return {
    length: table.rows.length,
    columns: table.columns,
    reader(row) {
      const cells = table.rows[row];
      return (column) => {
        const i = index.get(column);
        return i === undefined ? undefined : cells?.[i];
      };
    },
  };
}

/** Lead records (plain objects); columns are the keys of the first 100 records. */
export function recordSource(records: readonly LeadRecord[]): RowSource {
  const columns = new Set<string>();
  for (const record of records.slice(0, 100)) for (const key of Object.keys(record)) columns.add(key);
  return {
    length: records.length,
    columns: [...columns],
    reader(row) {
      const record = records[row];
      return (column) => record?.[column];
    },
  };
}

/** The rows of `source` at `indices`, in that order: how splits and windows are taken without copying. */
export function subsetSource(source: RowSource, indices: ArrayLike<number>): RowSource {
  return {
    length: indices.length,
    columns: source.columns,
    reader: (row) => source.reader(indices[row] as number),
  };
}

const TRUE_WORDS = new Set(['yes', 'true', '1', 'y', 't']);
const FALSE_WORDS = new Set(['no', 'false', '0', 'n', 'f']);

/**
 * `yes`/`no`, `true`/`false` in any case, `1`/`0` (also as numbers or booleans). Anything else,
 * including an empty cell, is `undefined`.
 */
export function parseBooleanValue(raw: RawValue): 0 | 1 | undefined {
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (typeof raw === 'number') return raw === 1 ? 1 : raw === 0 ? 0 : undefined;
  if (typeof raw !== 'string') return undefined;
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return 1;
  if (FALSE_WORDS.has(word)) return 0;
  return undefined;
}

/** The target column as 0/1 labels, with the errors a person can act on. */
export function readTarget(table: CsvTable, target: string): Uint8Array {
  const index = table.columns.indexOf(target);
  if (index < 0) {
    const reason = `is not a column of the file; available columns: ${table.columns.join(', ')}`;
    throw new LeadloopError('validation_failed', `target column "${target}" ${reason}`, {
      issues: [{ field: 'target', reason }],
    });
  }
  const labels = new Uint8Array(table.rows.length);
  let positives = 0;
  for (let row = 0; row < table.rows.length; row++) {
    const raw = table.rows[row]?.[index];
    const value = parseBooleanValue(raw);
    if (value === undefined) {
      const reason = `data row ${row + 1} has ${raw === undefined || raw.trim() === '' ? 'an empty value' : `the value "${raw}"`}; expected yes/no, true/false or 1/0`;
      throw new LeadloopError('validation_failed', `target column "${target}": ${reason}`, {
        issues: [{ field: `target.${target}`, reason }],
      });
    }
    labels[row] = value;
    positives += value;
  }
  if (positives === 0 || positives === labels.length) {
    const only = positives === 0 ? 'negative (no/false/0)' : 'positive (yes/true/1)';
    const reason = `has only ${only} values in ${labels.length} rows; a model needs both outcomes`;
    throw new LeadloopError('validation_failed', `target column "${target}" ${reason}`, {
      issues: [{ field: `target.${target}`, reason }],
    });
  }
  return labels;
}
