import type nlpType from 'compromise';
import { lazyModule } from '../core/index.ts';

/*
 * compromise's lexicon is about 20 MiB of heap once loaded, in every thread that imports it (the
 * embedded server's worker thread imports chat for the pipeline's chat stage, which never extracts):
 * it is loaded at the first use, synchronously, so callers stay synchronous.
 */
// Its CommonJS build exports the function itself.
const compromise = lazyModule<typeof nlpType>('compromise');

/** compromise's parse of a text, loading its lexicon on the first call. */
export function nlp(text: string): ReturnType<typeof nlpType> {
  return compromise()(text);
}

interface TaggedTerm {
  normal: string;
  tags: string[];
}

/** Each word of a text with compromise's tags, in order. */
export function taggedTerms(text: string): TaggedTerm[] {
  const sentences = nlp(text).json() as Array<{ terms: TaggedTerm[] }>;
  return sentences.flatMap((sentence) => sentence.terms);
}
