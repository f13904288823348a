import { LeadloopError } from '../../core/index.ts';
import type { ModelVersionView, TrainingReport } from '../../scoring/index.ts';
import { readCsvFile, runCsvTraining } from '../../scoring/index.ts';
import { type RuntimeOpener, runtimeScopes } from './command-runtime.ts';
import { bool, type Command, cliActor, commandOptions, str, usageError } from './types.ts';
import { count } from './workspace-option.ts';

const f = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);

/** Progress lines on stderr: one per stage, then every 10 points. */
function progressReporter(stderr: NodeJS.WritableStream): (stage: string, fraction: number) => void {
  let last = '';
  let lastPct = -1;
  return (stage, fraction) => {
    const pct = Math.round(100 * Math.min(1, Math.max(0, fraction)));
    if (stage === last && pct < lastPct + 10 && pct !== 100) return;
    if (stage === last && pct === lastPct) return;
    last = stage;
    lastPct = pct;
    stderr.write(`  ${stage.padEnd(12)} ${String(pct).padStart(3)}%\n`);
  };
}

/** What `train --csv --json` prints: the figures of both candidates, not the model itself. */
function csvReportJson(report: TrainingReport): Record<string, unknown> {
  const { model: _model, holdout, candidates, ...rest } = report;
  return {
    ...rest,
    auc: holdout.auc,
    logLoss: holdout.logLoss,
    ece: holdout.ece,
    lift: holdout.liftTopDecile,
    holdout,
    candidates: candidates.map((c) => ({
      kind: c.kind,
      calibration: c.calibration,
      validationAuc: c.validationAuc,
      auc: c.holdout.auc,
      logLoss: c.holdout.logLoss,
      ece: c.holdout.ece,
      lift: c.holdout.liftTopDecile,
      holdout: c.holdout,
    })),
  };
}

function csvReportText(report: TrainingReport): string {
  const lines = [
    `${report.file}: ${report.rows} rows, ${report.positives} positive (${report.target})`,
    `holdout: ${report.split.holdoutRows} rows (${report.split.kind === 'time' ? `latest 20% by ${report.split.timeColumn}` : `random 20%, seed ${report.split.seed}`}); trained on ${report.split.trainingRows}`,
    `features: ${report.features.length}${report.skipped.length ? `; skipped ${report.skipped.map((s) => `${s.column} (${s.reason})`).join(', ')}` : ''}${report.dropped.length ? `; dropped ${report.dropped.join(', ')}` : ''}`,
    `chosen: ${report.chosen} — ${report.selection}`,
    '',
    'model       calibration  AUC     log-loss  ECE     lift@10%',
    ...report.candidates.map(
      (c) =>
        `${(c.kind + (c.kind === report.chosen ? '*' : '')).padEnd(11)} ${c.calibration.padEnd(12)} ${f(c.holdout.auc)}  ${f(c.holdout.logLoss)}    ${f(c.holdout.ece)}  ${f(c.holdout.liftTopDecile, 2)}`,
    ),
    '',
    `training took ${(report.trainingMs / 1000).toFixed(1)} s`,
  ];
  return `${lines.join('\n')}\n`;
}

function modelLine(v: ModelVersionView): string {
  const m = v.metrics.validation;
  return `  v${v.version} ${v.status.padEnd(10)} ${v.kind.padEnd(8)} rows ${v.rows}  AUC ${f(m.auc, 3)} (point rules ${f(v.metrics.pointRules.auc, 3)})  log-loss ${f(m.logLoss, 3)}  trained ${new Date(v.trainedAt).toISOString()}\n      ${v.reason}\n`;
}

/** The predictive-scoring commands, over a runtime opener (the real one by default). */
export function createScoringCommands(open?: RuntimeOpener) {
  const { withWorkspace } = runtimeScopes(open);
  const train: Command = {
    summary: "Train a model on a CSV file (report on a holdout), or on a workspace's outcomes",
    usage:
      'leadloop train --csv FILE --target COLUMN [--drop COL,COL] [--time-column COL] [--seed N] [--json] | leadloop train [--workspace <id>] [--json]',
    options: commandOptions(['csv', 'target', 'drop', 'time-column', 'seed', 'workspace'], ['json']),
    logLevel: 'warn',
    async run(context) {
      const json = bool(context, 'json');
      const progress = progressReporter(context.stderr);
      const csv = str(context, 'csv');
      if (csv) {
        const target = str(context, 'target');
        if (!target)
          throw new LeadloopError(
            'validation_failed',
            'give --target COLUMN: the column that says whether a row converted',
            {
              issues: [{ field: 'target', reason: 'is required with --csv' }],
            },
          );
        const seedText = str(context, 'seed');
        const seed = seedText === undefined ? undefined : Number(seedText);
        if (seed !== undefined && !Number.isInteger(seed)) throw usageError('--seed must be an integer');
        const drop = (str(context, 'drop') ?? '')
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
        const report = await runCsvTraining({
          file: csv,
          target,
          drop,
          timeColumn: str(context, 'time-column'),
          ...(seed === undefined ? {} : { seed }),
          onProgress: progress,
        });
        context.stdout.write(json ? `${JSON.stringify(csvReportJson(report))}\n` : csvReportText(report));
        return 0;
      }
      return withWorkspace(context, async (runtime, { workspaceId }) => {
        const result = await runtime.predictive.training.train(workspaceId, {
          trigger: 'cli',
          actor: cliActor(context),
          onProgress: progress,
        });
        if (json) context.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          const v = result.metrics?.validation;
          context.stdout.write(
            result.status === 'trained'
              ? `model v${result.version} registered as ${result.modelStatus}: ${result.reason}\n  validation window: ${v?.rows} outcomes, AUC ${f(v?.auc, 3)}, log-loss ${f(v?.logLoss, 3)}, ECE ${f(v?.ece, 3)}, lift ${f(v?.liftTopDecile, 2)}; point rules AUC ${f(result.metrics?.pointRules.auc, 3)}\n`
              : `no model trained (${result.status}): ${result.reason}\n`,
          );
        }
        return result.status === 'trained' ? 0 : 1;
      });
    },
  };

  const models: Command = {
    summary: "List a workspace's model versions, promote one, or roll back the champion",
    usage:
      'leadloop models list [--workspace <id>] [--json] | models promote <version> [--workspace <id>] --reason R | models rollback [--workspace <id>] --reason R (--workspace may be left out when there is exactly one)',
    options: commandOptions(['workspace', 'reason'], ['json']),
    logLevel: 'warn',
    async run(context) {
      const [sub, versionText] = context.positionals;
      if (sub !== 'list' && sub !== 'promote' && sub !== 'rollback') throw usageError(`usage: ${this.usage}`);
      const json = bool(context, 'json');
      return withWorkspace(context, async (runtime, { workspaceId }) => {
        if (sub === 'list') {
          const overview = await runtime.predictive.models(workspaceId);
          if (json) context.stdout.write(`${JSON.stringify(overview)}\n`);
          else {
            context.stdout.write(`scoring with: ${overview.scorer}\n${overview.reason}\n`);
            for (const v of overview.items) context.stdout.write(modelLine(v));
          }
          return 0;
        }
        const reason = str(context, 'reason')?.trim();
        if (!reason || reason.length < 3)
          throw usageError('give --reason "why" (it is kept in the audit trail)');
        if (sub === 'promote') {
          const version = Number(versionText);
          if (!Number.isInteger(version) || version < 1) throw usageError(`usage: ${this.usage}`);
          const promoted = await runtime.predictive.registry.promote(
            workspaceId,
            version,
            reason,
            cliActor(context),
          );
          context.stdout.write(
            json ? `${JSON.stringify(promoted)}\n` : `model v${promoted.version} is the champion\n`,
          );
          return 0;
        }
        const result = await runtime.predictive.registry.rollback(workspaceId, reason, cliActor(context));
        context.stdout.write(
          json
            ? `${JSON.stringify(result)}\n`
            : `model v${result.retired.version} retired; ${result.champion ? `v${result.champion.version} scores leads again` : 'the point rules score leads again'}\n`,
        );
        return 0;
      });
    },
  };

  const evaluate: Command = {
    summary: "Prequential (test-then-train) report of a workspace's model on the outcomes that followed",
    usage: 'leadloop evaluate [--workspace <id>] [--json]',
    options: commandOptions(['workspace'], ['json']),
    logLevel: 'warn',
    async run(context) {
      return withWorkspace(context, async (runtime, { workspaceId }) => {
        const report = await runtime.predictive.evaluate(workspaceId);
        if (bool(context, 'json')) {
          context.stdout.write(`${JSON.stringify(report)}\n`);
          return 0;
        }
        const line = (label: string, m: typeof report.overall) =>
          m
            ? `${label.padEnd(10)} ${String(m.rows).padStart(6)} outcomes  AUC ${f(m.auc, 3)}  log-loss ${f(m.logLoss, 3)}  ECE ${f(m.ece, 3)}\n`
            : '';
        context.stdout.write(`${report.reason}\n`);
        context.stdout.write(line('overall', report.overall));
        context.stdout.write(line('recent', report.recent));
        for (const v of report.byVersion) context.stdout.write(line(`  v${v.version}`, v));
        if (report.shadow)
          context.stdout.write(
            `shadow: challenger v${report.shadow.challenger} vs champion v${report.shadow.champion} on ${report.shadow.outcomes} outcomes (needs ${report.shadow.needed}): log-loss ${f(report.shadow.challengerLogLoss, 4)} vs ${f(report.shadow.championLogLoss, 4)}\n`,
          );
        context.stdout.write(
          `learning: ${report.learning.outcomesSinceTraining} outcomes since the last training${report.learning.retrainPending ? `, retraining queued (${report.learning.retrainPending})` : ''}\n`,
        );
        if (report.training)
          context.stdout.write(`last training (${report.training.status}): ${report.training.reason}\n`);
        return 0;
      });
    },
  };

  const outcomes: Command = {
    summary: 'Import conversion outcomes from a CSV (email or leadId, converted, value, occurredAt)',
    usage: 'leadloop outcomes import <file.csv> [--workspace <id>] [--json] (exit 1 when a row is rejected)',
    options: commandOptions(['workspace'], ['json']),
    logLevel: 'warn',
    async run(context) {
      const [sub, file] = context.positionals;
      if (sub !== 'import' || !file) throw usageError(`usage: ${this.usage}`);
      const table = await readCsvFile(file);
      return withWorkspace(context, async (runtime, ctx) => {
        const summary = await runtime.predictive.outcomes.importTable(ctx, table, file, cliActor(context));
        if (bool(context, 'json')) context.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          context.stdout.write(
            `${count(summary.rows, 'row')}: ${summary.recorded} recorded, ${summary.replaced} replaced, ${summary.unchanged} unchanged, ${summary.rejected} rejected${summary.retrainQueued ? `; retraining queued (${summary.retrainQueued})` : ''}\n`,
          );
          for (const r of summary.rejections.slice(0, 50))
            context.stdout.write(`  row ${r.row}: ${r.reason}\n`);
        }
        return summary.rejected > 0 ? 1 : 0;
      });
    },
  };

  return { train, models, evaluate, outcomes };
}

export const scoringCommands = createScoringCommands();
