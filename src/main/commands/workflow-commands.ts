import { readFile } from 'node:fs/promises';
import { inWorkspace } from '../../core/index.ts';
import { importN8nFilesDetailed } from '../../workflows/index.ts';
import { type RuntimeOpener, runtimeScopes } from './command-runtime.ts';
import {
  bool,
  type Command,
  cliActor,
  commandOptions,
  noSuchWorkspace,
  printer,
  str,
  usageError,
} from './types.ts';

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

const USAGE =
  'leadloop workflows list|show <id>|verify <file>|activate <id>|runs <id> [--run <runId>]|import --from n8n <file-or-folder> --workspace <id> [--dry-run] [--json]';

/**
 * `leadloop workflows …`: the workspace's workflows from the command line. Reads and changes go
 * through the same service as the API (audited as the CLI user); `import --from n8n` converts files
 * or a folder of n8n exports and stores them inactive (or only reports, with `--dry-run`).
 */
export function createWorkflowCommand(open?: RuntimeOpener): Command {
  const { withRuntime } = runtimeScopes(open);
  return {
    summary: 'List, show, verify, activate workflows, list runs, import n8n workflows',
    usage: USAGE,
    options: commandOptions(['workspace', 'from', 'run'], ['dry-run', 'json']),
    logLevel: 'warn',
    async run(context) {
      const [sub, arg] = context.positionals;
      const out = printer(context);
      const workspaceId = str(context, 'workspace');

      if (sub === 'verify') {
        if (!arg) throw usageError(`usage: ${USAGE}`);
        // Verification needs no database: the document and the rules are enough.
        return withRuntime(context, async (runtime) => {
          const result = runtime.workflows.service.verify(JSON.parse(await readFile(arg, 'utf8')));
          const findings = result.verification?.findings ?? [];
          out(
            { ok: result.ok, issues: result.issues, findings },
            result.ok
              ? `${arg}: verified (${result.issues.length} warnings)\n`
              : `${arg}: NOT verified\n${[...result.issues.map((i) => `  ${i.code} ${i.path}: ${i.message}`), ...findings.map((f) => `  ${f.rule} at ${f.step} (${f.path.join(' → ')}): ${f.message}`)].join('\n')}\n`,
          );
          return result.ok ? 0 : 1;
        });
      }

      if (sub === 'import') {
        if (str(context, 'from') !== 'n8n' || !arg) throw usageError(`usage: ${USAGE}`);
        const dryRun = bool(context, 'dry-run');
        if (!dryRun && !workspaceId) throw usageError('give --workspace <id> (or --dry-run to only report)');
        const { summary, results } = await importN8nFilesDetailed([arg]);
        let stored = 0;
        if (!dryRun && workspaceId) {
          await withRuntime(context, async (runtime) => {
            if (!(await runtime.tenants.getWorkspace(workspaceId))) throw noSuchWorkspace(workspaceId);
            await inWorkspace(workspaceId, async () => {
              for (const r of results) {
                if (!r.workflow) continue;
                await runtime.workflows.service.create({ workspaceId }, r.workflow, cliActor(context));
                stored++;
              }
            });
          });
        }
        const top = Object.entries(summary.unmapped)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([type, n]) => `  ${type}: ${n}`)
          .join('\n');
        out(
          { ...summary, stored, dryRun },
          `${summary.files} files, ${summary.parsed} parsed, ${summary.fullyMapped} fully mapped; nodes ${summary.mappedNodes}/${summary.nodes} mapped (${summary.approximatedNodes} approximated)\n${dryRun ? 'dry run: nothing stored' : `stored ${stored} workflows (inactive) in ${workspaceId}`}\n${top ? `unmapped node types:\n${top}\n` : ''}${summary.failed.map((f) => `  failed ${f.file}: ${f.reason}`).join('\n')}${summary.failed.length ? '\n' : ''}`,
        );
        return 0;
      }

      if (!workspaceId) throw usageError('give --workspace <id>');
      return withRuntime(context, async (runtime) => {
        if (!(await runtime.tenants.getWorkspace(workspaceId))) throw noSuchWorkspace(workspaceId);
        const ws = { workspaceId };
        const service = runtime.workflows.service;
        return await inWorkspace(workspaceId, async () => {
          switch (sub) {
            case 'list': {
              const items = await service.list(ws);
              out(
                { items },
                items.length === 0
                  ? 'no workflows\n'
                  : `${items.map((w) => `${w.id}  ${w.status.padEnd(8)} v${w.activeVersion ?? '-'}/${w.latestVersion}  ${w.triggers.join(',').padEnd(20)} ${w.name}`).join('\n')}\n`,
              );
              return 0;
            }
            case 'show': {
              if (!arg) throw usageError(`usage: ${USAGE}`);
              const detail = await service.get(ws, arg);
              out(
                detail,
                `${detail.id} ${detail.name} (${detail.status}, version ${detail.version})\n${JSON.stringify(detail.definition, null, 2)}\n`,
              );
              return 0;
            }
            case 'activate': {
              if (!arg) throw usageError(`usage: ${USAGE}`);
              const detail = await service.get(ws, arg);
              const result = service.verify(detail.definition);
              if (!result.ok) {
                const findings = result.verification?.findings ?? [];
                out(
                  { ok: false, findings },
                  `not activated: verification failed\n${findings.map((f) => `  ${f.rule} at ${f.step}: ${f.message}`).join('\n')}\n`,
                );
                return 1;
              }
              const activated = await service.activate(ws, arg, cliActor(context), detail.version);
              out(activated, `${activated.id} v${activated.activeVersion} is active\n`);
              return 0;
            }
            case 'runs': {
              const runId = str(context, 'run');
              if (runId) {
                const run = await service.getRun(ws, runId);
                out(
                  run,
                  `${run.id} ${run.status} (workflow ${run.workflowId} v${run.version}, lead ${run.leadId ?? '-'})\n${run.steps.map((s) => `  ${s.stepKey.padEnd(20)} ${s.type.padEnd(14)} ${s.status.padEnd(10)} attempts ${s.attempts}${s.error ? `  ${s.error}` : ''}`).join('\n')}\n`,
                );
                return 0;
              }
              if (!arg) throw usageError(`usage: ${USAGE}`);
              const items = await service.listRuns(ws, { workflowId: arg, limit: 50 });
              out(
                { items },
                `${items.map((r) => `${r.id}  ${r.status.padEnd(10)} v${r.version}  ${iso(r.createdAt)}  lead ${r.leadId ?? '-'}${r.error ? `  ${r.error}` : ''}`).join('\n')}\n`,
              );
              return 0;
            }
            default:
              throw usageError(`usage: ${USAGE}`);
          }
        });
      });
    },
  };
}
