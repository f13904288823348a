import { createHash } from 'node:crypto';
import type { AuditLog } from '../compliance/index.ts';
import type { Actor, Clock, IdGenerator } from '../core/index.ts';
import { inWorkspace, LeadloopError } from '../core/index.ts';
import type { Db, Store } from '../store/index.ts';
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
}

export function createUsersContext(options: {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
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
