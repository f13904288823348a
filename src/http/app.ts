import type { ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { LeadloopError } from '../core/index.ts';
import type { HttpDeps } from './deps.ts';
import { registerMetricsRoute } from './metrics-route.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { toProblem } from './problem.ts';
import { declareRoutes, type RouteCatalog } from './route.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerAnalyticsRoutes } from './routes/analytics-routes.ts';
import { registerChatKnowledgeRoutes } from './routes/chat-knowledge-routes.ts';
import { registerChatRoutes } from './routes/chat-routes.ts';
import { registerConsoleWeb } from './routes/console-web.ts';
import { registerCouncilRoutes } from './routes/council-routes.ts';
import { registerEngagementRoutes } from './routes/engagement-routes.ts';
import { registerIdentityRoutes } from './routes/identity-routes.ts';
import { registerIngestRoutes } from './routes/ingest-routes.ts';
import { registerOptimiserRoutes } from './routes/optimiser-routes.ts';
import { registerOrgRoutes } from './routes/org-routes.ts';
import { registerPrivacyRequestRoutes } from './routes/privacy-request-routes.ts';
import { registerPrivacyRoutes } from './routes/privacy-routes.ts';
import { registerReadRoutes } from './routes/read-routes.ts';
import { registerScoringRoutes } from './routes/scoring-routes.ts';
import { registerStreamRoute } from './routes/stream-route.ts';
import { registerSuppressionRoutes } from './routes/suppression-routes.ts';
import { registerTemplateRoutes } from './routes/template-routes.ts';
import { registerUnsubscribeRoutes } from './routes/unsubscribe-routes.ts';
import { registerUserRoutes } from './routes/user-routes.ts';
import { registerWebRoutes } from './routes/web-routes.ts';
import { registerWorkflowAuthoringRoutes } from './routes/workflow-authoring-routes.ts';
import { registerWorkflowHookRoutes } from './routes/workflow-hook-routes.ts';
import { registerWorkflowRoutes } from './routes/workflow-routes.ts';
import { registerWorkflowSettingsRoutes } from './routes/workflow-settings-routes.ts';

const DEFAULT_BODY_LIMIT = 256 * 1024;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Failed authentication (401: unknown key, bad webhook signature) per client address, in a bucket
 * of its own: a flood of unsigned requests throttles its sender, never the workspace it names.
 */
const AUTH_FAILURE_LIMIT = { perSecond: 1, burst: 30 };
const authFailureKey = (ip: string) => `auth-failures:${ip}`;
/** The one-click unsubscribe route (RFC 8058), the only one that takes a form body. */
const ONE_CLICK_UNSUBSCRIBE_PREFIX = '/v1/unsubscribe/';

export interface HttpApp {
  readonly app: FastifyInstance;
  readonly catalog: RouteCatalog;
  openApiDocument(): Record<string, unknown>;
  /** Ends open event streams so that `app.close()` is not held up by them. */
  closeStreams(): void;
}

/** Builds the Fastify app: problem+json errors, raw-JSON bodies (signatures need the exact bytes), routes, docs. */
export async function createHttpApp(deps: HttpDeps): Promise<HttpApp> {
  const { logger, metrics } = deps;
  let requestCounter = 0;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Per-request log lines would dominate at thousands of requests/s; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (request) => {
      const header = request.headers['x-request-id'];
      if (typeof header === 'string' && REQUEST_ID.test(header)) return header;
      requestCounter = (requestCounter + 1) % 1e9;
      return `req_${Date.now().toString(36)}${requestCounter.toString(36)}`;
    },
    routerOptions: { ignoreTrailingSlash: true },
    // Node answers malformed requests and oversized headers (431) before Fastify sees them; answer
    // those in problem+json too, like every other error.
    clientErrorHandler: (error, socket) => {
      const code = (error as NodeJS.ErrnoException).code;
      const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const title = status === 431 ? 'Request header fields too large' : 'Bad request';
      const body = JSON.stringify({
        type: `urn:leadloop:problem:${status === 431 ? 'headers-too-large' : 'bad-request'}`,
        title,
        status,
        detail: status === 431 ? 'the request headers exceed 16 KiB' : 'the request could not be parsed',
        instance: '',
        code: status === 431 ? 'headers_too_large' : 'bad_request',
        errors: [
          { field: 'header', reason: status === 431 ? 'total size over 16 KiB' : 'malformed request' },
        ],
        requestId: '',
      });
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      else socket.destroy(error);
    },
  });

  // Bodies stay raw strings: webhook signatures are over the exact bytes, and routes parse JSON
  // themselves so that malformed JSON gets a problem+json answer naming the body.
  app.removeAllContentTypeParsers();
  for (const type of ['application/json', /^application\/[a-z0-9.+-]*\+json$/]) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  }
  // RFC 8058: a mailbox provider's one-click unsubscribe is a form POST (`List-Unsubscribe=One-Click`,
  // urlencoded or multipart). Only that route takes a form; every other route still answers 415.
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data']) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (request, body, done) => {
      if (request.url.startsWith(ONE_CLICK_UNSUBSCRIBE_PREFIX)) return done(null, body);
      done(
        new LeadloopError('unsupported_media_type', 'this route takes application/json', {
          issues: [{ field: 'header.content-type', reason: 'must be application/json' }],
        }),
      );
    });
  }

  // Callback hooks, not async ones: an async hook costs every request a promise and its tick.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Before any work (body, key lookup, signature): an address over its failure budget waits.
    if (!request.url.startsWith('/v1/')) return done();
    const wait = deps.rateLimiter.wait(authFailureKey(request.ip), AUTH_FAILURE_LIMIT);
    if (wait > 0)
      return done(
        new LeadloopError('rate_limited', 'too many failed authentication attempts from this address', {
          retryAfterSeconds: wait,
        }),
      );
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    metrics.httpRequestDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 500)
      request.log.error(
        { url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
        'request failed',
      );
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem, retryAfterSeconds } = toProblem(
      error,
      request.url.split('?')[0] ?? request.url,
      request.id,
    );
    if (problem.status >= 500) request.log.error({ err: error }, 'unhandled error');
    if (problem.status === 401) deps.rateLimiter.take(authFailureKey(request.ip), AUTH_FAILURE_LIMIT);
    if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds));
    reply
      .status(problem.status)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(JSON.stringify(problem));
  });
  app.setNotFoundHandler((request, reply) => {
    const { problem } = toProblem(
      new LeadloopError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`, {
        issues: [{ field: 'path', reason: 'no such route; see /openapi.json' }],
      }),
      request.url,
      request.id,
    );
    reply
      .status(404)
      .header('content-type', 'application/problem+json; charset=utf-8')
      .send(JSON.stringify(problem));
  });

  const catalog: RouteCatalog = [];
  const streams = new Set<ServerResponse>();
  const route = declareRoutes(app, catalog, deps.tenants);
  registerIngestRoutes(route, deps);
  registerReadRoutes(route, deps);
  registerStreamRoute(route, deps, streams);
  registerAdminRoutes(route, deps);
  registerOrgRoutes(route, deps);
  registerChatRoutes(app, route, deps, streams);
  registerChatKnowledgeRoutes(route, deps);
  registerCouncilRoutes(route, deps);
  registerScoringRoutes(route, deps);
  registerPrivacyRoutes(route, deps);
  registerSuppressionRoutes(route, deps);
  registerPrivacyRequestRoutes(route, deps);
  registerAnalyticsRoutes(route, deps);
  registerUserRoutes(app, route, deps);
  registerIdentityRoutes(route, deps);
  registerWorkflowAuthoringRoutes(route, deps);
  registerWorkflowRoutes(route, deps);
  registerWorkflowSettingsRoutes(route, deps);
  registerUnsubscribeRoutes(route, deps);
  registerWorkflowHookRoutes(route, deps);
  registerTemplateRoutes(route, deps);
  registerOptimiserRoutes(route, deps);
  registerEngagementRoutes(route, deps);

  let document: Record<string, unknown> | null = null;
  const openApiDocument = () => {
    document ??= buildOpenApiDocument(catalog, { version: deps.version });
    return document;
  };

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const state = deps.lifecycle.state();
    let database = 'ok';
    try {
      await deps.ping();
    } catch {
      database = 'unreachable';
    }
    const ready = state === 'ready' && database === 'ok';
    if (!ready) reply.status(503).header('retry-after', '5');
    return { status: ready ? 'ready' : 'not_ready', state, database };
  });
  registerMetricsRoute(app, metrics, deps.metricsToken);
  app.get('/openapi.json', async () => openApiDocument());
  registerWebRoutes(app, deps.demo ?? null);
  registerConsoleWeb(app);

  await app.register(fastifySwagger, {
    mode: 'static',
    specification: { document: openApiDocument() as never },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });

  return {
    app,
    catalog,
    openApiDocument,
    closeStreams() {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
