import type { Clock } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import type { Alarm } from './alarm.ts';
import { countJobs, listDeadJobs, replayDeadJobs } from './job-rows.ts';
import type { Queue } from './port.ts';

/**
 * What both adapters answer from the jobs table alone (the table is the record of every job, with
 * or without Redis), and the alarms their work loops sleep on: new work and replays wake them.
 */
export function createTableMethods(db: Db, clock: Clock) {
  const alarms = new Set<Alarm>();
  const wakeAll = () => {
    for (const alarm of alarms) alarm.wake();
  };
  const methods: Pick<Queue, 'notify' | 'depth' | 'listDead' | 'replay'> = {
    notify: wakeAll,
    depth: () => countJobs(db),
    listDead: (query) => listDeadJobs(db, query),
    async replay(query) {
      const replayed = await replayDeadJobs(db, clock.now(), query);
      if (replayed > 0) wakeAll();
      return replayed;
    },
  };
  return { alarms, methods };
}
