import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor, DataScope, KeyScope, WorkspaceContext } from '../core/index.ts';
import { LeadloopError, parseInput, withDataScope } from '../core/index.ts';
import type { Principal, TenantsService } from '../tenants/index.ts';

/**
 * Who may call a route: nobody in particular, a signed webhook, or a key with one of the scopes.
 * `operate` is the day-to-day work of an operator (take over a chat, review a decision): admin
 * keys, and console members as well as admins. `advise` spends the council's model budget.
 */
type RouteAuth = 'public' | 'webhook' | 'read' | 'ingest' | 'advise' | 'operate' | 'admin' | 'org';

type KeyAuth = Exclude<RouteAuth, 'public' | 'webhook'>;

const SCOPES_FOR: Record<KeyAuth, readonly KeyScope[]> = {
  read: ['read', 'advise', 'admin'],
  // Council questions spend model calls and budget: a read key must not be able to.
  advise: ['advise', 'admin'],
  ingest: ['ingest', 'admin'],
  operate: ['admin'],
  admin: ['admin'],
  org: ['org'],
};

/** The console's roles, for the same routes (an organisation role opens `org`). */
const ROLES_FOR: Record<KeyAuth, readonly SessionRole[]> = {
  read: ['admin', 'member', 'viewer'],
  ingest: ['admin', 'member'],
  advise: ['admin', 'member'],
  operate: ['admin', 'member'],
  admin: ['admin'],
  org: ['admin', 'member', 'viewer'],
};

type SessionRole = 'admin' | 'member' | 'viewer';

/** The console session behind a cookie, as the HTTP layer needs it (see src/users). */
interface SessionIdentity {
  userId: string;
  workspaceId: string;
  organisationId: string;
  role: SessionRole;
  organisationRole: SessionRole | null;
  csrfToken: string;
}

/** Resolves the session cookie of a request, or null when there is none or it has ended. */
export type SessionAuthenticator = (request: FastifyRequest) => Promise<SessionIdentity | null>;

const sessionAuthenticators = new WeakMap<FastifyInstance, SessionAuthenticator>();

/** Makes console sessions a second way in, beside API keys, on every key-authenticated route. */
export function setSessionAuthenticator(app: FastifyInstance, authenticator: SessionAuthenticator): void {
  sessionAuthenticators.set(app, authenticator);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function authenticateSession(request: FastifyRequest, auth: KeyAuth): Promise<Principal | null> {
  const authenticator = sessionAuthenticators.get(request.server);
  const session = authenticator ? await authenticator(request) : null;
  if (!session) return null;
  // The cookie travels with any request the browser makes, so a change also needs the token that
  // only the console's own script was given (synchronizer token; the cookie is HttpOnly).
  const header = request.headers['x-csrf-token'];
  if (!SAFE_METHODS.has(request.method) && header !== session.csrfToken)
    throw new LeadloopError('forbidden', 'a console request that changes something needs its CSRF token', {
      issues: [
        { field: 'header.x-csrf-token', reason: header ? 'does not match the session' : 'is missing' },
      ],
    });
  const role = auth === 'org' ? session.organisationRole : session.role;
  if (!role || !ROLES_FOR[auth].includes(role))
    throw new LeadloopError('forbidden', `this needs the role ${ROLES_FOR[auth].join(' or ')}`, {
      issues: [
        {
          field: 'cookie.leadloop_session',
          reason: role ? `role ${role} is not allowed here` : 'no organisation role',
        },
      ],
    });
  if (auth === 'org')
    return {
      kind: 'organisation',
      keyId: `user:${session.userId}`,
      scope: 'org',
      organisationId: session.organisationId,
      userId: session.userId,
    };
  return {
    kind: 'workspace',
    keyId: `user:${session.userId}`,
    scope: role === 'admin' ? 'admin' : 'read',
    context: { workspaceId: session.workspaceId, organisationId: session.organisationId },
    userId: session.userId,
  };
}

interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  rawBody: string;
  principal: Principal | null;
  request: FastifyRequest;
  reply: FastifyReply;
}

interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path syntax (`/v1/leads/:id`); the OpenAPI document shows `{id}`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth: RouteAuth;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** Validated from JSON unless `rawBody` is set, in which case the handler validates. */
  body?: z.ZodType<B>;
  rawBody?: boolean;
  /** Body size limit in bytes for this route, when it takes more than the app's default. */
  bodyLimit?: number;
  /** Extra request headers worth documenting. */
  headers?: { name: string; description: string; required?: boolean }[];
  /** The status of a successful answer when it is not 200; a 204 answers with no body. */
  status?: 201 | 202 | 204;
  responses: Record<number, RouteResponse>;
  handler(input: RouteInput<P, Q, B>): Promise<unknown>;
}

/** Collected at registration, so the OpenAPI document is generated from the same schemas that validate. */
export type RouteCatalog = RouteSpec<unknown, unknown, unknown>[];

/** The audit actor of a request: the signed-in user, or the API key. */
export function actorOf(principal: Principal | null): Actor {
  if (principal?.userId) return { type: 'user', id: principal.userId };
  return { type: 'api_key', id: principal?.keyId ?? 'unknown' };
}

export function workspaceOf(principal: Principal | null): WorkspaceContext {
  if (principal?.kind !== 'workspace')
    throw new LeadloopError('forbidden', 'this route needs a workspace key');
  return principal.context;
}

async function authenticate(
  tenants: TenantsService,
  request: FastifyRequest,
  auth: KeyAuth,
): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header) {
    const fromSession = await authenticateSession(request, auth);
    if (fromSession) return fromSession;
    throw new LeadloopError(
      'unauthenticated',
      'send an API key as "Authorization: Bearer <key>" (or sign in to the console)',
      { issues: [{ field: 'header.authorization', reason: 'is missing' }] },
    );
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1])
    throw new LeadloopError('unauthenticated', 'the Authorization header must be "Bearer <key>"', {
      issues: [{ field: 'header.authorization', reason: 'is not a bearer token' }],
    });
  const principal = await tenants.authenticate(match[1]);
  if (!principal)
    throw new LeadloopError('unauthenticated', 'the API key is not valid or was revoked', {
      issues: [{ field: 'header.authorization', reason: 'unknown or revoked key' }],
    });
  const allowed = SCOPES_FOR[auth];
  if (!allowed.includes(principal.scope)) {
    throw new LeadloopError(
      'forbidden',
      `this route needs a key with scope ${allowed.join(' or ')}; this key has scope ${principal.scope}`,
      {
        issues: [{ field: 'header.authorization', reason: `scope ${principal.scope} is not allowed here` }],
      },
    );
  }
  return principal;
}

/**
 * The rows a request may touch, which PostgreSQL's row-level security then enforces: a workspace
 * key's workspace; an organisation key's workspaces (its routes only aggregate); for a signed
 * webhook, the workspace in its URL (whose secret it must then verify against). Public routes start
 * with none and widen it themselves once a credential names a workspace (the chat widget's key).
 */
async function dataScopeOf(
  tenants: TenantsService,
  auth: RouteAuth,
  principal: Principal | null,
  params: unknown,
): Promise<DataScope> {
  if (principal?.kind === 'workspace')
    return { kind: 'workspaces', workspaceIds: [principal.context.workspaceId] };
  if (principal?.kind === 'organisation') {
    const workspaces = await tenants.listWorkspaces(principal.organisationId);
    return { kind: 'workspaces', workspaceIds: workspaces.map((w) => w.id) };
  }
  const fromPath = (params as { workspaceId?: unknown } | undefined)?.workspaceId;
  if (auth === 'webhook' && typeof fromPath === 'string')
    return { kind: 'workspaces', workspaceIds: [fromPath] };
  return { kind: 'workspaces', workspaceIds: [] };
}

/** Declares one route: validated, authenticated, scoped, and listed in the OpenAPI catalog. */
export type DeclareRoute = <P, Q, B>(spec: RouteSpec<P, Q, B>) => void;

/**
 * Binds the app, its route catalog and the key lookup once, so a routes module declares each route
 * with its spec alone: `route({ method: 'GET', url: '/v1/leads', operationId: 'listLeads', … })`.
 */
export function declareRoutes(
  app: FastifyInstance,
  catalog: RouteCatalog,
  tenants: TenantsService,
): DeclareRoute {
  return (spec) => registerRoute(app, catalog, tenants, spec);
}

function registerRoute<P, Q, B>(
  app: FastifyInstance,
  catalog: RouteCatalog,
  tenants: TenantsService,
  spec: RouteSpec<P, Q, B>,
): void {
  catalog.push(spec as RouteSpec<unknown, unknown, unknown>);
  app.route({
    method: spec.method,
    url: spec.url,
    ...(spec.bodyLimit === undefined ? {} : { bodyLimit: spec.bodyLimit }),
    handler: async (request, reply) => {
      // Path ids first: a malformed id never reaches a key lookup or a data scope.
      const params = spec.params ? parseInput(spec.params, request.params, 'path') : (request.params as P);
      const principal =
        spec.auth === 'public' || spec.auth === 'webhook'
          ? null
          : await authenticate(tenants, request, spec.auth);
      const query = spec.query ? parseInput(spec.query, request.query, 'query') : (request.query as Q);
      const rawBody = typeof request.body === 'string' ? request.body : '';
      let body = undefined as B;
      if (spec.body && !spec.rawBody) {
        let parsed: unknown;
        try {
          parsed = rawBody === '' ? undefined : JSON.parse(rawBody);
        } catch (error) {
          throw new LeadloopError('malformed_json', 'the request body is not valid JSON', {
            issues: [{ field: 'body', reason: error instanceof Error ? error.message : 'invalid JSON' }],
          });
        }
        body = parseInput(spec.body, parsed, 'body');
      }
      const run = () => spec.handler({ params, query, body, rawBody, principal, request, reply });
      const result = await withDataScope(await dataScopeOf(tenants, spec.auth, principal, params), run);
      if (spec.status === undefined) return result;
      reply.status(spec.status);
      return spec.status === 204 ? null : result;
    },
  });
}
