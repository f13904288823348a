import { inWorkspace } from '../../src/core/index.ts';
import type { NewDomainEvent } from '../../src/events/index.ts';
import type { Runtime } from '../../src/main/runtime.ts';

/** Per source, what one minute brings: arrivals and how many of them qualify. */
export type MinuteTraffic = Record<string, { arrivals: number; qualified: number }>;

/**
 * Appends, for each minute of a stretch, the domain events `eventsOf(minute)` gives, each minute at
 * its own time on the manual clock (one second in), 120 minutes to a transaction. Leaves the clock
 * at the last minute: callers move it on as their reads need.
 */
export async function appendMinutes(
  { runtime, clock }: { runtime: Pick<Runtime, 'store' | 'events'>; clock: { set(ms: number): void } },
  workspaceId: string,
  fromMinute: number,
  minutes: number,
  eventsOf: (minute: number) => NewDomainEvent[],
): Promise<void> {
  for (let start = fromMinute; start < fromMinute + minutes; start += 120) {
    await inWorkspace(workspaceId, () =>
      runtime.store.transaction(async (trx) => {
        for (let minute = start; minute < Math.min(start + 120, fromMinute + minutes); minute++) {
          clock.set(minute * 60_000 + 1_000);
          await runtime.events.append(trx, workspaceId, eventsOf(minute));
        }
      }),
    );
  }
}

/**
 * Appends a stretch of minutes of `lead.created` / `lead.qualified` domain events (the pipeline
 * writes the same events; the rollups read only these), as {@link appendMinutes} does. Leaves the
 * clock at the start of the minute after the last.
 */
export async function feedMinutes(
  runtime: Pick<Runtime, 'store' | 'events'>,
  clock: { set(ms: number): void },
  workspaceId: string,
  fromMinute: number,
  minutes: number,
  traffic: (minute: number) => MinuteTraffic,
): Promise<void> {
  await appendMinutes({ runtime, clock }, workspaceId, fromMinute, minutes, (minute) => {
    const batch: NewDomainEvent[] = [];
    for (const [source, t] of Object.entries(traffic(minute))) {
      for (let i = 0; i < t.arrivals; i++)
        batch.push({ type: 'lead.created', subject: `lead_${minute}_${source}_${i}`, data: { source } });
      for (let i = 0; i < t.qualified; i++)
        batch.push({ type: 'lead.qualified', subject: `lead_${minute}_${source}_${i}`, data: { source } });
    }
    return batch;
  });
  clock.set((fromMinute + minutes) * 60_000);
}

/** A day of 2 web arrivals a minute (half qualify) and 1 from ads (qualifying every other minute). */
export const steadyTraffic = (minute: number): MinuteTraffic => ({
  web: { arrivals: 2, qualified: 1 },
  ads: { arrivals: 1, qualified: minute % 2 },
});
