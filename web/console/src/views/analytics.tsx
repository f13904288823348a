import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { Card } from '../components/card.tsx';
import { DataTable } from '../components/data-table.tsx';
import { SelectField } from '../components/fields.tsx';
import { useSession } from '../session.tsx';
import { CalibrationPlot } from './analytics-calibration.tsx';
import { ForecastChart, QualificationOverTime, Rollback } from './analytics-charts.tsx';
import { Funnel, OrgFunnel } from './analytics-funnel.tsx';
import { barsPerName, ChartTable, pct } from './chart-table.tsx';

/** A trained model version as the model card lists it (the API types its metrics loosely). */
interface ModelVersion {
  version: number;
  status: string;
  metrics?: unknown;
}

/** The calibration plot of one version: the champion first, any other on request. */
function Calibration(props: { versions: number[]; initial: number }) {
  const [version, setVersion] = useState(props.initial);
  return (
    <>
      <h3>Calibration</h3>
      <SelectField
        label="Model version"
        labelClassName="inline-label"
        value={version}
        onChange={(e) => setVersion(Number(e.target.value))}
        choices={props.versions.map((v) => ({ value: v, label: `v${v}` }))}
      />
      <CalibrationPlot version={version} />
    </>
  );
}

export default function Analytics() {
  const session = useSession();
  const org = useQuery({
    queryKey: ['org-analytics'],
    queryFn: () => unwrap(api.GET('/v1/org/analytics')),
    enabled: session.organisationRole !== null,
  });
  const models = useQuery({ queryKey: ['models'], queryFn: () => unwrap(api.GET('/v1/models')) });
  const thresholds = useQuery({
    queryKey: ['thresholds'],
    queryFn: () => unwrap(api.GET('/v1/scoring/thresholds')),
  });
  const units = ((
    org.data as { workspaces?: { name: string; leads: number; qualified: number }[] } | undefined
  )?.workspaces ?? []) as {
    name: string;
    leads: number;
    qualified: number;
    qualificationRate: number | null;
  }[];
  return (
    <section aria-labelledby="analytics-title">
      <h1 id="analytics-title">Analytics</h1>
      <p className="small muted">
        Definitions: a lead is <em>qualified</em> when its score reaches the workspace threshold; the
        qualification rate is qualified ÷ leads.
      </p>
      <Card title="Funnel">
        <Funnel />
      </Card>
      <Card title="Arrivals and qualification over time">
        <QualificationOverTime />
      </Card>
      <Card title="Forecast">
        <ForecastChart />
      </Card>
      <Card title="Business units">
        {session.organisationRole === null ? (
          <p className="muted">Needs an organisation role.</p>
        ) : org.isError ? (
          <p>N/A: {org.error.message}</p>
        ) : (
          <>
            <ChartTable
              label="Leads and qualified leads per business unit"
              height={240}
              chart={barsPerName(units, [
                { dataKey: 'leads', name: 'Leads', fill: 'var(--chart-1)' },
                { dataKey: 'qualified', name: 'Qualified', fill: 'var(--chart-2)' },
              ])}
              table={{
                caption: 'The same figures as a table',
                rows: units,
                rowKey: (u) => u.name,
                columns: [
                  { header: 'Unit', cell: (u) => u.name },
                  { header: 'Leads', numeric: true, cell: (u) => u.leads },
                  { header: 'Qualified', numeric: true, cell: (u) => u.qualified },
                  { header: 'Rate', numeric: true, cell: (u) => pct(u.qualificationRate) },
                ],
              }}
            />
            <h3>Funnel per business unit</h3>
            <OrgFunnel />
          </>
        )}
      </Card>
      <Card title="Model card">
        {models.data ? (
          <>
            <p>
              Scoring with <strong>{models.data.scorer}</strong>. {models.data.reason}
            </p>
            <DataTable
              caption={`Versions (champion ${models.data.champion ?? '—'}, challenger ${models.data.challenger ?? '—'})`}
              rows={models.data.items as unknown as ModelVersion[]}
              rowKey={(model) => model.version}
              columns={[
                { header: 'Version', cell: (model) => model.version },
                { header: 'Status', cell: (model) => model.status },
                {
                  header: 'Metrics',
                  cell: (model) => (
                    <code className="small">{JSON.stringify(model.metrics ?? {}).slice(0, 120)}</code>
                  ),
                },
              ]}
            />
            {models.data.items.length === 0 && <p className="muted small">No trained model yet.</p>}
            {models.data.items.length > 0 && (
              <Calibration
                versions={models.data.items.map((m) => m.version)}
                initial={models.data.champion ?? models.data.items[0]?.version ?? 0}
              />
            )}
            <Rollback champion={models.data.champion} />
          </>
        ) : (
          <p className="loading">Loading…</p>
        )}
      </Card>
      <Card title="Per-segment thresholds">
        {thresholds.data && (thresholds.data.items as unknown[]).length === 0 ? (
          <p className="muted">No segment thresholds yet: they appear once a model is trained on outcomes.</p>
        ) : (
          <pre className="small">{JSON.stringify(thresholds.data?.items ?? [], null, 2)}</pre>
        )}
      </Card>
    </section>
  );
}
