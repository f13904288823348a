import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { ProblemAlert } from '../components/alerts.tsx';
import { InlineForm } from '../components/fields.tsx';

type Action = 'reject' | 'extend';

interface RequestRow {
  id: string;
  type: string;
  status: 'received' | 'in_progress' | 'completed' | 'rejected';
  held: boolean;
  dueAt: string;
  extendedDueAt: string;
  steps: { at: string; step: string; detail: Record<string, unknown> }[];
}

const day = (iso: string) => new Date(iso).toLocaleDateString();

/**
 * What an admin does with a request held for confirmation: run it once the person is verified,
 * reject it with the reason, or extend its deadline once (with the reason the person must be
 * given). Leadloop does not message the person, so an extension says who has to tell them.
 */
export function RequestActions(props: { request: RequestRow }) {
  const { request } = props;
  const client = useQueryClient();
  const [asking, setAsking] = useState<Action | null>(null);
  const [reason, setReason] = useState('');
  const done = () => {
    setAsking(null);
    setReason('');
    void client.invalidateQueries({ queryKey: ['privacy-requests'] });
  };
  const path = { params: { path: { id: request.id } } };
  const run = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/privacy/requests/{id}/run', path)),
    onSuccess: done,
  });
  const decide = useMutation({
    mutationFn: (input: { action: Action; reason: string }) =>
      unwrap(
        input.action === 'reject'
          ? api.POST('/v1/privacy/requests/{id}/reject', { ...path, body: { reason: input.reason } })
          : api.POST('/v1/privacy/requests/{id}/extend', { ...path, body: { reason: input.reason } }),
      ),
    onSuccess: done,
  });
  const open = request.status === 'received' || request.status === 'in_progress';
  const extended = request.steps.find((s) => s.step === 'extended');
  const canExtend = open && !extended && Date.parse(request.dueAt) < Date.parse(request.extendedDueAt);
  const canReject = request.status === 'received';
  const canRun = request.status === 'received' && request.held;
  const failure = run.error ?? decide.error;
  const label = `${request.type} request ${request.id}`;
  return (
    <div className="request-actions">
      {open && extended && extended.detail.requesterNotified === false && (
        <p className="small">
          Extended to {day(request.dueAt)}. Leadloop sent no message: tell the person, with the reason, before{' '}
          {typeof extended.detail.from === 'number'
            ? day(new Date(extended.detail.from).toISOString())
            : 'the first deadline'}
          .
        </p>
      )}
      {asking ? (
        <InlineForm
          aria-label={`${asking} ${label}`}
          label={asking === 'reject' ? 'Reason for rejecting' : 'Reason for the extension (tell the person)'}
          field={{
            value: reason,
            onChange: (e) => setReason(e.target.value),
            required: true,
            maxLength: 500,
          }}
          submit={asking === 'reject' ? 'Confirm rejection' : 'Confirm extension'}
          submitClassName={asking === 'reject' ? 'danger' : ''}
          busy={decide.isPending}
          onSubmit={() => decide.mutate({ action: asking, reason: reason.trim() })}
        >
          <button type="button" onClick={() => setAsking(null)}>
            Cancel
          </button>
        </InlineForm>
      ) : (
        (canRun || canReject || canExtend) && (
          <div className="actions">
            {canRun && (
              <button
                type="button"
                onClick={() => run.mutate()}
                disabled={run.isPending}
                aria-label={`Run now: ${label}`}
              >
                Run now
              </button>
            )}
            {canReject && (
              <button
                type="button"
                className="danger"
                onClick={() => setAsking('reject')}
                aria-label={`Reject: ${label}`}
              >
                Reject
              </button>
            )}
            {canExtend && (
              <button
                type="button"
                onClick={() => setAsking('extend')}
                aria-label={`Extend deadline: ${label}`}
              >
                Extend deadline
              </button>
            )}
          </div>
        )
      )}
      <ProblemAlert error={failure} />
    </div>
  );
}
