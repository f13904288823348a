import { type Kysely, sql } from 'kysely';
import { revokeFromPublic } from './kit.ts';

/** The directory functions' signatures; `leadloop migrate` grants EXECUTE on them to the application role. */
export const DIRECTORY_FUNCTIONS = ['leadloop_scope_holds_organisation(text)'] as const;

export async function quotedSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return `"${(rows[0]?.schema ?? 'public').replaceAll('"', '""')}"`;
}

/**
 * `leadloop_scope_holds_organisation(org)`: the organisation has workspaces and every one of them
 * is in the signed data scope. A definer function because the application's role sees only the
 * scope's own workspaces, so it could not tell that one is missing. Idempotent (create or replace);
 * migration 016's policies call it, so it is created wherever they are.
 */
export async function createOrganisationScopeCheck(db: Kysely<unknown>): Promise<void> {
  const quoted = await quotedSchema(db);
  const q = (name: string) => sql.raw(`${quoted}.${name}`);
  await sql`create or replace function ${q('leadloop_scope_holds_organisation')}(p_organisation text)
    returns boolean language sql stable security definer set search_path = '' as $fn$
      select exists (select 1 from ${q('workspaces')} w where w.organisation_id = p_organisation)
         and not exists (select 1 from ${q('workspaces')} w
                          where w.organisation_id = p_organisation
                            and not (w.id = any (${q('leadloop_scope_workspaces')}())))
    $fn$`.execute(db);
  await revokeFromPublic(db, quoted, DIRECTORY_FUNCTIONS);
}
