import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { LeadloopError } from '../core/index.ts';
import type { Metrics } from '../telemetry/index.ts';

/**
 * Drops the `workspace_id` label from a Prometheus text exposition, summing the series it split
 * (only counters carry it). Tenant ids are unbounded label values, and a scrape is readable by
 * whoever operates the monitoring: ids stay out unless asked for.
 */
function withoutWorkspaceIds(text: string): string {
  const sums = new Map<string, number>();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('workspace_id="')) {
      out.push(line);
      continue;
    }
    const match = /^([^{\s]+)\{(.*)\}\s+(\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labels = '', value] = match;
    const kept = labels
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter((label) => !label.startsWith('workspace_id='))
      .join(',');
    const series = `${name}{${kept}}`;
    if (!sums.has(series)) out.push(series);
    sums.set(series, (sums.get(series) ?? 0) + Number(value));
  }
  return out.map((line) => (sums.has(line) ? `${line} ${sums.get(line)}` : line)).join('\n');
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/metrics`, only with a configured token (`Authorization: Bearer <token>`); without one the
 * route answers 404, as if absent. `?workspaces=true` keeps per-workspace series.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: Metrics,
  token: string | undefined,
): void {
  app.get('/metrics', async (request, reply) => {
    if (!token)
      throw new LeadloopError('not_found', 'metrics are not served without LEADLOOP_METRICS_TOKEN', {
        issues: [{ field: 'path', reason: 'set LEADLOOP_METRICS_TOKEN to serve /metrics' }],
      });
    const header = request.headers.authorization ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    if (!sameToken(given, token))
      throw new LeadloopError(
        'unauthenticated',
        'send the metrics token as "Authorization: Bearer <token>"',
        {
          issues: [{ field: 'header.authorization', reason: 'is not the metrics token' }],
        },
      );
    const text = await metrics.registry.metrics();
    const perWorkspace = (request.query as { workspaces?: string }).workspaces === 'true';
    reply.header('content-type', metrics.registry.contentType);
    return perWorkspace ? text : withoutWorkspaceIds(text);
  });
}
