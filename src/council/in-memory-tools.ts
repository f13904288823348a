import { stableJson } from './hashing.ts';
import type {
  ConversationSnapshot,
  CouncilTools,
  LeadHistoryItem,
  LeadSnapshot,
  PerformanceMetrics,
  ScoreSnapshot,
  Segment,
  SegmentCounts,
  WorkflowSummary,
} from './tools-port.ts';
import type { ToolName } from './vocabulary.ts';

/** One workspace's data for {@link createInMemoryCouncilTools}. */
export interface InMemoryWorkspace {
  leads?: Record<
    string,
    {
      lead: LeadSnapshot;
      history?: LeadHistoryItem[];
      conversation?: ConversationSnapshot | null;
      score?: ScoreSnapshot | null;
    }
  >;
  /** Statistics per segment; `'*'` answers any segment without an exact entry. */
  segments?: Array<{ segment: Segment | '*'; counts: SegmentCounts }>;
  metrics?: PerformanceMetrics | null;
  workflows?: WorkflowSummary[];
}

/** A call the fake received: which workspace the gateway passed, for scope assertions. */
interface ReceivedCall {
  tool: ToolName;
  workspaceId: string;
  args: unknown;
}

/** The in-memory tools with the log of what they were asked. */
export interface InMemoryCouncilTools extends CouncilTools {
  received(): ReceivedCall[];
}

const EMPTY_COUNTS: SegmentCounts = { windowDays: 90, total: { leads: 0, conversions: 0 }, byChannel: [] };

const EMPTY_METRICS: PerformanceMetrics = {
  windowDays: 30,
  threshold: 70,
  routed: { leads: 0, conversions: 0 },
  nearThreshold: { leads: 0, conversions: 0 },
  organic: { leads: 0, qualified: 0 },
  chat: null,
  email: null,
  paid: null,
};

/**
 * An in-memory implementation of the tools port, for tests and the benchmark. Data is keyed by
 * workspace; a call sees only the workspace of its scope, like the database implementation.
 */
export function createInMemoryCouncilTools(data: Record<string, InMemoryWorkspace>): InMemoryCouncilTools {
  const received: ReceivedCall[] = [];
  const workspace = (id: string): InMemoryWorkspace => data[id] ?? {};
  const note = (tool: ToolName, workspaceId: string, args: unknown) => {
    received.push({ tool, workspaceId, args: structuredClone(args) });
  };
  const lead = (workspaceId: string, leadId: string) => workspace(workspaceId).leads?.[leadId];
  return {
    async getLead(scope, args) {
      note('getLead', scope.workspaceId, args);
      return structuredClone(lead(scope.workspaceId, args.leadId)?.lead ?? null);
    },
    async getLeadHistory(scope, args) {
      note('getLeadHistory', scope.workspaceId, args);
      return structuredClone((lead(scope.workspaceId, args.leadId)?.history ?? []).slice(-args.limit));
    },
    async getConversation(scope, args) {
      note('getConversation', scope.workspaceId, args);
      return structuredClone(lead(scope.workspaceId, args.leadId)?.conversation ?? null);
    },
    async getScore(scope, args) {
      note('getScore', scope.workspaceId, args);
      return structuredClone(lead(scope.workspaceId, args.leadId)?.score ?? null);
    },
    async getSegmentStats(scope, args) {
      note('getSegmentStats', scope.workspaceId, args);
      const segments = workspace(scope.workspaceId).segments ?? [];
      const key = stableJson(args.segment);
      const exact = segments.find((s) => s.segment !== '*' && stableJson(s.segment) === key);
      const any = segments.find((s) => s.segment === '*');
      return structuredClone(exact?.counts ?? any?.counts ?? EMPTY_COUNTS);
    },
    async getPerformanceMetrics(scope, args) {
      note('getPerformanceMetrics', scope.workspaceId, args);
      return structuredClone(
        workspace(scope.workspaceId).metrics ?? { ...EMPTY_METRICS, windowDays: args.windowDays },
      );
    },
    async listWorkflows(scope, args) {
      note('listWorkflows', scope.workspaceId, args);
      return structuredClone(workspace(scope.workspaceId).workflows ?? []);
    },
    received: () => received.map((call) => ({ ...call })),
  };
}
