import { inWorkspace } from '../../src/core/index.ts';
import type { NewDomainEvent } from '../../src/events/index.ts';
import type { Runtime } from '../../src/main/runtime.ts';

/** Per source, what one minute brings: arrivals and how many of them qualify. */
export type MinuteTraffic = Record<string, { arrivals: number; qualified: number }>;

/**
 * Appends a stretch of minutes of `lead.created` / `lead.qualified` domain events, each at its own
 * minute on the manual clock (the pipeline writes the same events; the rollups read only these).
 * Leaves the clock at the start of the minute after the last.
 */
export async function feedMinutes(
  runtime: Pick<Runtime, 'store' | 'events'>,
  clock: { set(ms: number): void },
  workspaceId: string,
  fromMinute: number,
  minutes: number,
  traffic: (minute: number) => MinuteTraffic,
): Promise<void> {
  for (let start = fromMinute; start < fromMinute + minutes; start += 120) {
    await inWorkspace(workspaceId, () =>
      runtime.store.transaction(async (trx) => {
        for (let minute = start; minute < Math.min(start + 120, fromMinute + minutes); minute++) {
          clock.set(minute * 60_000 + 1_000);
          const batch: NewDomainEvent[] = [];
          for (const [source, t] of Object.entries(traffic(minute))) {
            for (let i = 0; i < t.arrivals; i++)
              batch.push({
                type: 'lead.created',
                subject: `lead_${minute}_${source}_${i}`,
                data: { source },
              });
            for (let i = 0; i < t.qualified; i++)
              batch.push({
                type: 'lead.qualified',
                subject: `lead_${minute}_${source}_${i}`,
                data: { source },
              });
          }
          await runtime.events.append(trx, workspaceId, batch);
        }
      }),
    );
  }
  clock.set((fromMinute + minutes) * 60_000);
}

/** A day of 2 web arrivals a minute (half qualify) and 1 from ads (qualifying every other minute). */
export const steadyTraffic = (minute: number): MinuteTraffic => ({
  web: { arrivals: 2, qualified: 1 },
  ads: { arrivals: 1, qualified: minute % 2 },
});
