/**
 * The optimiser: drift detectors (Page-Hinkley, CUSUM, ADWIN, PSI, rate tests) and the lead-stream
 * simulator that tunes and measures them (`npm run bench:optimiser`).
 */
export type { Adwin, AdwinOptions, AdwinState } from './detectors/adwin.ts';
export { ADWIN_DEFAULTS, createAdwin } from './detectors/adwin.ts';
export type { Cusum, CusumOptions, CusumState } from './detectors/cusum.ts';
export { bernoulliLlr, createCusum, poissonLlr } from './detectors/cusum.ts';
export type {
  DetectorMode,
  PageHinkley,
  PageHinkleyOptions,
  PageHinkleyState,
} from './detectors/page-hinkley.ts';
export { createPageHinkley, PAGE_HINKLEY_DEFAULTS } from './detectors/page-hinkley.ts';
export { binIndex, psi, psiCriticalValue, quantileEdges } from './detectors/psi.ts';
export { poissonCdf, poissonSilence, silenceMinutesNeeded, wilsonInterval } from './detectors/rate-tests.ts';
