import type { Agent } from './agent-schema.ts';
import {
  type Basis,
  DOMAINS,
  type Domain,
  type Factor,
  INDUSTRIES,
  type Industry,
  type QuestionType,
  REGIONS,
  type Region,
} from './vocabulary.ts';

/**
 * Which rule families an agent holds. Everyone knows the general rules; an industry specialist
 * adds its industry's, a regional one its region's (commercial and legal), an optimizer the
 * statistics, a domain optimizer its channel's.
 */
export interface Knowledge {
  role: Agent['role'];
  industry: Industry | null;
  region: Region | null;
  domain: Domain | null;
  metrics: boolean;
}

/** The specialties present at the table (enabled agents of the workspace), told to every member. */
export interface Available {
  industries: string[];
  regions: string[];
  domains: string[];
  optimizers: boolean;
}

const isIndustry = (value: string): value is Industry => (INDUSTRIES as readonly string[]).includes(value);
const isRegion = (value: string): value is Region => (REGIONS as readonly string[]).includes(value);
const isDomain = (value: string): value is Domain => (DOMAINS as readonly string[]).includes(value);

/** The rule families of an agent (a workspace specialty the rules do not know adds none). */
export function knowledgeOf(agent: Pick<Agent, 'role' | 'specialty'>): Knowledge {
  const { kind, value } = agent.specialty;
  return {
    role: agent.role,
    industry: kind === 'industry' && isIndustry(value) ? value : null,
    region: kind === 'region' && isRegion(value) ? value : null,
    domain: kind === 'domain' && isDomain(value) ? value : null,
    metrics: agent.role === 'optimizer',
  };
}

/** The specialties of a set of agents. */
export function availableOf(agents: readonly Pick<Agent, 'role' | 'specialty' | 'enabled'>[]): Available {
  const enabled = agents.filter((agent) => agent.enabled);
  const values = (kind: Agent['specialty']['kind']) =>
    [...new Set(enabled.filter((a) => a.specialty.kind === kind).map((a) => a.specialty.value))].sort();
  return {
    industries: values('industry'),
    regions: values('region'),
    domains: values('domain'),
    optimizers: enabled.some((agent) => agent.role === 'optimizer'),
  };
}

/**
 * How much a claim's basis weighs, per question type. A consent rule outranks everything but a
 * disqualification or an explicit request for a person; for segment plans, strong data outranks
 * industry habits.
 */
export const PRECEDENCE: Record<QuestionType, Record<Basis, number>> = {
  'lead.next_action': {
    disqualify: 100,
    handoff: 90,
    legal: 80,
    industry: 60,
    region: 50,
    metrics: 40,
    general: 30,
  },
  'lead.research': {
    disqualify: 0,
    handoff: 0,
    legal: 0,
    industry: 60,
    region: 0,
    metrics: 40,
    general: 30,
  },
  'segment.strategy': {
    disqualify: 0,
    handoff: 0,
    legal: 80,
    metrics: 70,
    industry: 60,
    region: 50,
    general: 30,
  },
  'performance.review': {
    disqualify: 0,
    handoff: 0,
    legal: 0,
    industry: 0,
    region: 0,
    metrics: 40,
    general: 30,
  },
};

/** The factor an agent's specialty covers, for the router's cascade. */
export function factorOf(agent: Pick<Agent, 'role' | 'specialty'>): Factor | null {
  switch (agent.specialty.kind) {
    case 'industry':
      return 'industry';
    case 'region':
      return 'region';
    case 'domain':
      return agent.specialty.value === 'chat_conversion'
        ? 'chat'
        : agent.specialty.value === 'outbound_email'
          ? 'email'
          : agent.specialty.value === 'paid_acquisition'
            ? 'paid'
            : 'metrics';
    case 'general':
      return agent.role === 'optimizer' ? 'metrics' : null;
    default:
      return null;
  }
}
