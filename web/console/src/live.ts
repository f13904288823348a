import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

/**
 * One map from stream event to the queries it makes stale. The browser's EventSource sends the
 * session cookie, reconnects by itself and resumes with Last-Event-ID; after a reconnect every
 * visible list is refetched in case something was missed.
 */
const INVALIDATES: Record<string, string[][]> = {
  'lead.created': [['leads']],
  'lead.updated': [['leads'], ['lead']],
  'lead.scored': [['leads'], ['lead']],
  'lead.qualified': [['leads'], ['lead'], ['decisions']],
  'alert.opened': [['alerts']],
  'alert.acknowledged': [['alerts']],
  'alert.resolved': [['alerts']],
  'optimiser.adjusted': [['alerts']],
  'optimiser.adjustment_settled': [['alerts']],
};

export function useLiveEvents(): 'connecting' | 'live' | 'offline' {
  const client = useQueryClient();
  const [state, setState] = useState<'connecting' | 'live' | 'offline'>('connecting');
  useEffect(() => {
    const source = new EventSource('/v1/events/stream');
    let pending: ReturnType<typeof setTimeout> | null = null;
    // Keys collected while a refetch waits: an alert arriving during a burst of leads is not lost.
    const stale = new Map<string, string[]>();
    const refresh = (keys: string[][]) => {
      for (const key of keys) stale.set(key.join('\u0000'), key);
      // Bursts (an import) become one refetch a second, not one per event.
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        const due = [...stale.values()];
        stale.clear();
        for (const key of due) void client.invalidateQueries({ queryKey: key });
      }, 1000);
    };
    source.onopen = () => {
      setState('live');
      refresh([['leads'], ['conversations'], ['alerts']]);
    };
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    for (const [type, keys] of Object.entries(INVALIDATES))
      source.addEventListener(type, () => refresh(keys));
    return () => {
      if (pending) clearTimeout(pending);
      source.close();
    };
  }, [client]);
  return state;
}
