import type { Actor } from '../core/index.ts';
import { inWorkspace, LeadloopError, readingDirectory } from '../core/index.ts';
import { accountByEmail, endSessions, membershipsOf } from './account-statements.ts';
import { hashPassword } from './passwords.ts';
import { isRole, type Role, strongerRole } from './roles.ts';
import {
  type Access,
  checkPassword,
  normaliseEmail,
  type User,
  type UsersContext,
  type UserWorkspace,
} from './user-context.ts';

/** Accounts: who exists, with which password, and which role they hold where. */
export interface AccountsService {
  /**
   * Creates an account. `workspaceId` / `organisationId` name where it is created for: on
   * PostgreSQL the account is written in that data scope (without either, in the current one).
   */
  createUser(input: {
    email: string;
    name?: string | undefined;
    password: string;
    workspaceId?: string | undefined;
    organisationId?: string | undefined;
    actor: Actor;
  }): Promise<User>;
  grantRole(input: {
    userId: string;
    role: Role;
    workspaceId?: string;
    organisationId?: string;
    actor: Actor;
  }): Promise<void>;
  findUser(email: string): Promise<User | null>;
  listUsers(workspaceId: string): Promise<(User & { role: Role; organisationRole: Role | null })[]>;
  workspacesOf(userId: string): Promise<UserWorkspace[]>;
  /** Sets a new password (CLI reset), unlocks the account and ends its sessions. */
  resetPassword(input: { email: string; password: string; actor: Actor }): Promise<User>;
}

type AccountsWithRoles = AccountsService & {
  roleIn(userId: string, workspaceId: string): Promise<Access | null>;
};

/** The accounts part, plus the role lookup the sessions part checks on every request. */
export function createAccounts(context: UsersContext): AccountsWithRoles {
  const { store, db, clock, ids, record, inScope, passwords } = context;

  async function roleIn(userId: string, workspaceId: string): Promise<Access | null> {
    // Directory reads happen before the user's scope is known (migration 018).
    const workspace = await readingDirectory(() =>
      db
        .selectFrom('workspaces')
        .select(['id', 'organisation_id'])
        .where('id', '=', workspaceId)
        .executeTakeFirst(),
    );
    if (!workspace) return null;
    const rows = (await membershipsOf(db, store.dialect, userId)).filter(
      (m) => m.organisation_id === workspace.organisation_id,
    );
    let workspaceRole: Role | null = null;
    let organisationRole: Role | null = null;
    for (const row of rows) {
      if (!isRole(row.role)) continue;
      if (row.workspace_id === workspaceId) workspaceRole = row.role;
      else if (row.workspace_id === null) organisationRole = row.role;
    }
    const role = strongerRole(workspaceRole, organisationRole);
    return role ? { role, organisationRole, organisationId: workspace.organisation_id } : null;
  }

  /** The data scope a role is granted in: the workspace, or every workspace of the organisation. */
  async function grantScope(workspaceId?: string, organisationId?: string): Promise<string[]> {
    if (workspaceId) return [workspaceId];
    if (!organisationId) return [];
    const rows = await readingDirectory(() =>
      db.selectFrom('workspaces').select('id').where('organisation_id', '=', organisationId).execute(),
    );
    return rows.map((r) => r.id);
  }

  const accounts: AccountsWithRoles = {
    roleIn,
    async createUser({ email, name, password, workspaceId, organisationId, actor }) {
      checkPassword(password, 'password');
      const normalised = normaliseEmail(email);
      if (!/^[^@\s]+@[^@\s]+$/.test(normalised))
        throw new LeadloopError('validation_failed', 'not an e-mail address', {
          issues: [{ field: 'email', reason: 'is not an e-mail address' }],
        });
      if (await accounts.findUser(normalised))
        throw new LeadloopError('conflict', 'an account with this e-mail exists', {
          issues: [{ field: 'email', reason: 'is already an account' }],
        });
      const now = clock.now();
      const user = {
        id: ids.next('usr'),
        email: normalised,
        name: name?.trim() || normalised.split('@')[0] || '',
      };
      const row = {
        ...user,
        password_hash: passwords.seal(user.id, await hashPassword(password)),
        failed_logins: 0,
        locked_until: null,
        created_at: now,
        password_changed_at: now,
      };
      const insert = () => db.insertInto('users').values(row).execute();
      if (workspaceId || organisationId) await inScope(await grantScope(workspaceId, organisationId), insert);
      else await insert();
      void actor;
      return user;
    },

    async grantRole({ userId, role, workspaceId, organisationId, actor }) {
      const workspace = workspaceId
        ? await readingDirectory(() =>
            db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst(),
          )
        : undefined;
      if (workspaceId && !workspace)
        throw new LeadloopError('not_found', `workspace ${workspaceId} does not exist`);
      const orgId = workspace?.organisation_id ?? organisationId;
      if (!orgId)
        throw new LeadloopError('validation_failed', 'grantRole needs a workspace or an organisation');
      // An organisation role is written in a scope holding every workspace of the organisation.
      await inScope(await grantScope(workspaceId, orgId), () =>
        store.transaction(async (trx) => {
          await trx
            .deleteFrom('user_memberships')
            .where('user_id', '=', userId)
            .where('organisation_id', '=', orgId)
            .where((eb) =>
              workspaceId ? eb('workspace_id', '=', workspaceId) : eb('workspace_id', 'is', null),
            )
            .execute();
          await trx
            .insertInto('user_memberships')
            .values({
              user_id: userId,
              workspace_id: workspaceId ?? null,
              organisation_id: orgId,
              role,
              created_at: clock.now(),
            })
            .execute();
        }),
      );
      const auditIn =
        workspaceId ??
        (
          await readingDirectory(() =>
            db.selectFrom('workspaces').select('id').where('organisation_id', '=', orgId).executeTakeFirst(),
          )
        )?.id;
      if (auditIn)
        await record(
          auditIn,
          actor,
          'user.role_granted',
          userId,
          `role ${role} in ${workspaceId ?? `organisation ${orgId}`}`,
        );
    },

    async findUser(email) {
      const row = await accountByEmail(db, store.dialect, normaliseEmail(email));
      return row ? { id: row.id, email: row.email, name: row.name } : null;
    },

    async listUsers(workspaceId) {
      const workspace = await readingDirectory(() =>
        db
          .selectFrom('workspaces')
          .select('organisation_id')
          .where('id', '=', workspaceId)
          .executeTakeFirst(),
      );
      if (!workspace) return [];
      // The workspace's scope shows its memberships (and its organisation's) and their users.
      const rows = await inWorkspace(workspaceId, () =>
        db
          .selectFrom('user_memberships')
          .innerJoin('users', 'users.id', 'user_memberships.user_id')
          .select([
            'users.id',
            'users.email',
            'users.name',
            'user_memberships.workspace_id',
            'user_memberships.role',
          ])
          .where('user_memberships.organisation_id', '=', workspace.organisation_id)
          .where((eb) =>
            eb.or([
              eb('user_memberships.workspace_id', '=', workspaceId),
              eb('user_memberships.workspace_id', 'is', null),
            ]),
          )
          .orderBy('users.email')
          .execute(),
      );
      const byUser = new Map<string, User & { role: Role; organisationRole: Role | null }>();
      for (const row of rows) {
        if (!isRole(row.role)) continue;
        const entry = byUser.get(row.id) ?? {
          id: row.id,
          email: row.email,
          name: row.name,
          role: row.role,
          organisationRole: null,
        };
        if (row.workspace_id === null) entry.organisationRole = row.role;
        entry.role = strongerRole(entry.role, row.role) ?? row.role;
        byUser.set(row.id, entry);
      }
      return [...byUser.values()];
    },

    async workspacesOf(userId) {
      const memberships = await membershipsOf(db, store.dialect, userId);
      const orgs = memberships.filter((m) => m.workspace_id === null).map((m) => m.organisation_id);
      const direct = memberships.flatMap((m) => (m.workspace_id ? [m.workspace_id] : []));
      if (orgs.length === 0 && direct.length === 0) return [];
      const workspaces = await readingDirectory(() =>
        db
          .selectFrom('workspaces')
          .select(['id', 'name', 'organisation_id'])
          .where((eb) =>
            eb.or([
              ...(direct.length ? [eb('id', 'in', direct)] : []),
              ...(orgs.length ? [eb('organisation_id', 'in', orgs)] : []),
            ]),
          )
          .orderBy('id')
          .execute(),
      );
      const out: UserWorkspace[] = [];
      for (const workspace of workspaces) {
        const access = await roleIn(userId, workspace.id);
        if (access)
          out.push({
            workspaceId: workspace.id,
            workspaceName: workspace.name,
            organisationId: workspace.organisation_id,
            role: access.role,
          });
      }
      return out;
    },

    async resetPassword({ email, password, actor }) {
      checkPassword(password, 'password');
      const user = await accounts.findUser(email);
      if (!user) throw new LeadloopError('not_found', `no account with e-mail ${normaliseEmail(email)}`);
      const workspaces = await accounts.workspacesOf(user.id);
      const hash = passwords.seal(user.id, await hashPassword(password));
      // On PostgreSQL an account is written only in a scope that reaches it through a role.
      const updated = await inScope(
        workspaces.map((w) => w.workspaceId),
        async () => {
          const result = await db
            .updateTable('users')
            .set({
              password_hash: hash,
              password_changed_at: clock.now(),
              failed_logins: 0,
              locked_until: null,
            })
            .where('id', '=', user.id)
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) > 0) await endSessions(db, store.dialect, user.id, null);
          return Number(result.numUpdatedRows);
        },
      );
      if (updated === 0)
        throw new LeadloopError(
          'conflict',
          `account ${user.email} has no role in any workspace to reset it in`,
        );
      const workspace = workspaces[0];
      if (workspace)
        await record(
          workspace.workspaceId,
          actor,
          'user.password_reset',
          user.id,
          'password reset; sessions ended',
        );
      return user;
    },
  };
  return accounts;
}
