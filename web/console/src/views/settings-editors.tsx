import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { ApiError, api, unwrap } from '../api.ts';
import { SelectField } from '../components/fields.tsx';

function problemText(error: unknown): string {
  if (!(error instanceof ApiError)) return String(error);
  const issues = error.problem.errors?.map((e) => `${e.field}: ${e.reason}`).join('; ');
  return issues ? `${error.problem.detail} (${issues})` : error.problem.detail;
}

/**
 * A JSON document edited in place: parsed as you type (the save button waits for valid JSON), saved
 * through the API, which validates it and audits the change with the signed-in user as actor.
 */
function JsonEditor(props: {
  label: string;
  initial: unknown;
  save: (value: unknown) => Promise<unknown>;
  onSaved: () => void;
}) {
  const id = useId();
  const [text, setText] = useState(() => JSON.stringify(props.initial, null, 2));
  useEffect(() => setText(JSON.stringify(props.initial, null, 2)), [props.initial]);
  let parsed: { ok: true; value: unknown } | { ok: false; message: string };
  try {
    parsed = { ok: true, value: JSON.parse(text) };
  } catch (e) {
    parsed = { ok: false, message: (e as Error).message };
  }
  const save = useMutation({ mutationFn: props.save, onSuccess: props.onSaved });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (parsed.ok) save.mutate(parsed.value);
      }}
    >
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        className="code"
        rows={12}
        spellCheck={false}
        value={text}
        aria-invalid={!parsed.ok}
        aria-describedby={`${id}-state`}
        onChange={(e) => setText(e.target.value)}
      />
      <p id={`${id}-state`} className="small" role="status">
        {parsed.ok ? 'Valid JSON.' : `Not valid JSON: ${parsed.message}`}
        {save.isSuccess && ' Saved.'}
      </p>
      {save.isError && <p role="alert">{problemText(save.error)}</p>}
      <button type="submit" disabled={!parsed.ok || save.isPending}>
        Save
      </button>
    </form>
  );
}

export function RulesEditor() {
  const client = useQueryClient();
  const rules = useQuery({ queryKey: ['rules'], queryFn: () => unwrap(api.GET('/v1/scoring/rules')) });
  if (!rules.data) return <p className="loading">Loading…</p>;
  const { version: _v, updatedAt: _u, ...editable } = rules.data;
  return (
    <JsonEditor
      label={`Point rules and threshold (version ${rules.data.version})`}
      initial={editable}
      save={(value) => unwrap(api.PUT('/v1/scoring/rules', { body: value as typeof editable }))}
      onSaved={() => void client.invalidateQueries({ queryKey: ['rules'] })}
    />
  );
}

interface Playbook {
  id: string;
  name: string;
  builtIn: boolean;
}

export function PlaybookEditor() {
  const client = useQueryClient();
  const playbooks = useQuery({ queryKey: ['playbooks'], queryFn: () => unwrap(api.GET('/v1/playbooks')) });
  const items = ((playbooks.data as unknown as { items?: Playbook[] } | undefined)?.items ??
    []) as Playbook[];
  const [chosen, setChosen] = useState('');
  const current = items.find((p) => p.id === chosen) ?? items.find((p) => !p.builtIn) ?? items[0];
  if (!current) return <p className="loading">Loading…</p>;
  const { builtIn, ...document } = current;
  // A built-in playbook is the starting point of a custom copy under a new id.
  const initial = builtIn ? { ...document, id: undefined, name: `${current.name} (custom)` } : document;
  const copyId = `${current.id}-custom`;
  return (
    <>
      <SelectField
        label="Playbook"
        value={current.id}
        onChange={(e) => setChosen(e.target.value)}
        choices={items.map((p) => ({
          value: p.id,
          label: `${p.name} ${p.builtIn ? '(built in: saving makes a custom copy)' : ''}`,
        }))}
      />
      <JsonEditor
        label={builtIn ? `New custom playbook "${copyId}"` : `Playbook "${current.id}"`}
        initial={initial}
        save={(value) => {
          const body = { ...(value as Record<string, unknown>) };
          delete body.id;
          return unwrap(
            api.PUT('/v1/playbooks/{id}', {
              params: { path: { id: builtIn ? copyId : current.id } },
              body,
            }),
          );
        }}
        onSaved={() => void client.invalidateQueries({ queryKey: ['playbooks'] })}
      />
    </>
  );
}

interface WorkspaceView {
  settings: { rateLimit: unknown; widget: { allowedOrigins: string[] } & Record<string, unknown> } & Record<
    string,
    unknown
  >;
}

export function OriginsEditor() {
  const client = useQueryClient();
  const workspace = useQuery({ queryKey: ['workspace'], queryFn: () => unwrap(api.GET('/v1/workspace')) });
  const settings = (workspace.data as unknown as WorkspaceView | undefined)?.settings;
  const [text, setText] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (origins: string[]) =>
      unwrap(
        api.PUT('/v1/workspace/settings', {
          body: {
            ...(settings as WorkspaceView['settings']),
            widget: { ...(settings as WorkspaceView['settings']).widget, allowedOrigins: origins },
          } as never,
        }),
      ),
    onSuccess: () => {
      setText(null);
      void client.invalidateQueries({ queryKey: ['workspace'] });
    },
  });
  if (!settings) return <p className="loading">Loading…</p>;
  const value = text ?? settings.widget.allowedOrigins.join('\n');
  const origins = value
    .split('\n')
    .map((o) => o.trim())
    .filter(Boolean);
  const bad = origins.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o));
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (bad.length === 0) save.mutate(origins);
      }}
    >
      <label>
        Sites allowed to embed the widget, one origin a line (none: any site)
        <textarea
          className="code"
          rows={4}
          value={value}
          aria-invalid={bad.length > 0}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <p className="small" role="status">
        {bad.length > 0
          ? `Not an origin (https://host[:port]): ${bad.join(', ')}`
          : `${origins.length} origins.`}
        {save.isSuccess && ' Saved.'}
      </p>
      {save.isError && <p role="alert">{problemText(save.error)}</p>}
      <button type="submit" disabled={bad.length > 0 || save.isPending}>
        Save origins
      </button>
    </form>
  );
}
