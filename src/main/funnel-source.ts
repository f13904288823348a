import { sql } from 'kysely';
import type { FunnelCounts, FunnelSource } from '../analytics/index.ts';
import type { Store } from '../store/index.ts';

/**
 * The funnel over three capabilities' tables: a lead arrived when it was created, engaged when it
 * chatted or came back with a second submission (`lead.merged`), qualified by its status, converted
 * by a recorded outcome. Each stage includes the later ones, so the funnel never widens.
 */
export function createFunnelSource(store: Store): FunnelSource {
  return {
    async count(workspaceIds, from, to) {
      const result = new Map<string, FunnelCounts>();
      if (workspaceIds.length === 0) return result;
      const { rows } = await sql<{
        workspace_id: string;
        arrived: number | string;
        engaged: number | string;
        qualified: number | string;
        converted: number | string;
      }>`select workspace_id, count(*) as arrived,
          sum(case when converted = 1 or qualified = 1 or engaged = 1 then 1 else 0 end) as engaged,
          sum(case when converted = 1 or qualified = 1 then 1 else 0 end) as qualified,
          sum(converted) as converted
        from (
          select l.workspace_id,
            case when l.status = 'qualified' then 1 else 0 end as qualified,
            case when exists (select 1 from lead_outcomes o
                where o.workspace_id = l.workspace_id and o.lead_id = l.id and o.converted = 1)
              then 1 else 0 end as converted,
            case when exists (select 1 from chat_sessions c
                where c.workspace_id = l.workspace_id and c.lead_id = l.id)
              or exists (select 1 from lead_history h
                where h.workspace_id = l.workspace_id and h.lead_id = l.id and h.action = 'lead.merged')
              then 1 else 0 end as engaged
          from leads l
          where l.workspace_id in (${sql.join([...workspaceIds])})
            and l.created_at >= ${from} and l.created_at < ${to}
        ) f
        group by workspace_id`.execute(store.db);
      for (const row of rows)
        result.set(row.workspace_id, {
          arrived: Number(row.arrived),
          engaged: Number(row.engaged ?? 0),
          qualified: Number(row.qualified ?? 0),
          converted: Number(row.converted ?? 0),
        });
      return result;
    },
  };
}
