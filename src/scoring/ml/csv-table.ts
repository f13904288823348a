import { readFile } from 'node:fs/promises';
import { LeadloopError, lazyModule } from '../../core/index.ts';

// Loaded by `train --csv`, not by every server (core/lazy-module.ts).
const csvParse = lazyModule<typeof import('csv-parse/sync')>('csv-parse/sync');

export type CsvDelimiter = ',' | ';' | '\t' | '|';

/** A parsed CSV: header names and the data rows as strings, every row as wide as the header. */
export interface CsvTable {
  columns: string[];
  rows: string[][];
  delimiter: CsvDelimiter;
}

const CANDIDATES: readonly CsvDelimiter[] = [',', ';', '\t', '|'];
const SNIFF_LINES = 25;

/**
 * Counts each candidate outside quotes on the first lines. The delimiter is the candidate that
 * appears on the header and the same number of times on the most lines; quoted fields may
 * contain any candidate, which is why a plain character count is not enough.
 */
export function sniffDelimiter(text: string): CsvDelimiter {
  const counts: number[][] = [];
  let line = new Array<number>(CANDIDATES.length).fill(0);
  let inQuotes = false;
  let nonEmpty = false;
  for (let i = 0; i < text.length && counts.length < SNIFF_LINES; i++) {
    const ch = text[i];
    if (ch === '"') {
      if (inQuotes && text[i + 1] === '"') i++;
      else inQuotes = !inQuotes;
      nonEmpty = true;
      continue;
    }
    if (!inQuotes && (ch === '\n' || ch === '\r')) {
      if (nonEmpty) counts.push(line);
      line = new Array<number>(CANDIDATES.length).fill(0);
      nonEmpty = false;
      continue;
    }
    nonEmpty = true;
    if (inQuotes) continue;
    const k = CANDIDATES.indexOf(ch as CsvDelimiter);
    if (k >= 0) line[k]! += 1;
  }
  if (nonEmpty && counts.length < SNIFF_LINES) counts.push(line);
  let best: CsvDelimiter = ',';
  let bestScore = 0;
  CANDIDATES.forEach((candidate, k) => {
    const header = counts[0]?.[k] ?? 0;
    if (header === 0) return;
    const rest = counts.slice(1);
    const agreeing = rest.filter((c) => c[k] === header).length;
    const consistency = rest.length === 0 ? 1 : agreeing / rest.length;
    const score = consistency * 1000 + header;
    if (score > bestScore) {
      bestScore = score;
      best = candidate;
    }
  });
  return best;
}

/**
 * Parses CSV text with any of `,` `;` tab `|` (sniffed unless given), quoted fields, CRLF or LF,
 * and a byte-order mark. Throws `validation_failed` for an empty file, a file with a header only,
 * duplicate or empty column names, and rows of the wrong width (naming the row).
 */
export function parseCsv(text: string, options: { delimiter?: CsvDelimiter } = {}): CsvTable {
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw new LeadloopError('validation_failed', 'the CSV file is empty', {
      issues: [{ field: 'file', reason: 'is empty' }],
    });
  }
  const delimiter = options.delimiter ?? sniffDelimiter(text.replace(/^\uFEFF/, ''));
  let records: string[][];
  try {
    records = csvParse().parse(text, { delimiter, bom: true, skip_empty_lines: true, relax_quotes: false });
  } catch (error) {
    const reason =
      error instanceof csvParse().CsvError
        ? `${error.message}`
        : `could not be parsed as CSV: ${error instanceof Error ? error.message : String(error)}`;
    throw new LeadloopError('validation_failed', `the CSV file could not be parsed: ${reason}`, {
      cause: error,
      issues: [{ field: 'file', reason }],
    });
  }
  const [header, ...rows] = records;
  if (header === undefined) {
    throw new LeadloopError('validation_failed', 'the CSV file is empty', {
      issues: [{ field: 'file', reason: 'is empty' }],
    });
  }
  const columns = header.map((name) => name.trim());
  const issues: { field: string; reason: string }[] = [];
  const seen = new Set<string>();
  columns.forEach((name, i) => {
    if (name === '') issues.push({ field: `columns[${i}]`, reason: 'has an empty name' });
    else if (seen.has(name)) issues.push({ field: `columns.${name}`, reason: 'appears more than once' });
    seen.add(name);
  });
  if (rows.length === 0) issues.push({ field: 'file', reason: 'has a header but no data rows' });
  if (issues.length > 0) {
    throw new LeadloopError(
      'validation_failed',
      `the CSV file is not usable: ${issues.map((x) => `${x.field} ${x.reason}`).join('; ')}`,
      {
        issues,
      },
    );
  }
  return { columns, rows, delimiter };
}

/** Reads and parses a CSV file (UTF-8). */
export async function readCsvFile(
  file: string,
  options: { delimiter?: CsvDelimiter } = {},
): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LeadloopError(
      code === 'ENOENT' ? 'not_found' : 'validation_failed',
      `cannot read ${file}: ${code ?? String(error)}`,
      {
        cause: error,
        issues: [
          {
            field: 'file',
            reason: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'unknown error'})`,
          },
        ],
      },
    );
  }
  return parseCsv(text, options);
}
