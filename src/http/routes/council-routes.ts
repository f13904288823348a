import { z } from 'zod';
import { questionSchema, type RouterStats } from '../../council/index.ts';
import type { HttpDeps } from '../deps.ts';
import { actorOf, type DeclareRoute, workspaceOf } from '../route.ts';
import { idParam } from '../schemas.ts';

const decisionId = idParam('dec');
const agentId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, "-" or "_" (at most 64)');

const agentResponse = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['researcher', 'strategist', 'optimizer']),
  specialty: z.object({ kind: z.string(), value: z.string() }),
  description: z.string(),
  instructions: z.string(),
  tools: z.array(z.string()),
  inputs: z.array(z.string()),
  appliesWhen: z.array(z.record(z.string(), z.unknown())),
  task: z.string().optional(),
  enabled: z.boolean(),
});

const overrideResponse = z.object({
  decisionId: z.string(),
  subject: z.string(),
  by: z.string(),
  reason: z.string(),
  at: z.string(),
  previous: z.object({ decisionClass: z.string(), outputHash: z.string() }),
  output: z.unknown(),
  decisionClass: z.string(),
  basis: z.string(),
});

const decisionResponse = z.object({
  id: z.string(),
  workspaceId: z.string(),
  question: z.record(z.string(), z.unknown()),
  leadId: z.string().nullable(),
  trigger: z.enum(['api', 'pipeline']),
  requestedBy: z.string(),
  agents: z.array(z.object({ id: z.string(), role: z.string(), why: z.string(), stage: z.string() })),
  output: z.unknown().describe("The council's answer, shaped by the question type."),
  decisionClass: z.string(),
  explanation: z.string().describe('Plain language, no personal data.'),
  confidence: z.number(),
  dissent: z.array(z.object({ agentId: z.string(), decisionClass: z.string(), reason: z.string() })),
  votes: z.array(z.record(z.string(), z.unknown())),
  runs: z.array(z.record(z.string(), z.unknown())).describe('Each model call: agent, prompt hash, proposal.'),
  cost: z.object({ calls: z.number().int(), tokens: z.number() }),
  model: z.object({
    provider: z.string(),
    model: z.string(),
    fallback: z.object({ from: z.string(), reason: z.string(), message: z.string() }).nullable(),
    fallbackCalls: z.number().int(),
  }),
  promptHashes: z.array(z.string()),
  toolCalls: z.array(z.record(z.string(), z.unknown())).describe('Every tool call, with result hashes.'),
  routing: z.record(z.string(), z.unknown()),
  cache: z.object({ hit: z.boolean(), key: z.string(), sourceDecisionId: z.string().nullable() }),
  safety: z.object({ findings: z.array(z.record(z.string(), z.unknown())), replaced: z.array(z.string()) }),
  createdAt: z.string(),
  inForce: z.object({
    source: z.enum(['council', 'edit', 'override']),
    decisionClass: z.string(),
    output: z.unknown(),
  }),
  review: z.object({
    status: z.enum(['proposed', 'accepted', 'rejected', 'edited', 'overridden']),
    feedback: z.record(z.string(), z.unknown()).nullable(),
    overrides: z.array(overrideResponse),
    humanReview: z.string(),
    summary: z.string(),
  }),
});

const countsResponse = z.object({
  key: z.string(),
  questionType: z.string(),
  agents: z.array(z.string()),
  alpha: z.number(),
  beta: z.number(),
  mean: z.number(),
  observations: z.number(),
});

function statsJson(stats: RouterStats) {
  const rows = (entries: Record<string, { alpha: number; beta: number }>) =>
    Object.entries(entries)
      .map(([key, { alpha, beta }]) => {
        const [questionType = '', agents = ''] = key.split('|');
        return {
          key,
          questionType,
          agents: agents.split('+').filter(Boolean),
          alpha,
          beta,
          mean: Math.round(((alpha + 1) / (alpha + beta + 2)) * 1000) / 1000,
          observations: alpha + beta,
        };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  return { items: rows(stats.combos), agents: rows(stats.agents) };
}

/** The AI council: agents, questions, decisions with feedback and human override. */
export function registerCouncilRoutes(route: DeclareRoute, deps: HttpDeps): void {
  const { council } = deps;

  route({
    method: 'GET',
    url: '/v1/council/agents',
    operationId: 'listCouncilAgents',
    summary: "The workspace's council agents: built-in pools merged with its own overrides and additions",
    tag: 'Council',
    auth: 'read',
    responses: { 200: { description: 'The agents', schema: z.object({ items: z.array(agentResponse) }) } },
    async handler({ principal }) {
      return { items: await council.listAgents(workspaceOf(principal)) };
    },
  });

  route({
    method: 'PUT',
    url: '/v1/council/agents/:id',
    operationId: 'putCouncilAgent',
    summary: 'Add an agent, or override fields of a built-in one (audited)',
    description:
      'For a built-in id the body is a patch (`{ "enabled": false }` switches the agent off; `{ "instructions": "..." }` replaces its prompt). A new id needs a complete agent: name, role, specialty, description, instructions, tools, inputs, appliesWhen. Storing again replaces the workspace’s earlier body for that id. Errors name the field (`body.tools.0`).',
    tag: 'Council',
    auth: 'admin',
    params: z.object({ id: agentId }),
    body: z
      .record(z.string(), z.unknown())
      .describe('An agent (see GET /v1/council/agents), or a patch of a built-in one.'),
    responses: {
      200: {
        description: 'The agent as the council now uses it',
        schema: z.object({ agent: agentResponse, created: z.boolean() }),
      },
    },
    async handler({ principal, params, body }) {
      return council.putAgent(workspaceOf(principal), params.id, body, actorOf(principal));
    },
  });

  route({
    method: 'POST',
    url: '/v1/council/questions',
    operationId: 'askCouncil',
    summary: 'Ask the council a question and get its stored, audited decision',
    description:
      'Types: `lead.next_action` and `lead.research` (`leadId`), `segment.strategy` (`segment`), `performance.review` (`windowDays`). The router consults only the agents the question needs; the decision is stored and audited before it is returned. Needs an `advise` or `admin` key: each question spends model calls. The per-workspace council budget (calls and tokens per day) bounds the cost, answering 429 with Retry-After when API questions have used their part; a share of it is reserved for the pipeline’s own decisions.',
    tag: 'Council',
    auth: 'advise',
    body: questionSchema,
    responses: {
      200: { description: 'The decision', schema: decisionResponse },
      404: { description: 'No such lead in this workspace' },
      429: { description: "The workspace's council budget is used up" },
    },
    async handler({ principal, body }) {
      return council.ask(workspaceOf(principal), body, { actor: actorOf(principal) });
    },
  });

  route({
    method: 'GET',
    url: '/v1/council/decisions',
    operationId: 'listCouncilDecisions',
    summary: "The workspace's council decisions, newest first; `leadId` narrows to one lead",
    tag: 'Council',
    auth: 'read',
    query: z.object({
      leadId: z.string().max(100).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    responses: { 200: { description: 'Decisions', schema: z.object({ items: z.array(decisionResponse) }) } },
    async handler({ principal, query }) {
      return { items: await council.decisions(workspaceOf(principal), query) };
    },
  });

  route({
    method: 'GET',
    url: '/v1/council/decisions/:id',
    operationId: 'getCouncilDecision',
    summary: 'A decision: explanation, agents and why, model, prompt hashes, tool calls, cost and review',
    tag: 'Council',
    auth: 'read',
    params: z.object({ id: decisionId }),
    responses: { 200: { description: 'The decision', schema: decisionResponse } },
    async handler({ principal, params }) {
      return council.decision(workspaceOf(principal), params.id);
    },
  });

  route({
    method: 'POST',
    url: '/v1/council/decisions/:id/feedback',
    operationId: 'giveCouncilFeedback',
    summary: 'Accept, reject or edit a decision; the router learns which agent combinations pay off',
    description:
      'Once per decision (409 afterwards). `edit` needs `output`, validated against the question type. Audited; the answer shows what the router now believes about the combination consulted.',
    tag: 'Council',
    auth: 'operate',
    params: z.object({ id: decisionId }),
    body: z
      .object({
        verdict: z.enum(['accept', 'reject', 'edit']),
        output: z.unknown().optional(),
        comment: z.string().max(1000).optional(),
      })
      .strict(),
    responses: {
      200: {
        description: 'The reviewed decision and the router’s updated belief',
        schema: z.object({
          decision: decisionResponse,
          router: z.object({ combination: z.string(), mean: z.number(), observations: z.number() }),
        }),
      },
    },
    async handler({ principal, params, body }) {
      return council.feedback(workspaceOf(principal), params.id, body, actorOf(principal));
    },
  });

  route({
    method: 'POST',
    url: '/v1/council/decisions/:id/override',
    operationId: 'overrideCouncilDecision',
    summary: 'A person replaces a decision about a lead (GDPR Art. 22(3) human intervention)',
    description:
      'Needs a reason and the new answer (validated against the question type). The override is stored on the decision, is what `inForce` shows from then on, and lands in the audit trail with both classes and output hashes. Decisions not about a lead answer 409.',
    tag: 'Council',
    auth: 'operate',
    params: z.object({ id: decisionId }),
    body: z.object({ reason: z.string().max(1000), output: z.unknown() }).strict(),
    responses: { 200: { description: 'The decision with the override', schema: decisionResponse } },
    async handler({ principal, params, body }) {
      return council.override(workspaceOf(principal), params.id, body, actorOf(principal));
    },
  });

  route({
    method: 'GET',
    url: '/v1/council/router/stats',
    operationId: 'getCouncilRouterStats',
    summary: 'What the router learned in this workspace from feedback: per agent combination and per agent',
    tag: 'Council',
    auth: 'read',
    responses: {
      200: {
        description: 'Beta counts with posterior means (prior Beta(1, 1))',
        schema: z.object({ items: z.array(countsResponse), agents: z.array(countsResponse) }),
      },
    },
    async handler({ principal }) {
      return statsJson(await council.routerStats(workspaceOf(principal)));
    },
  });
}
