import type { NormalisedLead } from './lead.ts';

/**
 * Normalised leads handed from ingestion to the pipeline in the same process, keyed by event id.
 * The edge validates and normalises every submission before accepting it (to answer 400); the
 * pipeline then needs exactly that result, so it takes it from here instead of parsing the stored
 * payload and normalising again. The stored submission stays the record: a lead not found here
 * (another process accepted it, the entry was evicted, the process restarted) is parsed and
 * normalised from the payload, which yields the same lead (normalisation is deterministic).
 */
export interface NormalisedLeads {
  /** Remembers the lead accepted as `eventId` (called once its event is committed). */
  put(eventId: string, lead: NormalisedLead): void;
  /** Removes and returns the lead of `eventId`: the caller owns it (stages change it). */
  take(eventId: string): NormalisedLead | undefined;
  readonly size: number;
}

/**
 * Bounded, so a backlog larger than `maxEntries` costs parses, not memory: a normalised lead is
 * about 480 bytes of heap, and parsing one again about 4 µs. 4,096 cover more than a second of
 * backlog at 3,000 leads/s; 20,000 held the worker thread's peak RSS about 30 MiB higher under a
 * sustained load for no gain in what it processed. When full it keeps what it holds and drops the new
 * lead: the pipeline takes leads oldest first, so the held ones are those it needs next. Evicting
 * the oldest instead missed on every lead once a backlog outgrew the bound (each kept lead was
 * evicted before the pipeline reached it), and finding the oldest as a Map's first key, behind
 * the holes of taken entries, cost the worker thread a sixth of its CPU under a sustained load
 * (docs/decisions/2026-12-07-handover-keeps-the-oldest.md). A lead nobody takes (its event was
 * processed elsewhere) would hold its place for ever, so one still held after `staleAfter` more
 * puts goes.
 */
export function createNormalisedLeads(maxEntries = 4_096, staleAfter = 10 * maxEntries): NormalisedLeads {
  const entries = new Map<string, { lead: NormalisedLead; seq: number }>();
  // Event ids in the order they were put, with their sequence numbers: the oldest held is found
  // by popping ids already taken (each once), never by walking the Map.
  const order: { eventId: string; seq: number }[] = [];
  let head = 0;
  let seq = 0;
  const oldestHeld = () => {
    while (head < order.length) {
      const first = order[head] as { eventId: string; seq: number };
      if (entries.get(first.eventId)?.seq === first.seq) return first;
      head++;
    }
    return undefined;
  };
  return {
    put(eventId, lead) {
      seq++;
      // Every put moves the front past taken ids (so `order` stays about as long as what is held)
      // and lets go of a lead nobody took for `staleAfter` puts, full or not.
      for (let oldest = oldestHeld(); oldest && seq - oldest.seq > staleAfter; oldest = oldestHeld()) {
        entries.delete(oldest.eventId);
        head++;
      }
      if (entries.size >= maxEntries) return;
      entries.set(eventId, { lead, seq });
      order.push({ eventId, seq });
      // Drops the popped front now and then, so the array stays about as long as what is held.
      if (head > 1024 && head * 2 > order.length) {
        order.splice(0, head);
        head = 0;
      }
    },
    take(eventId) {
      const entry = entries.get(eventId);
      if (entry === undefined) return undefined;
      entries.delete(eventId);
      return entry.lead;
    },
    get size() {
      return entries.size;
    },
  };
}
