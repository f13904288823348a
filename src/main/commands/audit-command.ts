import { readFileSync, writeFileSync } from 'node:fs';
import { type AuditCheckpoint, parseCheckpoint } from '../../compliance/index.ts';
import { readingDirectory, withDataScope } from '../../core/index.ts';
import { runtimeScopes } from './command-runtime.ts';
import { bool, type Command, commandOptions, str, usageError } from './types.ts';

const { withRuntime } = runtimeScopes();

export const auditCommand: Command = {
  summary:
    'Verify the hash-chained audit trail, write a signed checkpoint of its heads, or seal chains written before MACs',
  usage:
    'leadloop audit verify [--workspace <id>] [--checkpoint FILE] [--json] | leadloop audit checkpoint [--out FILE] | leadloop audit reseal (--workspace <id> | --all) [--json]',
  options: commandOptions(['workspace', 'checkpoint', 'out'], ['all', 'json']),
  logLevel: 'warn',
  async run(context) {
    const sub = context.positionals[0];
    if (sub !== 'verify' && sub !== 'checkpoint' && sub !== 'reseal')
      throw usageError(`usage: ${this.usage}`);
    if (sub === 'reseal' && !str(context, 'workspace') === !bool(context, 'all'))
      throw usageError('audit reseal needs --workspace <id> or --all (one of them)');
    const file = str(context, 'checkpoint');
    const checkpoint: AuditCheckpoint | undefined = file
      ? parseCheckpoint(readFileSync(file, 'utf8'))
      : undefined;
    return withRuntime(context, async (runtime) => {
      // The operator verifies one workspace or all of them: the data scope names exactly those,
      // from the directory and from the checkpoint (a workspace deleted from both is beyond reach
      // of row-level security; docs/security.md says what that means).
      const only = str(context, 'workspace');
      const directory = (
        await readingDirectory(() => runtime.store.db.selectFrom('workspaces').select('id').execute())
      ).map((w) => w.id);
      const workspaceIds = only
        ? [only]
        : [...new Set([...directory, ...(checkpoint?.heads.map((h) => h.workspaceId) ?? [])])];
      if (sub === 'reseal') {
        let failed = false;
        const results = [];
        for (const ws of workspaceIds) {
          const result = await withDataScope({ kind: 'workspaces', workspaceIds: [ws] }, () =>
            runtime.audit.reseal(ws, { type: 'system', id: 'cli' }),
          );
          results.push(result);
          if (!result.ok) {
            failed = true;
            if (!bool(context, 'json')) {
              context.stdout.write(`${ws}: NOT resealed, the chain does not verify:\n`);
              for (const p of result.problems) context.stdout.write(`  #${p.seq} ${p.kind}: ${p.message}\n`);
            }
          } else if (!bool(context, 'json'))
            context.stdout.write(
              result.sealed === 0
                ? `${ws}: nothing to seal (every entry already carries a MAC)\n`
                : `${ws}: sealed ${result.sealed} entries up to #${result.upTo} (recorded as entry #${result.entry?.seq}); verify reports them as sealed since then\n`,
            );
        }
        if (bool(context, 'json')) context.stdout.write(`${JSON.stringify(results)}\n`);
        return failed ? 3 : 0;
      }
      if (sub === 'checkpoint') {
        const signed = await withDataScope({ kind: 'workspaces', workspaceIds }, () =>
          runtime.audit.checkpoint(),
        );
        const text = `${JSON.stringify(signed, null, 2)}\n`;
        const out = str(context, 'out');
        if (out) {
          writeFileSync(out, text, { mode: 0o600 });
          context.stdout.write(
            `checkpoint of ${signed.heads.length} chain head(s) written to ${out}; keep it away from the database\n`,
          );
        } else context.stdout.write(text);
        return 0;
      }
      const result = await withDataScope({ kind: 'workspaces', workspaceIds }, () =>
        runtime.audit.verify({ workspaceId: only, checkpoint }),
      );
      if (bool(context, 'json')) context.stdout.write(`${JSON.stringify(result)}\n`);
      else if (result.problems.length === 0) {
        context.stdout.write(
          `audit trail intact: ${result.entries} entries in ${result.workspaces} workspace(s)${
            result.checkpoint
              ? `, consistent with the checkpoint of ${new Date(result.checkpoint.createdAt).toISOString()}`
              : ''
          }\n`,
        );
        for (const r of result.resealed)
          context.stdout.write(
            `  ${r.workspaceId}: entries 1–${r.upTo} sealed since ${new Date(r.at).toISOString()} (entry #${r.seq}, \`audit reseal\`); before that only their hash chain vouched for them, entries after #${r.upTo} were sealed as written\n`,
          );
      } else {
        context.stdout.write(
          `audit trail BROKEN: ${result.problems.length} problem(s) in ${result.entries} entries\n`,
        );
        for (const p of result.problems)
          context.stdout.write(`  ${p.workspaceId} #${p.seq} ${p.kind}: ${p.message}\n`);
      }
      return result.problems.length === 0 ? 0 : 3;
    });
  },
};
