/** Layering rules from shared/CONVENTIONS.md, checked in `npm run lint`. */
/**
 * Capabilities stand side by side: each may import the lead kernel and infrastructure, never a
 * sibling. A new capability is one more name in this list (and a folder under src/).
 */
const CAPABILITIES = [
  'ingest',
  'chat',
  'scoring',
  'council',
  'privacy',
  'workflows',
  'optimiser',
  'analytics',
  'users',
  'console',
];
/** The lead kernel: the one Lead type, its schema, score types, the stage contract, lead vocabulary. */
const KERNEL = ['leads'];
/** Infrastructure every capability may use; it knows neither the kernel nor any capability. */
const INFRASTRUCTURE = ['core', 'store', 'queue', 'models', 'events', 'telemetry', 'tenants', 'compliance'];
const anyOf = (names) => `(${names.join('|')})`;
const capabilities = anyOf([...CAPABILITIES, ...KERNEL, 'tenants', 'compliance', 'events']);
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
      name: 'capabilities-stand-side-by-side',
      comment:
        'A capability imports the lead kernel and infrastructure only; where it needs a sibling it declares a port and src/main wires an adapter.',
      severity: 'error',
      from: { path: `^src/${anyOf(CAPABILITIES)}/` },
      to: { path: '^src/', pathNot: ['^src/$1/', `^src/${anyOf([...KERNEL, ...INFRASTRUCTURE])}/`] },
    },
    {
      name: 'kernel-imports-no-capability',
      severity: 'error',
      from: { path: `^src/${anyOf(KERNEL)}/` },
      to: { path: `^src/${anyOf([...CAPABILITIES, 'http', 'config'])}/` },
    },
    {
      name: 'infrastructure-does-not-know-the-kernel',
      severity: 'error',
      from: { path: `^src/${anyOf([...INFRASTRUCTURE, 'config'])}/` },
      to: { path: `^src/${anyOf([...KERNEL, ...CAPABILITIES])}/` },
    },
    {
      name: 'production-does-not-import-test-helpers',
      comment:
        'Test helpers live in a testing/ subfolder or test/support/; only tests, benchmarks and other helpers may import them.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['\\.test\\.ts$', '/testing/'] },
      to: { path: ['/testing/', '^test/', '\\.test\\.ts$'] },
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
