import { writeFileSync } from 'node:fs';
import { LeadloopError } from '../../core/index.ts';
import {
  exportCsv,
  type PrivacyRequest,
  type RequestInput,
  requestInputSchema,
} from '../../privacy/index.ts';
import { type RuntimeOpener, runtimeScopes } from './command-runtime.ts';
import { bool, type Command, type CommandContext, commandOptions, str } from './types.ts';

const SUBCOMMANDS = ['request', 'list', 'export', 'erase', 'run', 'reject', 'extend'] as const;

function line(r: PrivacyRequest): string {
  const due = new Date(r.dueAt).toISOString().slice(0, 10);
  return `${r.id}  ${r.type.padEnd(13)} ${r.jurisdiction.padEnd(7)} ${r.status.padEnd(11)} due ${due}  leads ${r.leadIds.length}${r.held ? '  (held)' : ''}`;
}

/**
 * `leadloop privacy request|list|export|erase --workspace <id> --email <e>`: the same requests
 * as `POST /v1/privacy/requests`, filed by the CLI (audited as the shell user). `--hold` files
 * without carrying out; `run|reject|extend --id dsr_… [--reason R]` are the operator's next steps.
 */
export function createPrivacyCommand(open?: RuntimeOpener): Command {
  const { withWorkspace } = runtimeScopes(open);
  return {
    summary:
      'Data-subject requests: file (access, erasure, rectification, restriction, objection, opt_out), list, export, erase; run, reject or extend a held one',
    usage:
      'leadloop privacy request|list|export|erase|run|reject|extend [--workspace <id>] [--email E | --phone P | --lead ID] [--type T] [--jurisdiction gdpr|ccpa] [--hold] [--status S] [--id dsr_…] [--reason R] [--out FILE] [--csv] [--json]   (--workspace may be left out when there is exactly one)',
    options: commandOptions(
      ['workspace', 'email', 'phone', 'lead', 'type', 'jurisdiction', 'status', 'id', 'reason', 'out'],
      ['hold', 'csv', 'json'],
    ),
    logLevel: 'warn',
    async run(context: CommandContext) {
      const sub = context.positionals[0];
      if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub))
        throw new LeadloopError('validation_failed', `give one of: ${SUBCOMMANDS.join(', ')}`, {
          issues: [{ field: 'subcommand', reason: `must be one of ${SUBCOMMANDS.join(', ')}` }],
        });
      const actor = { type: 'cli' as const, id: context.env.USER ?? 'cli' };
      const json = bool(context, 'json');
      const print = (value: unknown, text: string) =>
        context.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
      return withWorkspace(context, async (runtime, ctx) => {
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
            ...(bool(context, 'hold') ? { hold: true } : {}),
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
          case 'run':
          case 'reject':
          case 'extend': {
            const id = str(context, 'id');
            const reason = str(context, 'reason');
            if (!id)
              throw new LeadloopError('validation_failed', `privacy ${sub} needs --id dsr_…`, {
                issues: [{ field: 'id', reason: 'is required' }],
              });
            if (sub !== 'run' && !reason)
              throw new LeadloopError('validation_failed', `privacy ${sub} needs --reason`, {
                issues: [
                  {
                    field: 'reason',
                    reason: 'is required (it goes in the request log and the audit trail)',
                  },
                ],
              });
            const known = await runtime.privacy.requests.get(ctx, id);
            if (!known)
              throw new LeadloopError('not_found', `privacy request ${id} not found in this workspace`, {
                issues: [{ field: 'id', reason: 'no such request in this workspace' }],
              });
            const request =
              sub === 'run'
                ? await runtime.privacy.requests.run(ctx, id, actor)
                : sub === 'reject'
                  ? await runtime.privacy.requests.reject(ctx, id, reason as string, actor)
                  : await runtime.privacy.requests.extend(ctx, id, reason as string, actor);
            print(request, line(request));
            return 0;
          }
          default:
            return 2;
        }
      });
    },
  };
}
