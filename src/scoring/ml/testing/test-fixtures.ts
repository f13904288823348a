import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared bank-marketing files (see ../shared/data/bank-marketing/SOURCE.txt); tests skip without them. */
export const BANK_SMALL = fileURLToPath(
  new URL('../../../../../shared/data/bank-marketing/bank-additional.csv', import.meta.url),
);
export const BANK_FULL = fileURLToPath(
  new URL('../../../../../shared/data/bank-marketing/bank-additional-full.csv', import.meta.url),
);
export const bankMissing =
  !existsSync(BANK_SMALL) || !existsSync(BANK_FULL)
    ? 'bank-marketing data not found under ../shared/data'
    : false;
