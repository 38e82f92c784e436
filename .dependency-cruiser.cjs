// Import layering, checked by scripts/test.sh (`depcruise`). A violation names its rule, e.g.
// `error src-not-app: src/x.ts → app/y.ts`. Type-only imports are seen (tsPreCompilationDeps) and
// allowed where the rule says so: `src/` may name Octokit's types, never load Octokit.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'src-not-app',
      comment: 'src/ is the core the app, the Action and the sandbox build on: it imports none of them (type-only imports included).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(app|action|sandbox|bench|__tests__)/' },
    },
    {
      name: 'src-no-github-runtime',
      comment: 'src/ loads no Octokit, Probot or @actions/* at run time; their types may be imported with `import type`.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '(^|/)node_modules/(@octokit/|probot/|@probot/|@actions/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'rules-not-render',
      comment: 'Rules decide (data); rendering is separate and reads their results, never the other way round.',
      severity: 'error',
      from: { path: '^src/rules/' },
      to: { path: '^src/render/' },
    },
    {
      name: 'no-cycles',
      comment: 'No import cycles at run time. A cycle through a type-only import is erased by the compiler (the sandbox domain files name the facade type), so it is not one.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|lib|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
