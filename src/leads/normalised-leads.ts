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
 * Bounded (the oldest entries go first), so a backlog larger than `maxEntries` costs parses, not
 * memory: a normalised lead is a few hundred bytes, 20,000 of them a few MiB.
 */
export function createNormalisedLeads(maxEntries = 20_000): NormalisedLeads {
  const entries = new Map<string, NormalisedLead>();
  return {
    put(eventId, lead) {
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(eventId, lead);
    },
    take(eventId) {
      const lead = entries.get(eventId);
      if (lead !== undefined) entries.delete(eventId);
      return lead;
    },
    get size() {
      return entries.size;
    },
  };
}
