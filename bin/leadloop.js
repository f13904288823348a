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
await import('../src/main/cli.ts');
