import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const CONSOLE_DIST = join(import.meta.dirname, '..', '..', '..', 'web', 'dist', 'console');

/**
 * No inline script or style element, nothing from other origins, never framed. React sets styles
 * through the DOM (allowed); the stream and the API are same-origin.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

/**
 * The operator console under /app (built by `npm run build:web`, which `npm install` runs). Assets
 * carry a content hash in their names, so they are cached for a year; the page itself is not
 * cached, so a deploy takes effect on the next load. Every other /app path is the same page
 * (client-side routes), so deep links work.
 */
export function registerConsoleWeb(app: FastifyInstance): void {
  let index: string | null = null;
  const assets = new Map<string, Buffer>();
  try {
    index = readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8');
    for (const name of readdirSync(join(CONSOLE_DIST, 'assets')))
      assets.set(name, readFileSync(join(CONSOLE_DIST, 'assets', name)));
  } catch {
    index = null;
  }

  const page = async (_request: unknown, reply: FastifyReply) => {
    secure(reply).header('cache-control', 'no-cache');
    if (!index) {
      reply.status(503).header('content-type', 'text/plain; charset=utf-8');
      return 'The console is not built: run `npm run build:web`.';
    }
    reply.header('content-type', 'text/html; charset=utf-8');
    return index;
  };
  app.get('/app', page);
  app.get('/app/*', page);
  app.get<{ Params: { name: string } }>('/app/assets/:name', async (request, reply) => {
    const body = assets.get(request.params.name);
    if (!body) {
      reply.status(404).header('content-type', 'text/plain; charset=utf-8');
      return 'not found';
    }
    secure(reply)
      .header('content-type', TYPES[extname(request.params.name)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable');
    return body;
  });
}
