import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { verifiedScopeCondition } from './005-row-level-security.ts';
import { dropFunctions, revokeFromPublic, tableExists } from './kit.ts';
import { createOrganisationScopeCheck } from './organisation-scope-check.ts';

/**
 * PostgreSQL only. Row-level security on the console's account tables, so that a session holding
 * the application role's credentials (but not the master key, so no signed data scope) cannot add
 * itself to a workspace's console, read other operators' rows or take over their sessions.
 *
 * - `user_memberships`: a workspace role is visible and writable only in that workspace's signed
 *   scope (and only for the workspace's own organisation); an organisation role is visible in the
 *   scope of any of its workspaces and writable only in a scope holding all of them.
 * - `user_sessions`, `user_invitations`: per workspace, like any tenant table.
 * - `users`: a row is visible and updatable only through a membership visible in the scope;
 *   creating one needs a signed scope. No DELETE.
 * - What happens before a workspace is known goes through SECURITY DEFINER functions that return
 *   one row for one key: the user for one e-mail (sign-in), the session for one token hash
 *   (cookie), the invitation for one token hash, the memberships of one user id, and the
 *   sign-in counters of one user. Ending all sessions of a user needs the user to be reachable
 *   from the signed scope.
 *
 * ENABLE without FORCE: the definer functions run as the owner and must see the row they were
 * asked for before any scope exists; the application's role owns nothing, so the policies bind it.
 *
 * On a fresh database this migration runs before 050 creates the tables, so 050 calls
 * {@link secureConsoleAccounts} itself; on a database where 050 ran first, this migration does.
 */
export function consoleAccountSecurityMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      if (await tableExists(db, 'users')) await secureConsoleAccounts(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await dropFunctions(db, CONSOLE_ACCOUNT_FUNCTIONS);
      for (const [table, policies] of Object.entries(POLICIES)) {
        for (const policy of policies)
          await sql`drop policy if exists ${sql.id(policy)} on ${sql.table(table)}`.execute(db);
        await sql`alter table ${sql.table(table)} disable row level security`.execute(db);
      }
    },
  };
}

/** The definer functions' signatures; `leadloop migrate` grants EXECUTE on them to the application role. */
export const CONSOLE_ACCOUNT_FUNCTIONS = [
  'console_user_by_email(text)',
  'console_record_sign_in(text, integer, bigint)',
  'console_memberships_of(text)',
  'console_session(text)',
  'console_invitation(text)',
  'console_end_sessions(text, text)',
] as const;

const POLICIES: Record<string, string[]> = {
  users: ['account_read', 'account_update', 'account_insert'],
  user_memberships: ['membership_read', 'membership_insert', 'membership_update', 'membership_delete'],
  user_sessions: ['tenant_isolation'],
  user_invitations: ['tenant_isolation'],
};

/** Turns on the account tables' policies and (re)creates the definer functions. Idempotent. */
export async function secureConsoleAccounts(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? 'public';
  const quoted = `"${schema.replaceAll('"', '""')}"`;
  const q = (name: string) => sql.raw(`${quoted}.${name}`);
  const scope = `(select ${quoted}.leadloop_scope_workspaces())::text[]`;
  // A membership row the signed scope reaches: its workspace, or its organisation through one of
  // the scope's workspaces.
  const visible = (m: string) =>
    `(${m}.workspace_id = any (${scope}) or (${m}.workspace_id is null and ${m}.organisation_id in
      (select w.organisation_id from ${quoted}.workspaces w where w.id = any (${scope}))))`;
  // Writable: a workspace role in scope and of that workspace's organisation; an organisation role
  // only when every workspace of the organisation is in scope (as for an organisation key).
  const writable = sql.raw(`(case when user_memberships.workspace_id is not null then
      user_memberships.workspace_id = any (${scope}) and exists (select 1 from ${quoted}.workspaces w
        where w.id = user_memberships.workspace_id and w.organisation_id = user_memberships.organisation_id)
    else
      ${quoted}.leadloop_scope_holds_organisation(user_memberships.organisation_id)
    end)`);
  // The role sees only the scope's workspaces (migration 018), so "all of them" is the definer's to tell.
  await createOrganisationScopeCheck(db);
  const reachable = sql.raw(`exists (select 1 from ${quoted}.user_memberships m where m.user_id = users.id)`);

  for (const [table, policies] of Object.entries(POLICIES)) {
    await sql`alter table ${q(table)} enable row level security`.execute(db);
    for (const policy of policies)
      await sql`drop policy if exists ${sql.id(policy)} on ${q(table)}`.execute(db);
  }
  await sql`create policy membership_read on ${q('user_memberships')} for select
    using (${sql.raw(visible('user_memberships'))})`.execute(db);
  await sql`create policy membership_insert on ${q('user_memberships')} for insert with check (${writable})`.execute(
    db,
  );
  await sql`create policy membership_update on ${q('user_memberships')} for update
    using (${writable}) with check (${writable})`.execute(db);
  await sql`create policy membership_delete on ${q('user_memberships')} for delete using (${writable})`.execute(
    db,
  );
  // Memberships' own policy applies inside this subquery: a user is visible through a visible membership.
  await sql`create policy account_read on ${q('users')} for select using (${reachable})`.execute(db);
  await sql`create policy account_update on ${q('users')} for update
    using (${reachable}) with check (${reachable})`.execute(db);
  await sql`create policy account_insert on ${q('users')} for insert
    with check (cardinality(${sql.raw(scope)}) > 0)`.execute(db);
  for (const table of ['user_sessions', 'user_invitations']) {
    const condition = sql.raw(verifiedScopeCondition(schema, 'workspace_id'));
    await sql`create policy tenant_isolation on ${q(table)} using (${condition}) with check (${condition})`.execute(
      db,
    );
  }

  await sql`create or replace function ${q('console_user_by_email')}(p_email text)
    returns table (id text, email text, name text, password_hash text, failed_logins integer, locked_until bigint)
    language sql stable security definer set search_path = '' as $fn$
      select u.id, u.email, u.name, u.password_hash, u.failed_logins, u.locked_until
        from ${q('users')} u where u.email = p_email limit 1
    $fn$`.execute(db);
  // Without a scope, only what a wrong password over HTTP does: one more failure (or the same
  // count, a concurrent failure) or a lock of at most a day. Clearing the counter or a lock needs
  // the account reachable from the signed scope, which the process signs after the password checked out.
  await sql`create or replace function ${q('console_record_sign_in')}(p_user text, p_failed integer, p_locked_until bigint)
    returns void language plpgsql security definer set search_path = '' as $fn$
    declare
      stored record;
    begin
      select u.failed_logins, u.locked_until into stored from ${q('users')} u where u.id = p_user for update;
      if not found then
        return;
      end if;
      if not (
           (p_locked_until is null and p_failed between stored.failed_logins and stored.failed_logins + 1
            and p_failed > 0)
        or (p_failed = 0 and p_locked_until is not null
            and p_locked_until <= (extract(epoch from clock_timestamp()) * 1000)::bigint + 86400000)
      ) and not exists (select 1 from ${q('user_memberships')} m where m.user_id = p_user
                          and ${sql.raw(visible('m'))}) then
        raise exception 'user % is not reachable from this transaction''s data scope', p_user
          using errcode = '42501';
      end if;
      update ${q('users')} u set failed_logins = p_failed, locked_until = p_locked_until where u.id = p_user;
    end $fn$`.execute(db);
  await sql`create or replace function ${q('console_memberships_of')}(p_user text)
    returns table (workspace_id text, organisation_id text, role text)
    language sql stable security definer set search_path = '' as $fn$
      select m.workspace_id, m.organisation_id, m.role from ${q('user_memberships')} m where m.user_id = p_user
    $fn$`.execute(db);
  await sql`create or replace function ${q('console_session')}(p_id text)
    returns table (workspace_id text, created_at bigint, last_seen_at bigint, expires_at bigint,
                   id text, email text, name text)
    language sql stable security definer set search_path = '' as $fn$
      select s.workspace_id, s.created_at, s.last_seen_at, s.expires_at, u.id, u.email, u.name
        from ${q('user_sessions')} s join ${q('users')} u on u.id = s.user_id where s.id = p_id limit 1
    $fn$`.execute(db);
  await sql`create or replace function ${q('console_invitation')}(p_token_hash text)
    returns table (id text, email text, workspace_id text, role text, expires_at bigint, accepted_at bigint)
    language sql stable security definer set search_path = '' as $fn$
      select i.id, i.email, i.workspace_id, i.role, i.expires_at, i.accepted_at
        from ${q('user_invitations')} i where i.token_hash = p_token_hash limit 1
    $fn$`.execute(db);
  await sql`create or replace function ${q('console_end_sessions')}(p_user text, p_keep text)
    returns bigint language plpgsql security definer set search_path = '' as $fn$
    declare
      ended bigint;
    begin
      if not exists (select 1 from ${q('user_memberships')} m where m.user_id = p_user
                       and ${sql.raw(visible('m'))}) then
        raise exception 'user % is not reachable from this transaction''s data scope', p_user
          using errcode = '42501';
      end if;
      delete from ${q('user_sessions')} s where s.user_id = p_user and s.id is distinct from p_keep;
      get diagnostics ended = row_count;
      return ended;
    end $fn$`.execute(db);
  await revokeFromPublic(db, quoted, CONSOLE_ACCOUNT_FUNCTIONS);
}
