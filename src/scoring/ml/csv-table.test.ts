import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LeadloopError } from '../../core/index.ts';
import type { CsvDelimiter } from './csv-table.ts';
import { parseCsv, readCsvFile, sniffDelimiter } from './csv-table.ts';
import { BANK_SMALL, bankMissing } from './testing/test-fixtures.ts';

function quote(field: string, delimiter: string): string {
  return /["\r\n]/.test(field) || field.includes(delimiter) || field !== field.trim()
    ? `"${field.replaceAll('"', '""')}"`
    : field;
}

function serialise(rows: string[][], delimiter: string, eol: string): string {
  return rows.map((row) => row.map((f) => quote(f, delimiter)).join(delimiter)).join(eol) + eol;
}

function validationIssue(error: unknown): { field: string; reason: string } {
  assert.ok(error instanceof LeadloopError);
  assert.equal(error.code, 'validation_failed');
  assert.ok(error.issues[0]);
  return error.issues[0];
}

describe('parseCsv', () => {
  it('round-trips any table with any delimiter, quoting and line ending', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'b', ' ', ',', ';', '\t', '|', '"', '\n', '\r\n', 'é', '1'),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((width) =>
          fc.tuple(
            fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), {
              minLength: width,
              maxLength: width,
            }),
            fc.array(fc.array(field, { minLength: width, maxLength: width }), {
              minLength: 1,
              maxLength: 8,
            }),
          ),
        ),
        fc.constantFrom<CsvDelimiter>(',', ';', '\t', '|'),
        fc.constantFrom('\n', '\r\n'),
        ([header, rows], delimiter, eol) => {
          // A row of empty fields serialises to an empty line, which CSV cannot tell from none.
          const kept = rows.filter((r) => r.some((f) => f !== ''));
          fc.pre(kept.length > 0);
          const table = parseCsv(serialise([header, ...kept], delimiter, eol), { delimiter });
          assert.deepEqual(table.columns, header);
          assert.deepEqual(table.rows, kept);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sniffs the delimiter of a table whose header has at least two columns', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z]{1,5}$/), { minLength: 2, maxLength: 6 }),
        fc.array(fc.stringMatching(/^[a-z0-9 .]{0,6}$/), { minLength: 6, maxLength: 6 }),
        fc.constantFrom<CsvDelimiter>(',', ';', '\t', '|'),
        (header, cells, delimiter) => {
          const row = header.map((_, i) => cells[i % cells.length] ?? '');
          const text = serialise([header, row, row], delimiter, '\r\n');
          assert.equal(sniffDelimiter(text), delimiter);
          assert.equal(parseCsv(text).delimiter, delimiter);
        },
      ),
    );
  });

  it('ignores delimiters inside quoted fields when sniffing', () => {
    const text = 'name;note\r\n"Smith, J";"a, b, c"\r\n"Doe, K";"d, e"\r\n';
    assert.equal(sniffDelimiter(text), ';');
    assert.deepEqual(parseCsv(text).rows, [
      ['Smith, J', 'a, b, c'],
      ['Doe, K', 'd, e'],
    ]);
  });

  it('strips a byte-order mark from the first column name', () => {
    assert.deepEqual(parseCsv('\uFEFFa,b\n1,2\n').columns, ['a', 'b']);
  });

  it('rejects an empty file', () => {
    assert.throws(
      () => parseCsv(''),
      (e) => validationIssue(e).reason === 'is empty',
    );
    assert.throws(
      () => parseCsv('\r\n \n'),
      (e) => validationIssue(e).reason === 'is empty',
    );
  });

  it('rejects a header without data rows', () => {
    assert.throws(
      () => parseCsv('a,b\n'),
      (e) => validationIssue(e).reason === 'has a header but no data rows',
    );
  });

  it('names the line of a row with the wrong number of fields', () => {
    assert.throws(
      () => parseCsv('a,b\n1,2\n3\n'),
      (e) => /line 3/.test(validationIssue(e).reason),
    );
  });

  it('rejects duplicate column names', () => {
    assert.throws(
      () => parseCsv('a,a\n1,2\n'),
      (e) => validationIssue(e).field === 'columns.a',
    );
  });

  it('reports a missing file as not found', async () => {
    await assert.rejects(
      readCsvFile('/nonexistent/file.csv'),
      (e) => e instanceof LeadloopError && e.code === 'not_found',
    );
  });

  it('reads the bank file: semicolons, quotes and CRLF', { skip: bankMissing }, async () => {
    const table = await readCsvFile(BANK_SMALL);
    assert.equal(table.delimiter, ';');
    assert.equal(table.rows.length, 4119);
    assert.equal(table.columns.length, 21);
    assert.equal(table.columns[20], 'y');
    assert.ok(
      table.rows.every((r) => r.length === 21 && !r.some((f) => f.includes('"') || f.includes('\r'))),
    );
  });
});
