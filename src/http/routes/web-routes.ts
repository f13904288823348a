import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const WEB_ROOT = join(import.meta.dirname, '..', '..', '..', 'web');

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The chat widget (`/widget.js`, built by `npm run build:web`, which `npm install` runs) and the
 * demo page (`/demo`) with the demo workspace's id and publishable widget key filled in.
 */
export function registerWebRoutes(
  app: FastifyInstance,
  demo: { workspaceId: string; widgetKey: string } | null,
): void {
  const widget = readOptional(join(WEB_ROOT, 'dist', 'widget.js'));
  const demoPage = readOptional(join(WEB_ROOT, 'demo', 'index.html'));

  app.get('/widget.js', async (_request, reply) => {
    if (!widget) {
      reply.status(404).header('content-type', 'text/plain; charset=utf-8');
      return 'widget.js is not built: run `npm run build:web`';
    }
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('access-control-allow-origin', '*');
    return widget;
  });

  app.get('/demo', async (_request, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8');
    if (!demoPage || !demo) {
      reply.status(404);
      return '<!doctype html><title>Leadloop demo</title><p>The demo page needs the demo workspace (created on the first start with embedded storage) and a built widget (<code>npm run build:web</code>).</p>';
    }
    return demoPage
      .replaceAll('__WORKSPACE_ID__', demo.workspaceId)
      .replaceAll('__WIDGET_KEY__', demo.widgetKey);
  });
}
