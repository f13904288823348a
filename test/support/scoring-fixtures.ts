import type { FastifyInstance } from 'fastify';
import { inWorkspace } from '../../src/core/index.ts';
import { createSeededRandom } from '../../src/scoring/ml/index.ts';
import type { Store } from '../../src/store/index.ts';
import { call } from './http.ts';
import { eventually } from './runtime.ts';

/** A rule set with one rule, 40 points for the fintech industry, qualifying at 30. */
export const FINTECH_RULES = {
  threshold: 30,
  rules: [
    {
      id: 'fintech',
      description: 'Fintech industry',
      when: { field: 'attributes.industry', op: 'eq' as const, value: 'fintech' },
      points: 40,
    },
  ],
};

/** A synthetic lead and the outcome a hidden attribute decides for it. */
export interface SyntheticLead {
  body: Record<string, unknown>;
  converted: boolean;
  /** The attribute the point rules know nothing about. */
  enterprise: boolean;
}

const TITLES = [
  'CEO',
  'Sales Manager',
  'Software Engineer',
  'Director of IT',
  'Intern',
  'Marketing Lead',
  null,
];
const SOURCES = ['webinar', 'ads', 'referral'];

/**
 * Leads whose conversion depends on a hidden attribute (`attributes.plan_interest` =
 * enterprise: 60% convert, otherwise 5%), while everything the point rules look at (title,
 * source, company) is drawn independently of it: the rules can only guess.
 */
export function syntheticLeads(
  count: number,
  options: { seed: number; offset?: number; prefix?: string },
): SyntheticLead[] {
  const random = createSeededRandom(options.seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const offset = options.offset ?? 0;
  const prefix = options.prefix ?? 'lead';
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const enterprise = random() < 0.3;
    const title = pick(TITLES);
    const body: Record<string, unknown> = {
      email: `${prefix}${i}@firm${i % 40}.example.com`,
      company: `Firm ${i % 40}`,
      source: pick(SOURCES),
      attributes: { plan_interest: enterprise ? 'enterprise' : pick(['starter', 'no-plan']) },
      ...(title ? { title } : {}),
    };
    return { body, converted: random() < (enterprise ? 0.6 : 0.05), enterprise };
  });
}

/** Submits leads through the API and waits until the pipeline processed each; returns their ids. */
export async function submitLeads(
  app: FastifyInstance,
  store: Store,
  key: string,
  workspaceId: string,
  leads: readonly SyntheticLead[],
): Promise<string[]> {
  const eventIds: string[] = [];
  for (const lead of leads) {
    const accepted = await call(app, 'POST', '/v1/leads', { key, body: lead.body });
    if (accepted.status !== 202) throw new Error(`lead not accepted: ${JSON.stringify(accepted.body)}`);
    eventIds.push(accepted.body.eventId as string);
  }
  const byEvent = new Map<string, string>();
  await eventually(async () => {
    for (let i = 0; i < eventIds.length; i += 500) {
      const rows = await inWorkspace(workspaceId, () =>
        store.db
          .selectFrom('events')
          .select(['id', 'status', 'lead_id', 'error'])
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', eventIds.slice(i, i + 500))
          .execute(),
      );
      for (const row of rows) {
        if (row.status === 'failed') throw new Error(`event ${row.id} failed: ${row.error}`);
        if (row.status === 'processed' && row.lead_id) byEvent.set(row.id, row.lead_id);
      }
    }
    return byEvent.size === eventIds.length ? true : undefined;
  }, 120_000); // a loaded machine on PostgreSQL + Redis needs the margin; the tests assert what is stored, not speed
  return eventIds.map((id) => byEvent.get(id) as string);
}

/** Reports each lead's outcome through `POST /v1/leads/{id}/outcome`. */
export async function reportOutcomes(
  app: FastifyInstance,
  key: string,
  leadIds: readonly string[],
  leads: readonly SyntheticLead[],
): Promise<void> {
  for (let i = 0; i < leadIds.length; i++) {
    const response = await call(app, 'POST', `/v1/leads/${leadIds[i]}/outcome`, {
      key,
      body: { converted: leads[i]?.converted ?? false },
    });
    if (response.status !== 200) throw new Error(`outcome refused: ${JSON.stringify(response.body)}`);
  }
}
