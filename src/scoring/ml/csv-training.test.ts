import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LeadloopError } from '../../core/index.ts';
import { parseCsv } from './csv-table.ts';
import { orderByTime, runCsvTraining } from './csv-training.ts';
import { parseScoringModel, serializeModel } from './model-json.ts';
import { createSeededRandom } from './random.ts';
import { BANK_SMALL, bankMissing } from './testing/test-fixtures.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leadloop-scoring-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function csv(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** Pipe-separated, quoted, CRLF, TRUE/FALSE target, dates out of order. */
function leadsCsv(n: number): string {
  const random = createSeededRandom(3);
  const lines = ['"signed_up"|"source"|"pages"|"company size"|"won"'];
  for (let i = 0; i < n; i++) {
    const day = 1 + Math.floor(random() * 360);
    const date = new Date(Date.UTC(2025, 0, day)).toISOString().slice(0, 10);
    const source = ['"ads, paid"', 'organic', 'referral'][i % 3]!;
    const pages = Math.floor(random() * 20);
    const size = random() < 0.1 ? '' : String(Math.floor(random() * 500));
    const z = -2 + 0.15 * pages + (source === 'referral' ? 1 : 0) + day / 200;
    lines.push(`${date}|${source}|${pages}|${size}|${random() < 1 / (1 + Math.exp(-z)) ? 'TRUE' : 'FALSE'}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

function issue(error: unknown): { field: string; reason: string } {
  assert.ok(error instanceof LeadloopError, String(error));
  assert.equal(error.code, 'validation_failed');
  return error.issues[0]!;
}

describe('runCsvTraining', () => {
  it('trains on the bank file with a seeded random holdout and reports both candidates', {
    skip: bankMissing,
  }, async () => {
    const stages: string[] = [];
    const report = await runCsvTraining({
      file: BANK_SMALL,
      target: 'y',
      drop: ['duration'],
      seed: 5,
      onProgress: (stage, fraction) => {
        assert.ok(fraction >= 0 && fraction <= 1);
        if (stages.at(-1) !== stage) stages.push(stage);
      },
    });
    assert.equal(report.split.kind, 'random');
    assert.equal(report.split.holdoutRows, 824);
    assert.equal(report.split.trainingRows, 4119 - 824);
    assert.ok(!report.features.some((f) => f.name === 'duration' || f.name === 'y'));
    assert.deepEqual(
      report.candidates.map((c) => c.kind),
      ['logistic', 'boosted'],
    );
    assert.ok(report.holdout.auc > 0.72, `AUC ${report.holdout.auc}`);
    assert.ok(report.holdout.liftTopDecile > 2);
    assert.deepEqual(report.holdout, report.candidates.find((c) => c.kind === report.chosen)!.holdout);
    assert.deepEqual(stages, ['read', 'features', 'logistic', 'boosted', 'calibration', 'evaluate']);
    assert.equal(parseScoringModel(serializeModel(report.model)).kind, report.chosen);
  });

  it('holds out the latest rows by a time column and keeps that column out of the features', async () => {
    const file = await csv('leads.csv', leadsCsv(1500));
    const report = await runCsvTraining({
      file,
      target: 'won',
      timeColumn: 'signed_up',
      seed: 1,
      training: { candidates: ['logistic'] },
    });
    assert.equal(report.split.kind, 'time');
    assert.equal(report.split.holdoutRows, 300);
    assert.deepEqual(
      report.features.map((f) => [f.name, f.kind]),
      [
        ['source', 'categorical'],
        ['pages', 'numeric'],
        ['company size', 'numeric'],
      ],
    );
    assert.ok(report.holdout.auc > 0.65, `AUC ${report.holdout.auc}`);
  });

  it('orders rows by numbers, dates or text, keeping file order on ties', () => {
    const table = parseCsv('n,d,t\n10,2024-03-01,b\n9,2024-01-15,a\n10,2023-12-31,b\n-1,2024-02-01,c\n');
    assert.deepEqual(Array.from(orderByTime(table, 'n')), [3, 1, 0, 2]);
    assert.deepEqual(Array.from(orderByTime(table, 'd')), [2, 1, 3, 0]);
    assert.deepEqual(Array.from(orderByTime(table, 't')), [1, 0, 2, 3]);
  });

  it('names the available columns when the target is wrong', async () => {
    const file = await csv('wrong-target.csv', leadsCsv(100));
    await assert.rejects(runCsvTraining({ file, target: 'converted' }), (e) => {
      const i = issue(e);
      return (
        i.field === 'target' &&
        i.reason.includes('available columns: signed_up, source, pages, company size, won')
      );
    });
  });

  it('rejects a single-class target, an unparseable target value and an empty file', async () => {
    const single = await csv('single.csv', 'a;y\n1;no\n2;no\n3;no\n');
    await assert.rejects(runCsvTraining({ file: single, target: 'y' }), (e) =>
      /only negative/.test(issue(e).reason),
    );
    const bad = await csv('bad.csv', 'a\ty\n1\tyes\n2\tno\n3\tperhaps\n');
    await assert.rejects(runCsvTraining({ file: bad, target: 'y' }), (e) =>
      /data row 3 has the value "perhaps"/.test(issue(e).reason),
    );
    const empty = await csv('empty.csv', '');
    await assert.rejects(runCsvTraining({ file: empty, target: 'y' }), (e) => issue(e).reason === 'is empty');
  });

  it('rejects unknown columns to drop and a time column with gaps', async () => {
    const file = await csv('leads2.csv', leadsCsv(100));
    await assert.rejects(
      runCsvTraining({ file, target: 'won', drop: ['nope'] }),
      (e) => issue(e).field === 'drop',
    );
    const gaps = await csv('gaps.csv', 'when,x,y\n2024-01-01,1,yes\n,2,no\n');
    await assert.rejects(runCsvTraining({ file: gaps, target: 'y', timeColumn: 'when' }), (e) =>
      /empty on data row 2/.test(issue(e).reason),
    );
    await assert.rejects(
      runCsvTraining({ file, target: 'won', timeColumn: 'when' }),
      (e) => issue(e).field === 'timeColumn',
    );
  });

  it('refuses a file too small to learn from, with how many more conversions it needs', async () => {
    const file = await csv(
      'tiny.csv',
      `x,y\n${Array.from({ length: 200 }, (_, i) => `${i},${i % 70 === 0 ? 'yes' : 'no'}`).join('\n')}\n`,
    );
    await assert.rejects(runCsvTraining({ file, target: 'y' }), (e) => /\(\d+ more\)/.test(issue(e).reason));
  });
});
