import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api.ts';
import { type Decision, DecisionCard } from './decision-card.tsx';

const QUEUES: Record<string, { label: string; test: (d: Decision) => boolean }> = {
  review: {
    label: 'To review',
    test: (d) =>
      d.review.status === 'proposed' &&
      (d.confidence < 0.6 || d.dissent.length > 0 || d.review.humanReview !== 'none'),
  },
  proposed: { label: 'All open', test: (d) => d.review.status === 'proposed' },
  all: { label: 'All', test: () => true },
};

/** The review queue: low confidence, disagreement among agents, or a human review asked for. */
export function Decisions() {
  const [queue, setQueue] = useState('review');
  const decisions = useQuery({
    queryKey: ['decisions', { limit: 200 }],
    queryFn: () => unwrap(api.GET('/v1/council/decisions', { params: { query: { limit: 200 } } })),
  });
  const items = (decisions.data?.items ?? []).filter(QUEUES[queue]?.test ?? (() => true));
  return (
    <section aria-labelledby="decisions-title">
      <h1 id="decisions-title">Decisions</h1>
      <div role="tablist" aria-label="Queues" className="tabs">
        {Object.entries(QUEUES).map(([key, q]) => (
          <button
            type="button"
            role="tab"
            key={key}
            aria-selected={queue === key}
            onClick={() => setQueue(key)}
          >
            {q.label} ({(decisions.data?.items ?? []).filter(q.test).length})
          </button>
        ))}
      </div>
      {items.length === 0 && <p className="muted">Nothing in this queue.</p>}
      {items.map((d) => (
        <DecisionCard key={d.id} decision={d} showLead />
      ))}
    </section>
  );
}
