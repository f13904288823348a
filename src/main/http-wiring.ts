import { createFunnelService } from '../analytics/index.ts';
import { inWorkspace, type SecretBox } from '../core/index.ts';
import type { HttpApp } from '../http/index.ts';
import { createIdentityClaims } from '../leads/index.ts';
import { CALENDLY_CREDENTIAL } from './calendly-inbound.ts';
import { createEngagements } from './engagements.ts';
import { createFunnelSource } from './funnel-source.ts';
import type { Runtime } from './runtime-types.ts';

const VERSION = '0.1.0';

/** The HTTP app over a runtime's services: routes translate, the services decide. */
export async function createRuntimeHttp(
  runtime: Omit<Runtime, 'createHttp'>,
  extra: { secretBox: SecretBox; ssePollMs?: number | undefined },
  options?: { demo?: { workspaceId: string; widgetKey: string } | null },
): Promise<HttpApp> {
  const { store, clock, audit, config } = runtime;
  // Loaded here, not at the top: the worker thread builds a runtime too and never serves HTTP
  // (Fastify, its plugins and the route schemas are tens of MiB of heap per thread).
  const { createHttpApp, createMemoryRateLimiter } = await import('../http/index.ts');
  return createHttpApp({
    demo: options?.demo ?? null,
    ping: () => store.ping(),
    tenants: runtime.tenants,
    users: runtime.users,
    leads: runtime.leads,
    ingest: runtime.ingest,
    audit,
    events: runtime.events,
    rules: runtime.rules,
    predictive: runtime.predictive,
    chat: runtime.chat,
    chatKnowledge: runtime.chatKnowledge,
    council: runtime.council,
    privacy: runtime.privacy,
    analytics: runtime.analytics,
    funnel: createFunnelService({ source: createFunnelSource(store), clock }),
    claims: createIdentityClaims({ store, audit, clock }),
    queue: runtime.queue,
    metrics: runtime.metrics,
    clock,
    logger: runtime.logger,
    rateLimiter: createMemoryRateLimiter(clock),
    secretBox: extra.secretBox,
    metricsToken: config.LEADLOOP_METRICS_TOKEN,
    lifecycle: runtime.lifecycle,
    version: VERSION,
    ssePollMs: extra.ssePollMs,
    workflows: runtime.workflows,
    optimiser: runtime.optimiser,
    engagements: createEngagements({
      store,
      events: runtime.events,
      clock,
      calendlyKey: (workspaceId) =>
        inWorkspace(workspaceId, async () => {
          const { workflows } = runtime;
          const key = await workflows.read((db) =>
            workflows.credentials.reveal(db, { workspaceId }, CALENDLY_CREDENTIAL, 'webhook_secret'),
          );
          return key?.secret ?? null;
        }),
    }),
  });
}
