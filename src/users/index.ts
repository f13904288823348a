/** Operator accounts of the console: passwords (scrypt), roles, database sessions, invitations. */
export { generatePassword, MIN_PASSWORD_LENGTH } from './passwords.ts';
export type { Role } from './roles.ts';
export { isRole, ROLES } from './roles.ts';
export type {
  SignedIn,
  User,
  UserSession,
  UsersService,
  UsersServiceOptions,
  UserWorkspace,
} from './users-service.ts';
export { createUsersService } from './users-service.ts';
