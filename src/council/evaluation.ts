import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { InMemoryWorkspace } from './in-memory-tools.ts';
import {
  conversationSnapshotSchema,
  leadHistoryItemSchema,
  leadSnapshotSchema,
  performanceMetricsSchema,
  scoreSnapshotSchema,
  segmentCountsSchema,
  segmentSchema,
  workflowSummarySchema,
} from './tools-port.ts';

/**
 * The labelled question set (test/fixtures/council/questions): each fixture is one workspace's
 * data, a question, and the expected decision class and relevant agents.
 */
const questionFixtureSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  asOf: z.iso.date(),
  question: z.record(z.string(), z.unknown()),
  data: z.object({
    lead: leadSnapshotSchema.nullable(),
    history: z.array(leadHistoryItemSchema),
    conversation: conversationSnapshotSchema.nullable(),
    score: scoreSnapshotSchema.nullable(),
    segmentStats: z.array(
      z.object({ segment: z.union([z.literal('*'), segmentSchema]), counts: segmentCountsSchema }),
    ),
    metrics: performanceMetricsSchema.nullable(),
    workflows: z.array(workflowSummarySchema),
  }),
  expected: z.object({ class: z.string(), relevantAgents: z.array(z.string()).min(1) }),
  tags: z.record(z.string(), z.union([z.string(), z.boolean()])),
});
/** One labelled question. */
export type QuestionFixture = z.infer<typeof questionFixtureSchema>;

/** Reads every `*.json` file of a directory (each an array of fixtures), validated. */
export async function loadQuestionFixtures(directory: string): Promise<QuestionFixture[]> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.json')).sort();
  const fixtures: QuestionFixture[] = [];
  for (const file of files) {
    const items = z
      .array(questionFixtureSchema)
      .parse(JSON.parse(await readFile(join(directory, file), 'utf8')));
    fixtures.push(...items);
  }
  return fixtures;
}

/** The in-memory workspace a fixture describes. */
export function fixtureWorkspace(fixture: QuestionFixture): InMemoryWorkspace {
  const { data } = fixture;
  return {
    leads: data.lead
      ? {
          [data.lead.id]: {
            lead: data.lead,
            history: data.history,
            conversation: data.conversation,
            score: data.score,
          },
        }
      : {},
    segments: data.segmentStats,
    metrics: data.metrics,
    workflows: data.workflows,
  };
}

/** Precision and recall of the agents consulted against the labelled relevant ones. */
export function routingScores(
  consulted: readonly string[],
  relevant: readonly string[],
): {
  precision: number;
  recall: number;
} {
  const chosen = new Set(consulted);
  const wanted = new Set(relevant);
  const hits = [...chosen].filter((id) => wanted.has(id)).length;
  return {
    precision: chosen.size === 0 ? 0 : hits / chosen.size,
    recall: wanted.size === 0 ? 1 : hits / wanted.size,
  };
}
