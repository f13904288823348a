import { writeFileSync } from 'node:fs';
import type { Config } from '../../config/index.ts';
import { inWorkspace, LeadloopError, type WorkspaceContext } from '../../core/index.ts';
import {
  exportCsv,
  type PrivacyRequest,
  type RequestInput,
  requestInputSchema,
} from '../../privacy/index.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { bool, type Command, type CommandContext, dataDirOption, noSuchWorkspace, str } from './types.ts';

/** Opens the application for a command; tests pass one that reuses their runtime. */
export type PrivacyRuntimeOpener = (config: Config) => Promise<Runtime>;

const SUBCOMMANDS = ['request', 'list', 'export', 'erase'] as const;

function line(r: PrivacyRequest): string {
  const due = new Date(r.dueAt).toISOString().slice(0, 10);
  return `${r.id}  ${r.type.padEnd(13)} ${r.jurisdiction.padEnd(7)} ${r.status.padEnd(11)} due ${due}  leads ${r.leadIds.length}`;
}

/**
 * `leadloop privacy request|list|export|erase --workspace <id> --email <e>`: the same requests
 * as `POST /v1/privacy/requests`, filed by the CLI (audited as the shell user).
 */
export function createPrivacyCommand(
  open: PrivacyRuntimeOpener = (config) => createRuntime(config),
): Command {
  return {
    summary:
      'Data-subject requests: file (access, erasure, rectification, restriction, objection, opt_out), list, export, erase',
    usage:
      'leadloop privacy request|list|export|erase --workspace <id> [--email E | --phone P | --lead ID] [--type T] [--jurisdiction gdpr|ccpa] [--status S] [--id dsr_…] [--out FILE] [--csv] [--json]',
    options: {
      ...dataDirOption,
      workspace: { type: 'string' },
      email: { type: 'string' },
      phone: { type: 'string' },
      lead: { type: 'string' },
      type: { type: 'string' },
      jurisdiction: { type: 'string' },
      status: { type: 'string' },
      id: { type: 'string' },
      out: { type: 'string' },
      csv: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    logLevel: 'warn',
    async run(context: CommandContext) {
      const sub = context.positionals[0];
      if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub))
        throw new LeadloopError('validation_failed', `give one of: ${SUBCOMMANDS.join(', ')}`, {
          issues: [{ field: 'subcommand', reason: `must be one of ${SUBCOMMANDS.join(', ')}` }],
        });
      const workspaceId = str(context, 'workspace');
      if (!workspaceId)
        throw new LeadloopError('validation_failed', 'give --workspace <id>', {
          issues: [{ field: 'workspace', reason: 'is required' }],
        });
      const runtime = await open(context.config);
      const actor = { type: 'cli' as const, id: context.env.USER ?? 'cli' };
      const json = bool(context, 'json');
      const print = (value: unknown, text: string) =>
        context.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
      try {
        return await inWorkspace(workspaceId, async () => {
          const workspace = await runtime.tenants.getWorkspace(workspaceId);
          if (!workspace) throw noSuchWorkspace(workspaceId);
          const ctx: WorkspaceContext = { workspaceId, organisationId: workspace.organisationId };
          const subject = {
            ...(str(context, 'email') ? { email: str(context, 'email') } : {}),
            ...(str(context, 'phone') ? { phone: str(context, 'phone') } : {}),
            ...(str(context, 'lead') ? { leadId: str(context, 'lead') } : {}),
          };
          const file = async (type: string) => {
            const parsed = requestInputSchema.safeParse({
              type,
              subject,
              jurisdiction: str(context, 'jurisdiction') ?? 'gdpr',
            });
            if (!parsed.success)
              throw new LeadloopError('validation_failed', 'the request is not valid', {
                issues: parsed.error.issues.map((i) => ({
                  field: i.path.join('.') || 'request',
                  reason: i.message,
                })),
              });
            return runtime.privacy.requests.submit(ctx, parsed.data as RequestInput, {
              actor,
              origin: 'cli',
            });
          };
          switch (sub) {
            case 'request': {
              const request = await file(str(context, 'type') ?? 'access');
              print(request, line(request));
              return 0;
            }
            case 'erase': {
              const request = await file('erasure');
              print(request, `${line(request)}\nremoved: ${JSON.stringify(request.result?.removed ?? {})}`);
              return 0;
            }
            case 'list': {
              const status = str(context, 'status') as PrivacyRequest['status'] | undefined;
              const items = await runtime.privacy.requests.list(ctx, { status, limit: 200 });
              print(items, items.map(line).join('\n') || 'no requests');
              return 0;
            }
            case 'export': {
              // An existing access request by --id, or a new one for the subject given.
              const id = str(context, 'id') ?? (await file('access')).id;
              const bundle = await runtime.privacy.requests.exportOf(ctx, id);
              const text = bool(context, 'csv') ? exportCsv(bundle) : `${JSON.stringify(bundle, null, 2)}\n`;
              const out = str(context, 'out');
              if (out) {
                writeFileSync(out, text, { mode: 0o600 });
                context.stderr.write(
                  `${id}: ${bundle.holders.reduce((n, h) => n + h.rows, 0)} rows written to ${out}\n`,
                );
              } else context.stdout.write(text);
              return 0;
            }
            default:
              return 2;
          }
        });
      } finally {
        await runtime.close();
      }
    },
  };
}
