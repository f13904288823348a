import type { KeyScope } from '../../core/index.ts';
import { runtimeScopes } from './command-runtime.ts';
import {
  bool,
  type Command,
  type CommandContext,
  cliActor,
  commandOptions,
  noSuchWorkspace,
  str,
  usageError,
} from './types.ts';

const { withRuntime } = runtimeScopes();

export const workspaceCommand: Command = {
  summary: 'Create a workspace (and its organisation if new)',
  usage: 'leadloop workspace create <name> [--org <org>] [--data-dir D] [--json]',
  options: commandOptions(['org'], ['json']),
  logLevel: 'warn',
  async run(context) {
    const [sub, name] = context.positionals;
    if (sub !== 'create' || !name) throw usageError(`usage: ${this.usage}`);
    return withRuntime(context, async (runtime) => {
      const created = await runtime.tenants.createWorkspace({
        name,
        organisation: str(context, 'org'),
        actor: cliActor(context),
      });
      const out = {
        workspaceId: created.workspace.id,
        organisationId: created.workspace.organisationId,
        apiKey: created.apiKey,
        webhookSecret: created.webhookSecret,
        widgetKey: created.widgetKey,
      };
      if (bool(context, 'json')) context.stdout.write(`${JSON.stringify(out)}\n`);
      else {
        context.stdout.write(
          `workspace ${out.workspaceId} created in organisation ${out.organisationId}\n  admin API key:  ${out.apiKey}\n  webhook secret: ${out.webhookSecret}\n  widget key:     ${out.widgetKey}\n(the API key and secret are shown once; store them now)\n`,
        );
      }
      return 0;
    });
  },
};

export const keyCommand: Command = {
  summary: "Create, list or revoke a workspace's API keys, or create an organisation key",
  usage:
    'leadloop key create (--workspace <id> --scope admin|ingest|read|advise | --org <org>) [--label L] [--json] | leadloop key list --workspace <id> [--json] | leadloop key revoke <keyId> --workspace <id> [--json]',
  options: commandOptions(['workspace', 'scope', 'org', 'label'], ['json']),
  logLevel: 'warn',
  async run(context) {
    const sub = context.positionals[0];
    if (sub === 'list' || sub === 'revoke') return manageKeys(context, sub, this.usage);
    if (sub !== 'create') throw usageError(`usage: ${this.usage}`);
    const workspaceId = str(context, 'workspace');
    const org = str(context, 'org');
    const scope = str(context, 'scope') ?? (org ? 'org' : undefined);
    if (!workspaceId && !org) throw usageError('give --workspace <id> or --org <org>');
    return withRuntime(context, async (runtime) => {
      let created: { id: string; key: string };
      if (org && !workspaceId) {
        created = await runtime.tenants.createOrganisationKey({
          organisationId: org,
          label: str(context, 'label'),
        });
      } else {
        if (scope !== 'admin' && scope !== 'ingest' && scope !== 'read' && scope !== 'advise')
          throw usageError('--scope must be admin, ingest, read or advise');
        created = await runtime.tenants.createApiKey({
          workspaceId: workspaceId as string,
          scope: scope as Exclude<KeyScope, 'org'>,
          label: str(context, 'label'),
          actor: cliActor(context),
        });
      }
      if (bool(context, 'json')) context.stdout.write(`${JSON.stringify({ ...created, scope })}\n`);
      else context.stdout.write(`key ${created.id} (${scope}): ${created.key}\n(shown once)\n`);
      return 0;
    });
  },
};

const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

async function manageKeys(context: CommandContext, sub: 'list' | 'revoke', usage: string): Promise<number> {
  const workspaceId = str(context, 'workspace');
  const keyId = context.positionals[1];
  if (!workspaceId || (sub === 'revoke' && !keyId)) throw usageError(`usage: ${usage}`);
  return withRuntime(context, async (runtime) => {
    if (!(await runtime.tenants.getWorkspace(workspaceId))) throw noSuchWorkspace(workspaceId);
    const json = bool(context, 'json');
    if (sub === 'revoke') {
      const revoked = await runtime.tenants.revokeApiKey({
        workspaceId,
        id: keyId as string,
        actor: cliActor(context),
      });
      context.stdout.write(
        json ? `${JSON.stringify(revoked)}\n` : `key ${revoked.id} revoked at ${when(revoked.revokedAt)}\n`,
      );
      return 0;
    }
    const keys = await runtime.tenants.listApiKeys(workspaceId);
    if (json) context.stdout.write(`${JSON.stringify({ items: keys })}\n`);
    else
      for (const k of keys)
        context.stdout.write(
          `${k.id} ${k.scope.padEnd(6)} ${k.revokedAt === null ? 'active ' : 'revoked'} created ${when(k.createdAt)} by ${k.createdBy ?? '-'} last used ${when(k.lastUsedAt)} ${k.label}\n`,
        );
    return 0;
  });
}

export const secretCommand: Command = {
  summary: "Rotate a workspace's webhook secret (old one verifies during the overlap)",
  usage: 'leadloop secret rotate --workspace <id> [--overlap-seconds 86400] [--json]',
  options: commandOptions(['workspace', 'overlap-seconds'], ['json']),
  logLevel: 'warn',
  async run(context) {
    const workspaceId = str(context, 'workspace');
    if (context.positionals[0] !== 'rotate' || !workspaceId) throw usageError(`usage: ${this.usage}`);
    const overlapSeconds = Number(str(context, 'overlap-seconds') ?? 86_400);
    if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0)
      throw usageError('--overlap-seconds must be a non-negative integer');
    return withRuntime(context, async (runtime) => {
      if (!(await runtime.tenants.getWorkspace(workspaceId))) throw noSuchWorkspace(workspaceId);
      const rotated = await runtime.tenants.rotateSecret({
        workspaceId,
        overlapSeconds,
        actor: cliActor(context),
      });
      if (bool(context, 'json')) context.stdout.write(`${JSON.stringify(rotated)}\n`);
      else
        context.stdout.write(
          `new webhook secret: ${rotated.secret}\nprevious secrets verify until ${new Date(rotated.previousExpiresAt).toISOString()}\n`,
        );
      return 0;
    });
  },
};

export const jobsCommand: Command = {
  summary: 'List or replay dead-lettered jobs',
  usage:
    'leadloop jobs dead [--workspace <id>] [--json] | leadloop jobs replay [--workspace <id>] [--id <jobId> ...]',
  options: { ...commandOptions(['workspace'], ['json']), id: { type: 'string', multiple: true } },
  logLevel: 'warn',
  async run(context) {
    const sub = context.positionals[0];
    if (sub !== 'dead' && sub !== 'replay') throw usageError(`usage: ${this.usage}`);
    return withRuntime(context, async (runtime) => {
      const workspaceId = str(context, 'workspace');
      if (sub === 'dead') {
        const dead = await runtime.queue.listDead({ workspaceId, limit: 1000 });
        if (bool(context, 'json')) context.stdout.write(`${JSON.stringify({ items: dead })}\n`);
        else {
          context.stdout.write(`${dead.length} dead job(s)\n`);
          for (const job of dead)
            context.stdout.write(
              `  ${job.id} ${job.name} ${job.workspaceId} attempts=${job.attempts} ${job.lastError ?? ''}\n`,
            );
        }
      } else {
        const ids = context.values.id;
        const replayed = await runtime.queue.replay({
          workspaceId,
          jobIds: Array.isArray(ids) ? ids.map(String) : undefined,
        });
        if (bool(context, 'json')) context.stdout.write(`${JSON.stringify({ replayed })}\n`);
        else context.stdout.write(`${replayed} job(s) put back in the queue\n`);
      }
      return 0;
    });
  },
};
