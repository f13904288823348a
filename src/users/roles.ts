/**
 * Roles of an operator. In a workspace: `admin` changes settings and keys, `member` also takes
 * over chats and reviews decisions, `viewer` reads. An organisation role applies in every
 * workspace of the organisation and adds the organisation's aggregated analytics.
 */
export type Role = 'admin' | 'member' | 'viewer';

export const ROLES: readonly Role[] = ['admin', 'member', 'viewer'];

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** The stronger of two roles (a workspace role and the organisation's role). */
export function strongerRole(a: Role | null, b: Role | null): Role | null {
  if (!a) return b;
  if (!b) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
