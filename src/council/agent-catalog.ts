import { err, type FieldIssue, LeadloopError, ok, type Result, toFieldIssues } from '../core/index.ts';
import { type Agent, agentSchema } from './agent-schema.ts';
import { BUILT_IN_AGENTS } from './builtin-agents.ts';

/**
 * Where the council finds a workspace's agents. The lead implements it over the database
 * (built-ins merged with the workspace's stored overrides by {@link mergeAgents}).
 */
export interface AgentDirectory {
  list(workspaceId: string): Promise<readonly Agent[]>;
}

/**
 * Merges workspace-defined agents into a base list (the built-ins by default). An override whose
 * `id` exists replaces fields of that agent (a patch: `{ id, enabled: false }` switches one off);
 * a new `id` adds an agent, which must then be complete. Every resulting agent is validated; the
 * issues name the override by position (`overrides.2.tools.0`).
 *
 * @example
 * const merged = mergeAgents([{ id: 'strategist-dach', instructions: 'Always answer in German.' }]);
 * if (!merged.ok) throw new LeadloopError('validation_failed', 'bad agents', { issues: merged.error });
 */
export function mergeAgents(
  overrides: readonly unknown[],
  base: readonly Agent[] = BUILT_IN_AGENTS,
): Result<Agent[], FieldIssue[]> {
  const byId = new Map(base.map((agent) => [agent.id, agent] as const));
  const issues: FieldIssue[] = [];
  for (const [index, override] of overrides.entries()) {
    const prefix = `overrides.${index}`;
    if (typeof override !== 'object' || override === null || Array.isArray(override)) {
      issues.push({ field: prefix, reason: 'must be an object' });
      continue;
    }
    const id = (override as { id?: unknown }).id;
    if (typeof id !== 'string') {
      issues.push({ field: `${prefix}.id`, reason: 'is required' });
      continue;
    }
    const existing = byId.get(id);
    const candidate = existing ? { ...existing, ...override } : override;
    const parsed = agentSchema.safeParse(candidate);
    if (!parsed.success) {
      issues.push(...toFieldIssues(parsed.error, prefix));
      continue;
    }
    byId.set(id, parsed.data);
  }
  return issues.length > 0 ? err(issues) : ok([...byId.values()]);
}

/**
 * An in-memory directory: the built-ins, plus per-workspace overrides validated up front (throws on
 * an invalid override, since it is configuration).
 */
export function createStaticAgentDirectory(
  overridesByWorkspace: Record<string, readonly unknown[]> = {},
  base: readonly Agent[] = BUILT_IN_AGENTS,
): AgentDirectory {
  const merged = new Map<string, readonly Agent[]>();
  for (const [workspaceId, overrides] of Object.entries(overridesByWorkspace)) {
    const result = mergeAgents(overrides, base);
    if (!result.ok) {
      const detail = result.error.map((issue) => `${issue.field}: ${issue.reason}`).join('; ');
      throw new LeadloopError(
        'validation_failed',
        `agent overrides of workspace ${workspaceId} are not valid: ${detail}`,
      );
    }
    merged.set(workspaceId, result.value);
  }
  return { list: async (workspaceId) => merged.get(workspaceId) ?? base };
}
