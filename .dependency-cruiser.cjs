/** Layering rules from shared/CONVENTIONS.md, checked in `npm run lint`. */
const capabilities =
  '(ingest|leads|tenants|compliance|events|chat|scoring|council|workflows|optimizer|optimiser|analytics)';
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'nothing-imports-main',
      severity: 'error',
      from: { path: '^src/(?!main/)' },
      to: { path: '^src/main/' },
    },
    {
      name: 'capabilities-do-not-know-http',
      severity: 'error',
      from: { path: `^src/${capabilities}/` },
      to: { path: '^src/http/' },
    },
    {
      name: 'infrastructure-does-not-know-capabilities',
      severity: 'error',
      from: { path: '^src/(store|queue|models|telemetry|config)/' },
      to: { path: `^src/${capabilities}/` },
    },
    {
      name: 'import-other-folders-through-index',
      comment: "A folder's index.ts is its public face; reach into another folder only through it.",
      severity: 'error',
      from: { path: '^src/([^/]+)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
