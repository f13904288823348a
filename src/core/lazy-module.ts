import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A package loaded at its first use instead of when the importing module loads. Every thread that
 * imports a module carries its dependencies' code and data in its heap, and the embedded server has
 * two (HTTP and workers) built from one composition root: a driver, mailer or parser that a
 * deployment never calls is paid twice for nothing. `require` (CommonJS, or an ES module without
 * top-level await in Node 24) keeps the first use synchronous, so callers stay synchronous.
 *
 * @example const cron = lazyModule<typeof import('cron-parser')>('cron-parser'); cron().CronExpressionParser
 */
export function lazyModule<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}
