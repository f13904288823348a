import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, problemDetail, unwrap } from '../api.ts';
import { LoadError } from '../components/alerts.tsx';
import { DataTable } from '../components/data-table.tsx';
import { SelectField } from '../components/fields.tsx';
import { useCan } from '../session.tsx';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
const took = (start: string, end: string | null) =>
  end ? `${Math.max(0, Date.parse(end) - Date.parse(start))} ms` : 'running';

/** One run, step by step: what each step did, how long it took, how often it was tried. */
function RunSteps(props: { runId: string }) {
  const run = useQuery({
    queryKey: ['workflow-run', props.runId],
    queryFn: () => unwrap(api.GET('/v1/workflow-runs/{runId}', { params: { path: { runId: props.runId } } })),
  });
  if (!run.data) return <p className="loading">Loading run…</p>;
  return (
    <DataTable
      scroll
      caption={
        <>
          Run {run.data.id} · {run.data.status}
          {run.data.error ? ` · ${run.data.error}` : ''}
        </>
      }
      rows={run.data.steps}
      rowKey={(step) => step.stepKey}
      columns={[
        { header: 'Step', cell: (step) => step.stepId },
        { header: 'Type', cell: (step) => step.type },
        { header: 'Status', cell: (step) => step.status },
        { header: 'Attempts', numeric: true, cell: (step) => step.attempts },
        { header: 'Time', cell: (step) => took(step.startedAt, step.finishedAt) },
        {
          header: 'Output or error',
          cell: (step) => (
            <code className="small">{step.error ?? JSON.stringify(step.output ?? null).slice(0, 160)}</code>
          ),
        },
      ]}
    />
  );
}

function WorkflowDetail(props: { id: string }) {
  const can = useCan();
  const client = useQueryClient();
  const [version, setVersion] = useState<number | undefined>(undefined);
  const [runId, setRunId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const detail = useQuery({
    queryKey: ['workflow', props.id, version],
    queryFn: () =>
      unwrap(
        api.GET('/v1/workflows/{id}', {
          params: { path: { id: props.id }, query: version ? { version } : {} },
        }),
      ),
  });
  const runs = useQuery({
    queryKey: ['workflow-runs', props.id],
    queryFn: () =>
      unwrap(
        api.GET('/v1/workflows/{id}/runs', { params: { path: { id: props.id }, query: { limit: 20 } } }),
      ),
  });
  const toggle = useMutation({
    mutationFn: (activate: boolean) =>
      activate
        ? unwrap(
            api.POST('/v1/workflows/{id}/activate', {
              params: { path: { id: props.id } },
              body: detail.data ? { version: detail.data.version } : {},
            }),
          )
        : unwrap(api.POST('/v1/workflows/{id}/deactivate', { params: { path: { id: props.id } } })),
    onSuccess: () => {
      setError(null);
      void client.invalidateQueries({ queryKey: ['workflows'] });
      void client.invalidateQueries({ queryKey: ['workflow', props.id] });
    },
    onError: (e) => setError(problemDetail(e)),
  });
  const w = detail.data;
  if (!w) return <p className="loading">Loading…</p>;
  return (
    <div className="card">
      <h2>{w.name}</h2>
      <p>
        {w.status === 'active' ? `Active (version ${w.activeVersion})` : 'Inactive'} · triggers{' '}
        {w.triggers.join(', ') || '—'}
      </p>
      <SelectField
        label="Version"
        value={w.version}
        onChange={(e) => setVersion(Number(e.target.value))}
        choices={Array.from({ length: w.latestVersion }, (_, i) => w.latestVersion - i).map((v) => ({
          value: v,
          label: `${v}${v === w.activeVersion ? ' (active)' : ''}`,
        }))}
      />
      {can.administer && (
        <div className="actions">
          <button type="button" onClick={() => toggle.mutate(true)} disabled={toggle.isPending}>
            Activate version {w.version}
          </button>
          {w.status === 'active' && (
            <button type="button" onClick={() => toggle.mutate(false)} disabled={toggle.isPending}>
              Deactivate
            </button>
          )}
        </div>
      )}
      {error && <p role="alert">{error}</p>}
      {w.warnings.length > 0 && (
        <ul className="small">
          {w.warnings.map((warning) => (
            <li key={`${warning.code}-${warning.path}`}>
              {warning.path}: {warning.message}
            </li>
          ))}
        </ul>
      )}
      <details>
        <summary>Definition of version {w.version}</summary>
        <pre className="small">{JSON.stringify(w.definition, null, 2)}</pre>
      </details>
      <h3>Runs</h3>
      {runs.data && runs.data.items.length === 0 && <p className="muted small">No runs yet.</p>}
      <ul className="small">
        {runs.data?.items.map((run) => (
          <li key={run.id}>
            <button type="button" className="link" onClick={() => setRunId(run.id)}>
              {when(run.createdAt)} · v{run.version} · {run.trigger} · {run.status}
            </button>
          </li>
        ))}
      </ul>
      {runId && <RunSteps runId={runId} />}
    </div>
  );
}

export function Workflows() {
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({ queryKey: ['workflows'], queryFn: () => unwrap(api.GET('/v1/workflows')) });
  return (
    <section aria-labelledby="workflows-title">
      <h1 id="workflows-title">Workflows</h1>
      <LoadError what="workflows" error={list.error} />
      {list.data && list.data.items.length === 0 && (
        <p className="muted">No workflows yet: create one with POST /v1/workflows or `leadloop workflow`.</p>
      )}
      {list.data && list.data.items.length > 0 && (
        <DataTable
          className="grid"
          scroll
          rows={list.data.items}
          rowKey={(w) => w.id}
          rowClassName={(w) => (open === w.id ? 'selected' : undefined)}
          columns={[
            {
              header: 'Workflow',
              cell: (w) => (
                <button type="button" className="link" onClick={() => setOpen(w.id)}>
                  {w.name}
                </button>
              ),
            },
            { header: 'Status', cell: (w) => <span className={`badge ${w.status}`}>{w.status}</span> },
            { header: 'Versions', numeric: true, cell: (w) => w.latestVersion },
            { header: 'Triggers', cell: (w) => w.triggers.join(', ') },
            { header: 'Updated', cell: (w) => when(w.updatedAt) },
          ]}
        />
      )}
      {open && <WorkflowDetail id={open} />}
    </section>
  );
}
