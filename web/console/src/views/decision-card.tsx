import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import type { paths } from '../../../sdk/index.ts';
import { api, problemDetail, unwrap } from '../api.ts';
import { SelectField } from '../components/fields.tsx';
import { useCan } from '../session.tsx';

type Decision = paths['/v1/council/decisions/{id}']['get']['responses'][200]['content']['application/json'];

const ACTIONS = ['route_to_rep', 'start_nurture', 'ask_for_info', 'disqualify'];

/** A council decision: explanation, agents, confidence and cost; feedback and the Art. 22 override. */
export function DecisionCard(props: { decision: Decision; showLead?: boolean }) {
  const { decision } = props;
  const can = useCan();
  const client = useQueryClient();
  const [overriding, setOverriding] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const done = (text: string) => {
    setMessage(text);
    void client.invalidateQueries({ queryKey: ['decisions'] });
  };
  const fail = (error: unknown) => setMessage(problemDetail(error));
  const feedback = useMutation({
    mutationFn: (verdict: 'accept' | 'reject') =>
      unwrap(
        api.POST('/v1/council/decisions/{id}/feedback', {
          params: { path: { id: decision.id } },
          body: { verdict },
        }),
      ),
    onSuccess: (_data, verdict) => done(`Feedback recorded: ${verdict}. The router learns from it.`),
    onError: fail,
  });
  const override = useMutation({
    mutationFn: (input: { reason: string; action: string }) =>
      unwrap(
        api.POST('/v1/council/decisions/{id}/override', {
          params: { path: { id: decision.id } },
          body: { reason: input.reason, output: { ...(decision.output as object), action: input.action } },
        }),
      ),
    onSuccess: () => {
      setOverriding(false);
      done('Overridden. The new decision is in force and in the audit trail.');
    },
    onError: fail,
  });
  const submitOverride = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    override.mutate({ reason: String(form.get('reason')), action: String(form.get('action')) });
  };
  const output = decision.inForce.output as { action?: string; reasons?: string[] } | null;
  const reviewable = decision.review.status === 'proposed';
  return (
    <article className="card decision" aria-label={`Decision ${decision.decisionClass}`}>
      <header>
        <strong>{String(decision.question.type ?? 'decision')}</strong>: {decision.inForce.decisionClass}
        <span className={`badge ${decision.review.status}`}>{decision.review.status}</span>
        {props.showLead && decision.leadId && <Link to={`/leads/${decision.leadId}`}>open lead</Link>}
      </header>
      <p>{decision.explanation}</p>
      {output?.reasons && (
        <ul>
          {output.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      <p className="muted small">
        Confidence {Math.round(decision.confidence * 100)}% · agents{' '}
        {decision.agents.map((a) => a.id).join(', ')} · cost {decision.cost.calls} calls,{' '}
        {decision.cost.tokens} tokens · {decision.model.provider}/{decision.model.model}
        {decision.dissent.length > 0 && ` · ${decision.dissent.length} dissenting`}
      </p>
      {can.operate && reviewable && (
        <div className="actions">
          <button type="button" onClick={() => feedback.mutate('accept')} disabled={feedback.isPending}>
            Accept
          </button>
          <button type="button" onClick={() => feedback.mutate('reject')} disabled={feedback.isPending}>
            Reject
          </button>
          {decision.leadId && (
            <button type="button" onClick={() => setOverriding((v) => !v)} aria-expanded={overriding}>
              Override…
            </button>
          )}
        </div>
      )}
      {can.operate && !reviewable && decision.leadId && decision.review.status !== 'overridden' && (
        <div className="actions">
          <button type="button" onClick={() => setOverriding((v) => !v)} aria-expanded={overriding}>
            Override…
          </button>
        </div>
      )}
      {overriding && (
        <form className="override" onSubmit={submitOverride}>
          <SelectField
            label="New action"
            name="action"
            defaultValue={output?.action}
            choices={ACTIONS.map((action) => ({ value: action, label: action.replaceAll('_', ' ') }))}
          />
          <label>
            Reason (recorded; GDPR Art. 22 human intervention)
            <input name="reason" required minLength={3} />
          </label>
          <button type="submit" disabled={override.isPending}>
            Apply override
          </button>
        </form>
      )}
      {message && (
        <p role="status" className="small">
          {message}
        </p>
      )}
    </article>
  );
}

export type { Decision };
