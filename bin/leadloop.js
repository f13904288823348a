#!/usr/bin/env node
// Leadloop runs TypeScript natively, which needs Node.js 24. Inside the project, npm scripts and
// npx put the pinned node@24 first on PATH; elsewhere, say what is missing instead of a stack trace.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `leadloop needs Node.js 24 or newer (this is ${process.version}). Run it through npm (npm start, npx leadloop) so the pinned node@24 is used.\n`,
  );
  process.exit(1);
}
// The server and workers allocate many short-lived objects per request: a small young generation
// and a slowly growing heap keep their RSS down (docs/decisions/2026-11-28-ingest-latency-and-memory.md;
// without them `npx leadloop serve` peaked at 358 MiB where `npm start` stayed under 250). So the
// long-running commands replace this process with one that has the flags: same pid, no parent left
// holding memory. A flag already given (command line or NODE_OPTIONS) wins; LEADLOOP_NODE_FLAGS=0
// turns this off.
const MEMORY_FLAGS = ['--max-semi-space-size=4', '--heap-growing-percent=50'];
// The C allocator's settings (glibc reads them at start, so they too need the new process image):
// two arenas instead of one per thread, and blocks of 128 KiB or more mapped and unmapped on their
// own rather than kept in an arena once freed. Peak RSS under a sustained load fell by 15-20 MiB
// (docs/decisions/2026-12-07-allocator-settings.md). A value already in the environment wins;
// other C libraries ignore them.
const MALLOC_ENV = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};
if (
  ['serve', 'worker'].includes(process.argv[2]) &&
  process.env.LEADLOOP_NODE_FLAGS !== '0' &&
  typeof process.execve === 'function'
) {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const missing = MEMORY_FLAGS.filter((flag) => !given.some((g) => g.split('=')[0] === flag.split('=')[0]));
  const unset = Object.entries(MALLOC_ENV).filter(([name]) => process.env[name] === undefined);
  if (missing.length > 0 || unset.length > 0)
    process.execve(
      process.execPath,
      [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)],
      { ...process.env, ...Object.fromEntries(unset) },
    );
}
// The module compile cache: later starts skip compiling and, in every thread, Node's TypeScript
// stripper (bin/compile-cache.js). The server starts in about 1.6 s instead of 1.9-2.0 s.
const { enableCompileCacheForThreads } = await import('./compile-cache.js');
enableCompileCacheForThreads();
await import('../src/main/cli.ts');
