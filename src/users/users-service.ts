import type { AuditLog } from '../compliance/index.ts';
import type { Clock, IdGenerator, SecretBox } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { type AccountsService, createAccounts } from './accounts.ts';
import { createInvitations, type InvitationsService } from './invitations.ts';
import { createSessions, type SessionsService } from './sessions.ts';
import { createUsersContext } from './user-context.ts';

/** Console accounts, their sessions and invitations: one service over three parts. */
export interface UsersService extends AccountsService, SessionsService, InvitationsService {}

export interface UsersServiceOptions {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditLog;
  /** The master key's box: password hashes are stored sealed by it (docs/security.md). */
  box?: SecretBox;
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

export function createUsersService(options: UsersServiceOptions): UsersService {
  const context = createUsersContext(options);
  const { roleIn, ...accounts } = createAccounts(context);
  const sessions = createSessions(
    context,
    { ...accounts, roleIn },
    {
      maxFailedLogins: options.maxFailedLogins ?? 5,
      lockoutMs: options.lockoutMs ?? 15 * 60_000,
      attemptsPerMinute: options.attemptsPerMinute ?? 20,
      idleMs: options.idleMs ?? 12 * 3_600_000,
      maxAgeMs: options.maxAgeMs ?? 7 * 24 * 3_600_000,
    },
  );
  const invitations = createInvitations(context, accounts, options.invitationTtlMs ?? 7 * 24 * 3_600_000);
  return { ...accounts, ...sessions, ...invitations };
}
