import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../core/index.ts';
import { inWorkspace, LeadloopError, withDataScope } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import {
  accountByEmail,
  endSessions,
  invitationByToken,
  membershipsOf,
  recordSignIn,
  sessionById,
} from './account-statements.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { isRole, type Role, strongerRole } from './roles.ts';

interface User {
  id: string;
  email: string;
  name: string;
}

/** One workspace a user may work in, with the role they hold there. */
interface UserWorkspace {
  workspaceId: string;
  workspaceName: string;
  organisationId: string;
  role: Role;
}

/** What a valid session cookie stands for. */
export interface UserSession {
  sessionId: string;
  user: User;
  workspaceId: string;
  organisationId: string;
  /** The effective role in the session's workspace (workspace role or organisation role, the stronger). */
  role: Role;
  /** The role held in the whole organisation, if any: it opens the organisation's analytics. */
  organisationRole: Role | null;
  /** Sent back in `x-csrf-token` on every state-changing request (synchronizer token). */
  csrfToken: string;
  expiresAt: number;
}

interface SignedIn {
  /** The cookie's value; only its hash is stored. */
  token: string;
  session: UserSession;
}

export interface UsersService {
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
  signIn(input: { email: string; password: string; workspaceId?: string; client: string }): Promise<SignedIn>;
  authenticate(token: string): Promise<UserSession | null>;
  verifyCsrf(session: UserSession, header: string | undefined): boolean;
  signOut(token: string): Promise<void>;
  signOutEverywhere(userId: string, workspaceId: string): Promise<number>;
  switchWorkspace(token: string, workspaceId: string): Promise<UserSession>;
  changePassword(input: { session: UserSession; current: string; next: string }): Promise<void>;
  /** Sets a new password (CLI reset), unlocks the account and ends its sessions. */
  resetPassword(input: { email: string; password: string; actor: Actor }): Promise<User>;
  invite(input: {
    workspaceId: string;
    email: string;
    role: Role;
    actor: Actor;
  }): Promise<{ id: string; token: string; expiresAt: number }>;
  acceptInvitation(input: { token: string; name?: string; password: string }): Promise<User>;
}

export interface UsersServiceOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  /** Failed sign-ins in a row before the account locks (default 5). */
  maxFailedLogins?: number;
  /** How long a locked account stays locked (default 15 minutes). */
  lockoutMs?: number;
  /** Sign-in attempts per client address per minute (default 20). */
  attemptsPerMinute?: number;
  /** A session ends after this long without a request (default 12 hours)... */
  idleMs?: number;
  /** ...and in any case this long after sign-in (default 7 days). */
  maxAgeMs?: number;
  invitationTtlMs?: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function checkPassword(password: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new LeadloopError('validation_failed', 'the password is too short', {
      issues: [{ field, reason: `must be at least ${MIN_PASSWORD_LENGTH} characters` }],
    });
}

const WRONG_CREDENTIALS = () =>
  // One message for an unknown e-mail and a wrong password: no account enumeration.
  new LeadloopError('unauthenticated', 'the e-mail or password is not correct', {
    issues: [{ field: 'body.password', reason: 'e-mail and password do not match an account' }],
  });

export function createUsersService(options: UsersServiceOptions): UsersService {
  const { store, clock, ids, audit } = options;
  const db = store.db;
  const maxFailed = options.maxFailedLogins ?? 5;
  const lockoutMs = options.lockoutMs ?? 15 * 60_000;
  const attemptsPerMinute = options.attemptsPerMinute ?? 20;
  const idleMs = options.idleMs ?? 12 * 3_600_000;
  const maxAgeMs = options.maxAgeMs ?? 7 * 24 * 3_600_000;
  const invitationTtlMs = options.invitationTtlMs ?? 7 * 24 * 3_600_000;
  const attempts = new Map<string, { count: number; windowStart: number }>();
  // Unknown e-mails are checked against this so that they take as long as known ones.
  const dummyHash = hashPassword('not a password of anyone');

  const record = (workspaceId: string, actor: Actor, action: string, subject: string, reason: string) =>
    inWorkspace(workspaceId, () =>
      store.transaction((trx) =>
        audit.append(trx, workspaceId, { actor, action, subject, reason, data: {} }),
      ),
    );

  async function roleIn(userId: string, workspaceId: string) {
    const workspace = await db
      .selectFrom('workspaces')
      .select(['id', 'organisation_id'])
      .where('id', '=', workspaceId)
      .executeTakeFirst();
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

  const inScope = <T>(workspaceIds: readonly string[], fn: () => Promise<T>) =>
    withDataScope({ kind: 'workspaces', workspaceIds }, fn);

  /** The data scope a role is granted in: the workspace, or every workspace of the organisation. */
  async function grantScope(workspaceId?: string, organisationId?: string): Promise<string[]> {
    if (workspaceId) return [workspaceId];
    if (!organisationId) return [];
    const rows = await db
      .selectFrom('workspaces')
      .select('id')
      .where('organisation_id', '=', organisationId)
      .execute();
    return rows.map((r) => r.id);
  }

  async function startSession(user: User, workspaceId: string): Promise<SignedIn> {
    const access = await roleIn(user.id, workspaceId);
    if (!access)
      throw new LeadloopError('forbidden', 'this account has no role in that workspace', {
        issues: [{ field: 'body.workspaceId', reason: 'not a workspace of this account' }],
      });
    const token = randomBytes(32).toString('base64url');
    const now = clock.now();
    const expiresAt = Math.min(now + idleMs, now + maxAgeMs);
    await inWorkspace(workspaceId, () =>
      db
        .insertInto('user_sessions')
        .values({
          id: sha256(token),
          user_id: user.id,
          workspace_id: workspaceId,
          created_at: now,
          last_seen_at: now,
          expires_at: expiresAt,
        })
        .execute(),
    );
    return {
      token,
      session: {
        sessionId: sha256(token),
        user,
        workspaceId,
        organisationId: access.organisationId,
        role: access.role,
        organisationRole: access.organisationRole,
        csrfToken: sha256(`csrf:${token}`),
        expiresAt,
      },
    };
  }

  function throttle(client: string): void {
    const now = clock.now();
    let entry = attempts.get(client);
    if (!entry || now - entry.windowStart >= 60_000) {
      if (attempts.size > 10_000) attempts.clear();
      entry = { count: 0, windowStart: now };
      attempts.set(client, entry);
    }
    entry.count += 1;
    if (entry.count > attemptsPerMinute)
      throw new LeadloopError('rate_limited', 'too many sign-in attempts from this address', {
        retryAfterSeconds: Math.ceil((entry.windowStart + 60_000 - now) / 1000),
        issues: [{ field: 'body.email', reason: 'too many attempts; wait and retry' }],
      });
  }

  const service: UsersService = {
    async createUser({ email, name, password, workspaceId, organisationId, actor }) {
      checkPassword(password, 'password');
      const normalised = normaliseEmail(email);
      if (!/^[^@\s]+@[^@\s]+$/.test(normalised))
        throw new LeadloopError('validation_failed', 'not an e-mail address', {
          issues: [{ field: 'email', reason: 'is not an e-mail address' }],
        });
      if (await service.findUser(normalised))
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
        password_hash: await hashPassword(password),
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
        ? await db.selectFrom('workspaces').selectAll().where('id', '=', workspaceId).executeTakeFirst()
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
          await db
            .selectFrom('workspaces')
            .select('id')
            .where('organisation_id', '=', orgId)
            .executeTakeFirst()
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
      const workspace = await db
        .selectFrom('workspaces')
        .select('organisation_id')
        .where('id', '=', workspaceId)
        .executeTakeFirst();
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
      const workspaces = await db
        .selectFrom('workspaces')
        .select(['id', 'name', 'organisation_id'])
        .where((eb) =>
          eb.or([
            ...(direct.length ? [eb('id', 'in', direct)] : []),
            ...(orgs.length ? [eb('organisation_id', 'in', orgs)] : []),
          ]),
        )
        .orderBy('id')
        .execute();
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

    async signIn({ email, password, workspaceId, client }) {
      throttle(client);
      const row = await accountByEmail(db, store.dialect, normaliseEmail(email));
      const now = clock.now();
      if (!row) {
        await verifyPassword(password, await dummyHash);
        throw WRONG_CREDENTIALS();
      }
      if (row.locked_until !== null && Number(row.locked_until) > now)
        throw new LeadloopError('rate_limited', 'this account is locked after too many failed sign-ins', {
          retryAfterSeconds: Math.ceil((Number(row.locked_until) - now) / 1000),
          issues: [{ field: 'body.email', reason: 'account locked for a while after failed sign-ins' }],
        });
      if (!(await verifyPassword(password, row.password_hash))) {
        const failed = Number(row.failed_logins) + 1;
        await recordSignIn(
          db,
          store.dialect,
          row.id,
          failed >= maxFailed ? 0 : failed,
          failed >= maxFailed ? now + lockoutMs : null,
        );
        throw WRONG_CREDENTIALS();
      }
      await recordSignIn(db, store.dialect, row.id, 0, null);
      const user = { id: row.id, email: row.email, name: row.name };
      const target = workspaceId ?? (await service.workspacesOf(user.id))[0]?.workspaceId;
      if (!target)
        throw new LeadloopError('forbidden', 'this account has no workspace yet', {
          issues: [{ field: 'body.email', reason: 'the account has no role in any workspace' }],
        });
      const signedIn = await startSession(user, target);
      await record(
        target,
        { type: 'user', id: user.id },
        'user.signed_in',
        user.id,
        'signed in to the console',
      );
      return signedIn;
    },

    async authenticate(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
      const id = sha256(token);
      const row = await sessionById(db, store.dialect, id);
      const now = clock.now();
      if (!row || Number(row.expires_at) <= now) return null;
      const access = await roleIn(row.id, row.workspace_id);
      if (!access) return null;
      let expiresAt = Number(row.expires_at);
      // Sliding expiry, written at most once a minute so that reads stay reads.
      if (now - Number(row.last_seen_at) > 60_000) {
        expiresAt = Math.min(now + idleMs, Number(row.created_at) + maxAgeMs);
        await inWorkspace(row.workspace_id, () =>
          db
            .updateTable('user_sessions')
            .set({ last_seen_at: now, expires_at: expiresAt })
            .where('id', '=', id)
            .execute(),
        );
      }
      return {
        sessionId: id,
        user: { id: row.id, email: row.email, name: row.name },
        workspaceId: row.workspace_id,
        organisationId: access.organisationId,
        role: access.role,
        organisationRole: access.organisationRole,
        csrfToken: sha256(`csrf:${token}`),
        expiresAt,
      };
    },

    verifyCsrf(session, header) {
      if (!header) return false;
      const a = Buffer.from(header);
      const b = Buffer.from(session.csrfToken);
      return a.length === b.length && timingSafeEqual(a, b);
    },

    async signOut(token) {
      const session = await service.authenticate(token);
      const row = await sessionById(db, store.dialect, sha256(token));
      if (row)
        await inWorkspace(row.workspace_id, () =>
          db.deleteFrom('user_sessions').where('id', '=', sha256(token)).execute(),
        );
      if (session)
        await record(
          session.workspaceId,
          { type: 'user', id: session.user.id },
          'user.signed_out',
          session.user.id,
          'signed out',
        );
    },

    async signOutEverywhere(userId, workspaceId) {
      const count = await inWorkspace(workspaceId, () => endSessions(db, store.dialect, userId, null));
      await record(
        workspaceId,
        { type: 'user', id: userId },
        'user.signed_out_everywhere',
        userId,
        `${count} sessions ended`,
      );
      return count;
    },

    async switchWorkspace(token, workspaceId) {
      const session = await service.authenticate(token);
      if (!session) throw new LeadloopError('unauthenticated', 'the session has ended');
      const access = await roleIn(session.user.id, workspaceId);
      if (!access)
        throw new LeadloopError('forbidden', 'this account has no role in that workspace', {
          issues: [{ field: 'body.workspaceId', reason: 'not a workspace of this account' }],
        });
      // Moving the row from one workspace to another needs both in the scope.
      await inScope([session.workspaceId, workspaceId], () =>
        db
          .updateTable('user_sessions')
          .set({ workspace_id: workspaceId })
          .where('id', '=', session.sessionId)
          .execute(),
      );
      await record(
        workspaceId,
        { type: 'user', id: session.user.id },
        'user.switched_workspace',
        session.user.id,
        `from ${session.workspaceId}`,
      );
      const switched = await service.authenticate(token);
      if (!switched) throw new LeadloopError('unauthenticated', 'the session has ended');
      return switched;
    },

    async changePassword({ session, current, next }) {
      checkPassword(next, 'body.newPassword');
      const row = await accountByEmail(db, store.dialect, session.user.email);
      if (!row || row.id !== session.user.id || !(await verifyPassword(current, row.password_hash)))
        throw new LeadloopError('forbidden', 'the current password is not correct', {
          issues: [{ field: 'body.currentPassword', reason: 'does not match' }],
        });
      const hash = await hashPassword(next);
      await inWorkspace(session.workspaceId, async () => {
        await db
          .updateTable('users')
          .set({ password_hash: hash, password_changed_at: clock.now() })
          .where('id', '=', session.user.id)
          .execute();
        // Other sessions may be an attacker's: a password change ends them, keeping this one.
        await endSessions(db, store.dialect, session.user.id, session.sessionId);
      });
      await record(
        session.workspaceId,
        { type: 'user', id: session.user.id },
        'user.password_changed',
        session.user.id,
        'password changed; other sessions ended',
      );
    },

    async resetPassword({ email, password, actor }) {
      checkPassword(password, 'password');
      const user = await service.findUser(email);
      if (!user) throw new LeadloopError('not_found', `no account with e-mail ${normaliseEmail(email)}`);
      const workspaces = await service.workspacesOf(user.id);
      const hash = await hashPassword(password);
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

    async invite({ workspaceId, email, role, actor }) {
      const token = randomBytes(32).toString('base64url');
      const id = ids.next('inv');
      const now = clock.now();
      const expiresAt = now + invitationTtlMs;
      await inWorkspace(workspaceId, () =>
        db
          .insertInto('user_invitations')
          .values({
            id,
            token_hash: sha256(token),
            email: normaliseEmail(email),
            workspace_id: workspaceId,
            role,
            invited_by: `${actor.type}:${actor.id}`,
            created_at: now,
            expires_at: expiresAt,
            accepted_at: null,
          })
          .execute(),
      );
      await record(workspaceId, actor, 'user.invited', id, `invitation as ${role}`);
      return { id, token, expiresAt };
    },

    async acceptInvitation({ token, name, password }) {
      const row = await invitationByToken(db, store.dialect, sha256(token));
      if (!row || row.accepted_at !== null || Number(row.expires_at) <= clock.now() || !isRole(row.role))
        throw new LeadloopError('not_found', 'the invitation is not valid, was used, or has expired', {
          issues: [{ field: 'body.token', reason: 'unknown, used or expired invitation' }],
        });
      const actor = { type: 'user', id: '' } as Actor;
      const existing = await accountByEmail(db, store.dialect, row.email);
      let user: User;
      if (existing) {
        // An existing account proves itself with its password before it gains the role.
        if (!(await verifyPassword(password, existing.password_hash))) throw WRONG_CREDENTIALS();
        user = { id: existing.id, email: existing.email, name: existing.name };
      } else {
        user = await service.createUser({
          email: row.email,
          name,
          password,
          workspaceId: row.workspace_id,
          actor,
        });
      }
      await inWorkspace(row.workspace_id, () =>
        db
          .updateTable('user_invitations')
          .set({ accepted_at: clock.now() })
          .where('id', '=', row.id)
          .execute(),
      );
      await service.grantRole({
        userId: user.id,
        role: row.role,
        workspaceId: row.workspace_id,
        actor: { type: 'user', id: user.id },
      });
      return user;
    },
  };
  return service;
}
