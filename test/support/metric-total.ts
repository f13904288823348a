import type { Clock } from '../../src/core/index.ts';
import { inWorkspace } from '../../src/core/index.ts';
import type { TestRuntime } from './runtime.ts';

const MINUTE = 60_000;

type SeriesQuery = Parameters<TestRuntime['analytics']['series']>[1];

/** A metric's series for a workspace, as the API answers it (segment `all` unless the query names one). */
export function metricSeries(
  runtime: Pick<TestRuntime, 'analytics'>,
  workspaceId: string,
  query: Omit<SeriesQuery, 'segment'> & { segment?: string },
): ReturnType<TestRuntime['analytics']['series']> {
  return inWorkspace(workspaceId, () =>
    runtime.analytics.series({ workspaceId, organisationId: '' }, { segment: 'all', ...query }),
  );
}

/** The sum of a metric's points over the last day, once the rollups have caught up with the stream. */
export async function metricTotalOverDay(
  runtime: TestRuntime,
  clock: Clock,
  workspaceId: string,
  metric: 'model_calls' | 'model_spend' | 'model_tokens',
): Promise<number> {
  await runtime.analytics.catchUp(workspaceId);
  const series = await metricSeries(runtime, workspaceId, {
    metric,
    window: '1h',
    from: clock.now() - 1440 * MINUTE,
    to: clock.now() + MINUTE,
  });
  return series.points.reduce((s, p) => s + (p.value ?? 0), 0);
}
