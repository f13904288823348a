// Console accounts, their memberships, sessions and invitations.
// Portable shapes (see ../schema.ts): epoch-millisecond times, JSON as text, 0/1 booleans.

/** An operator account of the console (migration 050). */
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  /** `scrypt$N$r$p$salt$hash`, base64url parts. */
  password_hash: string;
  failed_logins: number;
  locked_until: number | null;
  created_at: number;
  password_changed_at: number;
}

/** A user's role in one workspace (workspace_id set) or in a whole organisation (workspace_id null). */
export interface UserMembershipsTable {
  user_id: string;
  workspace_id: string | null;
  organisation_id: string;
  role: string;
  created_at: number;
}

export interface UserSessionsTable {
  /** sha256 of the session cookie's token. */
  id: string;
  user_id: string;
  workspace_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface UserInvitationsTable {
  id: string;
  token_hash: string;
  email: string;
  workspace_id: string;
  role: string;
  invited_by: string;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
}
