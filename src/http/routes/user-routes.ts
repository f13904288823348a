import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { LeadloopError } from '../../core/index.ts';
import type { UserSession, UsersService } from '../../users/index.ts';
import { ROLES } from '../../users/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, setSessionAuthenticator, workspaceOf } from '../route.ts';
import { iso } from '../schemas.ts';

const SESSION_COOKIE = 'leadloop_session';

const roleSchema = z.enum(ROLES as ['admin', 'member', 'viewer']);

const sessionSchema = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  workspaceId: z.string(),
  organisationId: z.string(),
  role: roleSchema,
  organisationRole: roleSchema.nullable(),
  csrfToken: z.string().describe('Send as `x-csrf-token` on every request that changes something'),
  expiresAt: z.iso.datetime(),
  workspaces: z.array(
    z.object({
      workspaceId: z.string(),
      workspaceName: z.string(),
      organisationId: z.string(),
      role: roleSchema,
    }),
  ),
});

function cookieOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=') || null;
  }
  return null;
}

function setCookie(request: FastifyRequest, reply: FastifyReply, token: string, maxAgeSeconds: number) {
  // HttpOnly: script never reads it. SameSite=Strict: other sites' pages never send it. Secure
  // whenever the console is served over TLS (directly or behind a proxy that says so).
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header(
    'set-cookie',
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`,
  );
}

async function sessionBody(users: UsersService, session: UserSession) {
  return {
    user: session.user,
    workspaceId: session.workspaceId,
    organisationId: session.organisationId,
    role: session.role,
    organisationRole: session.organisationRole,
    csrfToken: session.csrfToken,
    expiresAt: iso(session.expiresAt),
    workspaces: await users.workspacesOf(session.user.id),
  };
}

/** Sign-in, sign-out, password and invitations for the console; users of a workspace for admins. */
export function registerUserRoutes(app: FastifyInstance, route: DeclareRoute, deps: HttpDeps): void {
  const { users } = deps;
  setSessionAuthenticator(app, async (request) => {
    const token = cookieOf(request);
    const session = token ? await users.authenticate(token) : null;
    return session ? { ...session, userId: session.user.id } : null;
  });

  /** The current session for routes that are about the session itself; CSRF-checked on changes. */
  async function requireSession(request: FastifyRequest, changes: boolean) {
    const token = cookieOf(request);
    const session = token ? await users.authenticate(token) : null;
    if (!token || !session)
      throw new LeadloopError('unauthenticated', 'sign in first', {
        issues: [
          { field: 'cookie.leadloop_session', reason: token ? 'the session has ended' : 'is missing' },
        ],
      });
    const header = request.headers['x-csrf-token'];
    if (changes && !users.verifyCsrf(session, typeof header === 'string' ? header : undefined))
      throw new LeadloopError('forbidden', 'a console request that changes something needs its CSRF token', {
        issues: [
          { field: 'header.x-csrf-token', reason: header ? 'does not match the session' : 'is missing' },
        ],
      });
    return { token, session };
  }

  route({
    method: 'POST',
    url: '/v1/session',
    operationId: 'signIn',
    summary: 'Sign in to the console (sets an HttpOnly session cookie)',
    description:
      'Throttled per client address, and an account locks for 15 minutes after 5 failed attempts in a row (429 with Retry-After). An unknown e-mail and a wrong password get the same answer.',
    tag: 'Users',
    auth: 'public',
    body: z
      .object({
        email: z.string().min(3).max(320),
        password: z.string().min(1).max(1000),
        workspaceId: z.string().optional(),
      })
      .strict(),
    responses: { 200: { description: 'Signed in', schema: sessionSchema } },
    async handler({ body, request, reply }) {
      const { token, session } = await users.signIn({ ...body, client: request.ip });
      setCookie(request, reply, token, Math.floor((session.expiresAt - deps.clock.now()) / 1000));
      return sessionBody(users, session);
    },
  });

  route({
    method: 'GET',
    url: '/v1/session',
    operationId: 'getSession',
    summary: 'The signed-in user, their role, workspaces and CSRF token',
    tag: 'Users',
    auth: 'public',
    responses: { 200: { description: 'The session', schema: sessionSchema } },
    async handler({ request }) {
      return sessionBody(users, (await requireSession(request, false)).session);
    },
  });

  route({
    method: 'DELETE',
    url: '/v1/session',
    operationId: 'signOut',
    summary: 'Sign out (this session)',
    tag: 'Users',
    auth: 'public',
    status: 204,
    responses: { 204: { description: 'Signed out' } },
    async handler({ request, reply }) {
      const { token } = await requireSession(request, true);
      await users.signOut(token);
      setCookie(request, reply, '', 0);
    },
  });

  route({
    method: 'POST',
    url: '/v1/session/sign-out-everywhere',
    operationId: 'signOutEverywhere',
    summary: 'End every session of the signed-in user, on every device',
    tag: 'Users',
    auth: 'public',
    responses: { 200: { description: 'Sessions ended', schema: z.object({ ended: z.number().int() }) } },
    async handler({ request, reply }) {
      const { session } = await requireSession(request, true);
      const ended = await users.signOutEverywhere(session.user.id, session.workspaceId);
      setCookie(request, reply, '', 0);
      return { ended };
    },
  });

  route({
    method: 'PUT',
    url: '/v1/session/workspace',
    operationId: 'switchWorkspace',
    summary: 'Work in another workspace of the signed-in user',
    tag: 'Users',
    auth: 'public',
    body: z.object({ workspaceId: z.string() }).strict(),
    responses: { 200: { description: 'The session', schema: sessionSchema } },
    async handler({ request, body }) {
      const { token } = await requireSession(request, true);
      return sessionBody(users, await users.switchWorkspace(token, body.workspaceId));
    },
  });

  route({
    method: 'PUT',
    url: '/v1/session/password',
    operationId: 'changePassword',
    summary: 'Change the password; every other session of the user ends',
    tag: 'Users',
    auth: 'public',
    body: z.object({ currentPassword: z.string().max(1000), newPassword: z.string().max(1000) }).strict(),
    status: 204,
    responses: { 204: { description: 'Changed' } },
    async handler({ request, body }) {
      const { session } = await requireSession(request, true);
      await users.changePassword({ session, current: body.currentPassword, next: body.newPassword });
    },
  });

  route({
    method: 'GET',
    url: '/v1/users',
    operationId: 'listUsers',
    summary: 'The people with a role in this workspace',
    tag: 'Users',
    auth: 'read',
    responses: {
      200: {
        description: 'Users',
        schema: z.object({
          items: z.array(
            z.object({
              id: z.string(),
              email: z.string(),
              name: z.string(),
              role: roleSchema,
              organisationRole: roleSchema.nullable(),
            }),
          ),
        }),
      },
    },
    async handler({ principal }) {
      return { items: await users.listUsers(workspaceOf(principal).workspaceId) };
    },
  });

  route({
    method: 'POST',
    url: '/v1/users/invitations',
    operationId: 'inviteUser',
    summary: 'Invite someone to this workspace: a single-use link, valid 7 days',
    tag: 'Users',
    auth: 'admin',
    body: z.object({ email: z.email(), role: roleSchema }).strict(),
    status: 201,
    responses: {
      201: {
        description: 'The invitation; the link is shown once',
        schema: z.object({
          id: z.string(),
          token: z.string(),
          link: z.string(),
          expiresAt: z.iso.datetime(),
        }),
      },
    },
    async handler({ principal, body }) {
      const ctx = workspaceOf(principal);
      const invitation = await users.invite({
        workspaceId: ctx.workspaceId,
        ...body,
        actor: actorOf(principal),
      });
      return {
        id: invitation.id,
        token: invitation.token,
        link: `/app/invitation#${invitation.token}`,
        expiresAt: iso(invitation.expiresAt),
      };
    },
  });

  route({
    method: 'POST',
    url: '/v1/users/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation: creates the account (or, for an existing one, checks its password)',
    tag: 'Users',
    auth: 'public',
    body: z
      .object({
        token: z.string().max(100),
        name: z.string().max(200).optional(),
        password: z.string().max(1000),
      })
      .strict(),
    status: 201,
    responses: {
      201: {
        description: 'The account',
        schema: z.object({ id: z.string(), email: z.string(), name: z.string() }),
      },
    },
    async handler({ body }) {
      return users.acceptInvitation(body);
    },
  });
}
