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
// Node strips TypeScript types with a WebAssembly compiler that stays loaded (about 18 MB RSS).
// The module compile cache keeps each file's stripped, compiled form, so later starts never load
// it (docs/decisions/2026-11-28-ingest-latency-and-memory.md). NODE_COMPILE_CACHE chooses the
// directory, NODE_DISABLE_COMPILE_CACHE=1 turns it off; the default is the OS temp directory.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../src/main/cli.ts');
