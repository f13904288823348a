import { sql } from 'kysely';
import type { Database, Db, DialectName } from '../store/index.ts';

/*
 * The account reads that happen before a workspace is known (sign-in by e-mail, a session
 * cookie, an invitation link, the workspaces of a user) and the writes that span workspaces. On
 * PostgreSQL the application's role cannot read other operators' rows outside a signed scope, so
 * these go through the SECURITY DEFINER functions of migration 016, each returning the rows of
 * one e-mail, token hash or user id. SQLite has no roles: plain statements, same results.
 */

type AccountRow = Pick<
  Database['users'],
  'id' | 'email' | 'name' | 'password_hash' | 'failed_logins' | 'locked_until'
>;

export async function accountByEmail(db: Db, dialect: DialectName, email: string) {
  if (dialect === 'postgres') {
    const { rows } = await sql<AccountRow>`select * from console_user_by_email(${email})`.execute(db);
    return rows[0];
  }
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'password_hash', 'failed_logins', 'locked_until'])
    .where('email', '=', email)
    .executeTakeFirst();
}

/** Stores the failed-sign-in counter and lock of one account. */
export async function recordSignIn(
  db: Db,
  dialect: DialectName,
  userId: string,
  failed: number,
  lockedUntil: number | null,
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`select console_record_sign_in(${userId}, ${failed}, ${lockedUntil})`.execute(db);
    return;
  }
  await db
    .updateTable('users')
    .set({ failed_logins: failed, locked_until: lockedUntil })
    .where('id', '=', userId)
    .execute();
}

interface MembershipRow {
  workspace_id: string | null;
  organisation_id: string;
  role: string;
}

/** Every role of one user, in every workspace and organisation. */
export async function membershipsOf(db: Db, dialect: DialectName, userId: string): Promise<MembershipRow[]> {
  if (dialect === 'postgres') {
    const { rows } = await sql<MembershipRow>`select * from console_memberships_of(${userId})`.execute(db);
    return rows;
  }
  return db
    .selectFrom('user_memberships')
    .select(['workspace_id', 'organisation_id', 'role'])
    .where('user_id', '=', userId)
    .execute();
}

interface SessionRow {
  workspace_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  /** The user's. */
  id: string;
  email: string;
  name: string;
}

/** One session (by the hash of its cookie's token) with its user. */
export async function sessionById(db: Db, dialect: DialectName, id: string): Promise<SessionRow | undefined> {
  if (dialect === 'postgres') {
    const { rows } = await sql<SessionRow>`select * from console_session(${id})`.execute(db);
    return rows[0];
  }
  return db
    .selectFrom('user_sessions')
    .innerJoin('users', 'users.id', 'user_sessions.user_id')
    .select([
      'user_sessions.workspace_id',
      'user_sessions.created_at',
      'user_sessions.last_seen_at',
      'user_sessions.expires_at',
      'users.id',
      'users.email',
      'users.name',
    ])
    .where('user_sessions.id', '=', id)
    .executeTakeFirst();
}

interface InvitationRow {
  id: string;
  email: string;
  workspace_id: string;
  role: string;
  expires_at: number;
  accepted_at: number | null;
}

/** One invitation, by the hash of its link's token. */
export async function invitationByToken(
  db: Db,
  dialect: DialectName,
  tokenHash: string,
): Promise<InvitationRow | undefined> {
  if (dialect === 'postgres') {
    const { rows } = await sql<InvitationRow>`select * from console_invitation(${tokenHash})`.execute(db);
    return rows[0];
  }
  return db
    .selectFrom('user_invitations')
    .select(['id', 'email', 'workspace_id', 'role', 'expires_at', 'accepted_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/**
 * Ends every session of a user (in every workspace) except `keep`. On PostgreSQL the user must be
 * reachable from the signed data scope (a role in one of its workspaces or their organisation).
 */
export async function endSessions(
  db: Db,
  dialect: DialectName,
  userId: string,
  keep: string | null,
): Promise<number> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ ended: string }>`
      select console_end_sessions(${userId}, ${keep}) as ended`.execute(db);
    return Number(rows[0]?.ended ?? 0);
  }
  let statement = db.deleteFrom('user_sessions').where('user_id', '=', userId);
  if (keep !== null) statement = statement.where('id', '!=', keep);
  const result = await statement.executeTakeFirst();
  return Number(result.numDeletedRows);
}
