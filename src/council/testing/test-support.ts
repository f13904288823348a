import { createManualClock } from '../../core/index.ts';
import {
  createModelClient,
  createSkillRegistry,
  type ModelClient,
  type SkillRegistry,
} from '../../models/index.ts';
import type { AgentDirectory } from '../agent-catalog.ts';
import type { CouncilBudget } from '../budget.ts';
import type { DecisionCache } from '../cache.ts';
import { type Council, createCouncil } from '../council.ts';
import {
  createInMemoryCouncilTools,
  type InMemoryCouncilTools,
  type InMemoryWorkspace,
} from '../in-memory-tools.ts';
import { registerCouncilSkills } from '../skills.ts';
import type { ConversationSnapshot, LeadSnapshot, PerformanceMetrics, ScoreSnapshot } from '../tools-port.ts';

/** Test data builders and a council wired to the offline model (tests only). */

export const AS_OF = '2026-11-28';
export const NOW = Date.parse(`${AS_OF}T12:00:00Z`);

export function lead(overrides: Partial<LeadSnapshot> = {}): LeadSnapshot {
  return {
    id: 'lead_1',
    workspaceId: 'ws_a',
    contactName: 'Anna',
    company: 'Nordwind GmbH',
    companyDomain: 'nordwind.example',
    title: 'Head of Sales',
    country: 'DE',
    source: 'chat',
    industry: 'SaaS',
    employees: 250,
    consentPurposes: ['marketing', 'sales_contact'],
    attributes: {},
    status: 'qualified',
    createdAt: '2026-11-01T09:00:00.000Z',
    ...overrides,
  };
}

export function conversation(overrides: Partial<ConversationSnapshot> = {}): ConversationSnapshot {
  return {
    sessionId: 'ses_1',
    playbookId: 'bant',
    language: 'en',
    outcome: 'qualified',
    handoffRequested: false,
    slots: {
      need: 'We need faster lead routing',
      authority: 'vp',
      timeline: { byDate: '2027-01-15' },
      budget: { min: 40_000, max: 40_000, currency: 'EUR' },
    },
    transcript: [
      { role: 'bot', text: 'What brings you here?' },
      { role: 'visitor', text: 'We need faster lead routing' },
    ],
    endedAt: '2026-11-27T10:00:00.000Z',
    ...overrides,
  };
}

export function score(overrides: Partial<ScoreSnapshot> = {}): ScoreSnapshot {
  return {
    score: 82,
    band: null,
    threshold: 70,
    model: 'rules',
    factors: [{ label: 'business email', points: 10 }],
    ...overrides,
  };
}

export function metrics(overrides: Partial<PerformanceMetrics> = {}): PerformanceMetrics {
  return {
    windowDays: 30,
    threshold: 70,
    routed: { leads: 200, conversions: 50 },
    nearThreshold: { leads: 100, conversions: 12 },
    organic: { leads: 400, qualified: 100 },
    chat: null,
    email: null,
    paid: null,
    ...overrides,
  };
}

/** A workspace holding one lead with a conversation and a score. */
export function leadWorkspace(
  options: {
    lead?: Partial<LeadSnapshot>;
    conversation?: Partial<ConversationSnapshot> | null;
    score?: Partial<ScoreSnapshot> | null;
    segmentConversion?: { leads: number; conversions: number };
  } = {},
): InMemoryWorkspace {
  const snapshot = lead(options.lead);
  return {
    leads: {
      [snapshot.id]: {
        lead: snapshot,
        history: [
          { at: '2026-11-01T09:00:00.000Z', action: 'created', fields: ['email', 'company'] },
          { at: '2026-11-20T09:00:00.000Z', action: 'updated', fields: ['title'] },
        ],
        conversation: options.conversation === null ? null : conversation(options.conversation ?? {}),
        score: options.score === null ? null : score(options.score ?? {}),
      },
    },
    segments: [
      {
        segment: '*',
        counts: {
          windowDays: 90,
          total: options.segmentConversion ?? { leads: 300, conversions: 90 },
          byChannel: [],
        },
      },
    ],
  };
}

export interface TestCouncil {
  council: Council;
  tools: InMemoryCouncilTools;
  models: ModelClient;
  skills: SkillRegistry;
  clock: ReturnType<typeof createManualClock>;
}

/** A council on the offline model over in-memory tools. */
export function testCouncil(
  workspaces: Record<string, InMemoryWorkspace>,
  options: {
    budget?: CouncilBudget;
    cache?: DecisionCache;
    agents?: AgentDirectory;
    models?: ModelClient;
    skills?: SkillRegistry;
  } = {},
): TestCouncil {
  const skills = options.skills ?? createSkillRegistry();
  if (!options.skills) registerCouncilSkills(skills);
  const models = options.models ?? createModelClient({ skills });
  const tools = createInMemoryCouncilTools(workspaces);
  const clock = createManualClock(NOW);
  let n = 0;
  const council = createCouncil({
    models,
    tools,
    clock,
    ids: () => `dec_${++n}`,
    timer: () => 0,
    ...(options.budget ? { budget: options.budget } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.agents ? { agents: options.agents } : {}),
  });
  return { council, tools, models, skills, clock };
}
