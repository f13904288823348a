import { extractOffline } from '../offline-extractor.ts';
import type { ExtractionContext, ExtractionField } from '../slot-extractor.ts';

/** The clock the extraction tests read relative dates against: 28 November 2026, 10:00 UTC. */
export const EXTRACTION_NOW = Date.UTC(2026, 10, 28, 10);

/** The fields of the BANT playbook as the extractors see them. */
export const BANT_FIELDS: ExtractionField[] = [
  { slot: 'need', type: 'text', keywords: [], cue: 'need' },
  { slot: 'authority', type: 'role', keywords: [], subject: 'self' },
  { slot: 'timeline', type: 'timeline', keywords: [] },
  { slot: 'budget', type: 'money', keywords: [], defaultCurrency: 'USD' },
];

/** An English extraction context at `EXTRACTION_NOW` with nothing filled yet; `extra` overrides. */
export function extractionContext(
  fields: ExtractionField[],
  expecting: string | null,
  extra: Partial<ExtractionContext> = {},
): ExtractionContext {
  return { fields, expecting, now: EXTRACTION_NOW, language: 'en', filled: {}, ...extra };
}

/** `extractionContext` for the BANT fields. */
export function bantContext(
  expecting: string | null,
  extra: Partial<ExtractionContext> = {},
): ExtractionContext {
  return extractionContext(BANT_FIELDS, expecting, extra);
}

/** The slots the offline extractor reads from one message in a BANT conversation. */
export function bantSlots(
  text: string,
  expecting: string | null = null,
  extra: Partial<ExtractionContext> = {},
) {
  return extractOffline(text, bantContext(expecting, extra)).slots;
}
