import { generatePassword, isRole, type Role } from '../../users/index.ts';
import { runtimeScopes } from './command-runtime.ts';
import { type Command, commandOptions, printer, str, usageError } from './types.ts';

const { withRuntime } = runtimeScopes();

const CLI_ACTOR = { type: 'cli', id: process.env.USER ?? 'cli' } as const;

function roleOption(value: string | undefined): Role {
  const role = value ?? 'member';
  if (!isRole(role)) throw usageError('--role must be admin, member or viewer');
  return role;
}

export const userCommand: Command = {
  summary: 'Console accounts: create one, invite someone, list a workspace’s users, reset a password',
  usage:
    'leadloop user create <email> (--workspace <id> | --org <id>) [--role admin|member|viewer] [--name N] | user invite <email> --workspace <id> [--role R] [--base-url URL] | user list --workspace <id> | user reset <email> [--json]',
  options: commandOptions(['workspace', 'org', 'role', 'name', 'base-url'], ['json']),
  logLevel: 'warn',
  async run(context) {
    const [sub, email] = context.positionals;
    const workspaceId = str(context, 'workspace');
    const organisationId = str(context, 'org');
    const print = printer(context);
    return withRuntime(context, async ({ users }) => {
      if (sub === 'create' && email && (workspaceId || organisationId)) {
        const role = roleOption(str(context, 'role'));
        const password = generatePassword();
        const user = await users.createUser({
          email,
          name: str(context, 'name'),
          password,
          workspaceId,
          organisationId,
          actor: CLI_ACTOR,
        });
        await users.grantRole({
          userId: user.id,
          role,
          ...(workspaceId ? { workspaceId } : { organisationId }),
          actor: CLI_ACTOR,
        });
        print(
          { ...user, role, password },
          `user ${user.id} <${user.email}> is ${role} of ${workspaceId ?? organisationId}\n  password: ${password}\n(shown once; they can change it in the console)\n`,
        );
      } else if (sub === 'invite' && email && workspaceId) {
        const role = roleOption(str(context, 'role'));
        const invitation = await users.invite({ workspaceId, email, role, actor: CLI_ACTOR });
        const link = `${str(context, 'base-url') ?? `http://localhost:${context.config.PORT}`}/app/invitation#${invitation.token}`;
        print(
          { id: invitation.id, link, expiresAt: new Date(invitation.expiresAt).toISOString() },
          `invitation for ${email} as ${role}: ${link}\n(single use, valid until ${new Date(invitation.expiresAt).toISOString()})\n`,
        );
      } else if (sub === 'list' && workspaceId) {
        const items = await users.listUsers(workspaceId);
        print(
          { items },
          `${items.map((u) => `${u.id}  ${u.email}  ${u.role}${u.organisationRole ? ` (organisation ${u.organisationRole})` : ''}`).join('\n')}\n`,
        );
      } else if (sub === 'reset' && email) {
        const password = generatePassword();
        const user = await users.resetPassword({ email, password, actor: CLI_ACTOR });
        print(
          { ...user, password },
          `new password for ${user.email}: ${password}\n(every session of the account has ended; the lock is lifted)\n`,
        );
      } else throw usageError(`usage: ${this.usage}`);
      return 0;
    });
  },
};
