import { createHash } from 'node:crypto';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator, SecretBox } from '../core/index.ts';
import { inWorkspace, LeadloopError, withDataScope } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
import { createPasswordHashes, type PasswordHashes } from './password-sealing.ts';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';
import type { Role } from './roles.ts';

export interface User {
  id: string;
  email: string;
  name: string;
}

/** One workspace a user may work in, with the role they hold there. */
export interface UserWorkspace {
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

export interface SignedIn {
  /** The cookie's value; only its hash is stored. */
  token: string;
  session: UserSession;
}

/** A user's effective role in one workspace, and the organisation role behind it if any. */
export interface Access {
  role: Role;
  organisationRole: Role | null;
  organisationId: string;
}

/** What the accounts, sessions and invitations parts share: storage, clock, ids and the audit trail. */
export interface UsersContext {
  store: Store;
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  /** Appends one audit entry in the workspace, in its own transaction. */
  record(
    workspaceId: string,
    actor: Actor,
    action: string,
    subject: string,
    reason: string,
  ): Promise<unknown>;
  /** Runs `fn` in a data scope of these workspaces (row security on PostgreSQL). */
  inScope<T>(workspaceIds: readonly string[], fn: () => Promise<T>): Promise<T>;
  /** Seals password hashes for storage and checks passwords against stored ones. */
  passwords: PasswordHashes;
}

export function createUsersContext(options: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  /** The master key's box, which seals password hashes at rest; without it (tests) they are stored as made. */
  box?: SecretBox | undefined;
}): UsersContext {
  const { store, audit } = options;
  return {
    store,
    db: store.db,
    clock: options.clock,
    ids: options.ids,
    record: (workspaceId, actor, action, subject, reason) =>
      inWorkspace(workspaceId, () =>
        store.transaction((trx) =>
          audit.append(trx, workspaceId, { actor, action, subject, reason, data: {} }),
        ),
      ),
    inScope: (workspaceIds, fn) => withDataScope({ kind: 'workspaces', workspaceIds }, fn),
    passwords: createPasswordHashes(options.box),
  };
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function checkPassword(password: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new LeadloopError('validation_failed', 'the password is too short', {
      issues: [{ field, reason: `must be at least ${MIN_PASSWORD_LENGTH} characters` }],
    });
}

export const WRONG_CREDENTIALS = () =>
  // One message for an unknown e-mail and a wrong password: no account enumeration.
  new LeadloopError('unauthenticated', 'the e-mail or password is not correct', {
    issues: [{ field: 'body.password', reason: 'e-mail and password do not match an account' }],
  });
