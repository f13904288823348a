import { enableCompileCache } from 'node:module';

/**
 * Turns on Node's module compile cache for this thread and for the threads it starts. The cache
 * keeps each file's compiled form and, for TypeScript, its stripped source, so later starts skip
 * compiling and skip loading Node's TypeScript stripper (a WebAssembly build of swc, 10-19 MiB of
 * RSS in each thread that loads it). `enableCompileCache()` covers only the calling thread: a
 * worker thread reads `NODE_COMPILE_CACHE` when it starts, so the directory is put there too
 * (docs/decisions/2026-12-08-compile-cache-in-worker-threads.md). NODE_COMPILE_CACHE chooses the
 * directory, NODE_DISABLE_COMPILE_CACHE=1 turns it off; the default is the OS temp directory.
 *
 * @param {string} [directory] where the cache lives (default: NODE_COMPILE_CACHE or Node's own)
 * @returns {string | undefined} the directory in use, if the cache is on
 */
export function enableCompileCacheForThreads(directory) {
  const result = enableCompileCache?.(directory);
  if (result?.directory && process.env.NODE_COMPILE_CACHE === undefined)
    process.env.NODE_COMPILE_CACHE = result.directory;
  return result?.directory;
}
