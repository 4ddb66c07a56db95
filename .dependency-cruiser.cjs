// Import boundaries, checked by `npm run lint` (docs/architecture.md draws the same layers).
// Each folder of src/ may import only the folders listed for it (type-only imports count too),
// another folder only through its index.ts, and nothing may import in a circle.
const allowed = {
  errors: [],
  protocol: ['errors'],
  config: ['protocol', 'errors'],
  log: [],
  metrics: [],
  lifecycle: ['log', 'metrics', 'errors'],
  redis: ['protocol', 'errors'],
  routing: ['redis', 'protocol', 'errors'],
  queue: ['routing', 'redis', 'protocol', 'config', 'log', 'metrics', 'errors'],
  engine: ['redis', 'protocol', 'config', 'log', 'metrics', 'errors'],
  worker: ['engine', 'queue', 'routing', 'redis', 'protocol', 'config', 'log', 'metrics', 'lifecycle', 'errors'],
  gateway: ['engine', 'queue', 'routing', 'redis', 'protocol', 'config', 'log', 'metrics', 'errors'],
  embedded: ['worker', 'engine', 'queue', 'routing', 'redis', 'protocol', 'config', 'log', 'metrics', 'errors'],
  'web-ui': ['gateway', 'engine', 'queue', 'routing', 'redis', 'protocol', 'config', 'log', 'metrics', 'errors'],
  loadtest: ['gateway', 'client', 'protocol', 'config', 'log', 'errors'],
  client: ['protocol', 'errors'],
};
const folders = Object.keys(allowed);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A circle of imports (type-only ones included) means two modules are one: cut the seam.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...folders.map((folder) => ({
      name: `layer-${folder}`,
      comment: `src/${folder} may import only: ${allowed[folder].join(', ') || 'no other folder of src'}`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(?!(?:${[folder, ...allowed[folder]].join('|')})/)[^/]+/` },
    })),
    {
      name: 'src-not-up',
      comment: 'src/ is the library: it never imports the composition roots, examples, benchmarks or tests.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(bin|examples|bench|test|web)/' },
    },
    {
      name: 'through-index',
      comment: 'Another folder of src/ is imported through its index.ts only.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/[^/]+/', pathNot: ['^src/$1/', '/index\\.ts$'] },
    },
    {
      name: 'through-index-outside',
      comment: "bin/ and examples/ use src/ through the folders' index.ts files.",
      severity: 'error',
      from: { path: '^(bin|examples)/' },
      to: { path: '^src/[^/]+/', pathNot: '/index\\.ts$' },
    },
    {
      name: 'examples-stay-samples',
      comment: 'Nothing starts or imports an example: examples/ are user-facing samples.',
      severity: 'error',
      // bin/gateway.ts runs the simple example's handler in embedded mode (the one exception).
      from: { pathNot: '^(examples|test)/|^bin/gateway\\.ts$' },
      to: { path: '^examples/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
