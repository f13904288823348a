import { createIdGenerator, createManualClock } from '../../core/index.ts';
import { queueConformance } from '../queue-conformance.ts';
import { testDatabases } from '../queue-test-support.ts';
import { createEmbeddedQueue } from './embedded-queue.ts';

for (const database of testDatabases(process.env.TEST_DATABASE_URL)) {
  queueConformance(`embedded (${database.label})`, async () => {
    const { store, queueStore, dispose } = await database.open();
    const clock = createManualClock(Date.UTC(2026, 10, 28));
    const queue = createEmbeddedQueue({
      store: queueStore,
      clock,
      ids: createIdGenerator(),
      idlePollMs: 5,
      random: () => 0.5,
    });
    return { store, queue, clock, workspaceId: 'ws_1', otherWorkspaceId: 'ws_2', close: dispose };
  });
}
