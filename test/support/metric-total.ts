import type { Clock } from '../../src/core/index.ts';
import { inWorkspace } from '../../src/core/index.ts';
import type { TestRuntime } from './runtime.ts';

const MINUTE = 60_000;

/** The sum of a metric's points over the last day, once the rollups have caught up with the stream. */
export async function metricTotalOverDay(
  runtime: TestRuntime,
  clock: Clock,
  workspaceId: string,
  metric: 'model_calls' | 'model_spend' | 'model_tokens',
): Promise<number> {
  await runtime.analytics.catchUp(workspaceId);
  const series = await inWorkspace(workspaceId, () =>
    runtime.analytics.series(
      { workspaceId, organisationId: '' },
      {
        metric,
        segment: 'all',
        window: '1h',
        from: clock.now() - 1440 * MINUTE,
        to: clock.now() + MINUTE,
      },
    ),
  );
  return series.points.reduce((s, p) => s + (p.value ?? 0), 0);
}
