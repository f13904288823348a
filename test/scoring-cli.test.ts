import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inWorkspace } from '../src/core/index.ts';
import type { HttpApp } from '../src/http/index.ts';
import { createScoringCommands } from '../src/main/commands/scoring-commands.ts';
import { runCommand, spawnCli } from './support/cli.ts';
import { createTestRuntime, DIALECTS, type TestRuntime } from './support/runtime.ts';
import { submitLeads, syntheticLeads } from './support/scoring-fixtures.ts';

const root = join(import.meta.dirname, '..');
const bankFile = join(root, '../shared/data/bank-marketing/bank-additional.csv');
const cli = (args: string[]) => spawnCli(args);

describe('leadloop train --csv', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'leadloop-train-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON object with AUC, log-loss, ECE and lift of both candidates, without the model', {
    skip: !existsSync(bankFile) && 'the shared bank-marketing data is absent',
  }, () => {
    const result = cli(['train', '--csv', bankFile, '--target', 'y', '--drop', 'duration', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'exactly one JSON object on stdout');
    const report = JSON.parse(lines[0] as string) as Record<string, unknown> & {
      candidates: { kind: string; auc: number; logLoss: number; ece: number; lift: number }[];
    };
    assert.ok((report.auc as number) > 0.7, `AUC ${report.auc}`);
    for (const key of ['logLoss', 'ece', 'lift']) assert.equal(typeof report[key], 'number', key);
    assert.deepEqual(report.candidates.map((c) => c.kind).sort(), ['boosted', 'logistic']);
    assert.ok(report.candidates.every((c) => c.auc > 0.7 && c.ece >= 0 && c.lift > 1));
    assert.deepEqual(report.dropped, ['duration']);
    assert.ok(!('model' in report));
    assert.match(result.stderr, /boosted +100%/, 'progress on stderr');
  });

  it('names the missing target column and the available ones, and exits non-zero', {
    skip: !existsSync(bankFile) && 'the shared bank-marketing data is absent',
  }, () => {
    const result = cli(['train', '--csv', bankFile, '--target', 'subscribed', '--json']);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /target column "subscribed" is not a column of the file/);
    assert.match(result.stderr, /available columns: age, job, .*, y/);
  });

  it('refuses a target with a single class, an unreadable file and unknown --drop columns', () => {
    const file = join(dir, 'one-class.csv');
    writeFileSync(
      file,
      ['age,plan,won', ...Array.from({ length: 60 }, (_, i) => `${20 + i},p${i % 3},no`)].join('\n'),
    );
    const single = cli(['train', '--csv', file, '--target', 'won']);
    assert.equal(single.status, 1);
    assert.match(single.stderr, /target column "won" has only negative .* a model needs both outcomes/);
    const missing = cli(['train', '--csv', join(dir, 'nope.csv'), '--target', 'won']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*nope\.csv: ENOENT/);
    const twoClasses = join(dir, 'two-classes.csv');
    writeFileSync(
      twoClasses,
      ['age,won', ...Array.from({ length: 60 }, (_, i) => `${20 + i},${i % 2 ? 'yes' : 'no'}`)].join('\n'),
    );
    const drop = cli(['train', '--csv', twoClasses, '--target', 'won', '--drop', 'ghost']);
    assert.equal(drop.status, 1);
    assert.match(drop.stderr, /drop names columns that are not in the file \(ghost\)/);
  });
});

const run = runCommand;

for (const dialect of DIALECTS) {
  describe(`leadloop outcomes, train --workspace, models, evaluate (${dialect})`, () => {
    let runtime: TestRuntime;
    let http: HttpApp;
    let dir: string;
    let workspaceId: string;
    let commands: ReturnType<typeof createScoringCommands>;
    const leads = syntheticLeads(170, { seed: 21, prefix: 'cli' });

    before(async () => {
      runtime = await createTestRuntime(dialect);
      http = await runtime.createHttp();
      runtime.lifecycle.set('ready');
      // The commands share this runtime instead of opening (and closing) their own.
      commands = createScoringCommands(async () => ({ ...runtime, close: async () => {} }));
      dir = mkdtempSync(join(tmpdir(), 'leadloop-outcomes-'));
      const created = await runtime.tenants.createWorkspace({
        name: 'CLI',
        actor: { type: 'system', id: 'test' },
      });
      workspaceId = created.workspace.id;
      await inWorkspace(workspaceId, () =>
        runtime.predictive.insights.putSettings(
          workspaceId,
          { minimumOutcomes: 100, minimumConversions: 10, autoRetrain: false },
          { type: 'system', id: 'test' },
        ),
      );
      runtime.startWorkers(2);
      await submitLeads(http.app, runtime.store, created.apiKey, workspaceId, leads);
    });
    after(async () => {
      rmSync(dir, { recursive: true, force: true });
      await http.app.close();
      await runtime.dispose();
    });

    const outcomeFile = (name: string, rows: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, ['email;converted;value;occurredAt', ...rows].join('\n'));
      return file;
    };
    const rowsOf = (from: number, to: number) =>
      leads
        .slice(from, to)
        .map(
          (l, i) =>
            `${l.body.email};${l.converted ? 'yes' : 'no'};${l.converted ? 500 : ''};${new Date(Date.UTC(2026, 0, 1, 0, from + i)).toISOString()}`,
        );

    it('imports outcomes from CSV, idempotently, naming each rejected row', async () => {
      const first = await run(commands.outcomes, runtime, [
        'import',
        outcomeFile('first.csv', rowsOf(0, 50)),
        '--workspace',
        workspaceId,
        '--json',
      ]);
      assert.equal(first.code, 0, first.stdout);
      assert.equal(JSON.parse(first.stdout).recorded, 50);
      const all = outcomeFile('all.csv', [
        ...rowsOf(0, 170),
        'stranger@nowhere.example.com;yes;;',
        `${leads[0]?.body.email};perhaps;;`,
      ]);
      const second = await run(commands.outcomes, runtime, [
        'import',
        all,
        '--workspace',
        workspaceId,
        '--json',
      ]);
      assert.equal(second.code, 1, 'rejected rows make the exit code non-zero');
      const summary = JSON.parse(second.stdout);
      assert.equal(summary.recorded, 120);
      assert.equal(summary.unchanged, 50);
      assert.deepEqual(
        summary.rejections.map((r: { row: number }) => r.row),
        [172, 173],
      );
      assert.match(summary.rejections[0].reason, /no lead with email stranger@nowhere/);
      assert.match(summary.rejections[1].reason, /converted is "perhaps"/);
    });

    it('trains from the workspace outcomes, then lists, promotes and rolls back versions', async () => {
      const trained = await run(commands.train, runtime, ['--workspace', workspaceId, '--json']);
      assert.equal(trained.code, 0, trained.stdout);
      const result = JSON.parse(trained.stdout);
      assert.equal(result.status, 'trained');
      assert.equal(result.modelStatus, 'champion', result.reason);
      assert.match(trained.stderr, /logistic +100%/, 'progress on stderr');

      const again = JSON.parse(
        (await run(commands.train, runtime, ['--workspace', workspaceId, '--json'])).stdout,
      );
      assert.equal(again.version, 2);
      assert.equal(again.modelStatus, 'challenger');
      assert.match(again.reason, /scored in shadow beside it/);

      const listed = await run(commands.models, runtime, ['list', '--workspace', workspaceId]);
      assert.match(listed.stdout, /scoring with: model v1/);
      assert.match(listed.stdout, /v2 challenger/);
      await assert.rejects(
        run(commands.models, runtime, ['promote', '2', '--workspace', workspaceId]),
        /give --reason/,
      );
      const promoted = await run(commands.models, runtime, [
        'promote',
        '2',
        '--workspace',
        workspaceId,
        '--reason',
        'validated by hand',
      ]);
      assert.match(promoted.stdout, /model v2 is the champion/);
      const rolledBack = await run(commands.models, runtime, [
        'rollback',
        '--workspace',
        workspaceId,
        '--reason',
        'undo',
      ]);
      assert.match(rolledBack.stdout, /model v2 retired; v1 scores leads again/);
      const overview = JSON.parse(
        (await run(commands.models, runtime, ['list', '--workspace', workspaceId, '--json'])).stdout,
      );
      assert.equal(overview.champion, 1);
      const audit = (await inWorkspace(workspaceId, () => runtime.audit.list(workspaceId, { limit: 50 })))
        .items;
      assert.ok(
        audit.some(
          (e) => e.action === 'scoring.model_rolled_back' && e.actor.type === 'cli' && /undo/.test(e.reason),
        ),
      );
    });

    it('says why no model was trained and exits non-zero when outcomes are too few', async () => {
      const other = await runtime.tenants.createWorkspace({
        name: 'Empty',
        actor: { type: 'system', id: 'test' },
      });
      const result = await run(commands.train, runtime, ['--workspace', other.workspace.id]);
      assert.equal(result.code, 1);
      assert.match(
        result.stdout,
        /no model trained \(insufficient\): 0 leads with an outcome.*20 more conversions/,
      );
      const evaluation = JSON.parse(
        (await run(commands.evaluate, runtime, ['--workspace', workspaceId, '--json'])).stdout,
      );
      assert.equal(evaluation.predictions, 0);
      assert.match(evaluation.reason, /test-then-train log starts with the first champion/);
      await assert.rejects(run(commands.evaluate, runtime, ['--workspace', 'ws_missing']), /does not exist/);
    });
  });
}
