/** Operator accounts of the console: passwords (scrypt), roles, database sessions, invitations. */
export { resealPasswordHashes } from './password-sealing.ts';
export { generatePassword } from './passwords.ts';
export type { Role } from './roles.ts';
export { isRole, ROLES } from './roles.ts';
export type { UserSession } from './user-context.ts';
export type { UsersService } from './users-service.ts';
export { createUsersService } from './users-service.ts';
