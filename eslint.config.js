import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of functions/, lowest first (docs/architecture.md): a folder may import the folders
 * before it in this list, never one after it. The entry points (functions/*.ts) and cli/ sit on top.
 */
export const LAYERS = ['core', 'report', 'commons', 'aws', 'rotation', 'onboarding', 'reconcile', 'oncall'];

/** I/O the pure core must not reach: the clock and randomness are arguments, never imports. */
const IMPURE = [
  'node:fs',
  'node:fs/*',
  'node:child_process',
  'node:http',
  'node:https',
  'node:net',
  '@aws-sdk/*',
  '@aws-lambda-powertools/*',
];

const layerRules = LAYERS.map((layer, i) => {
  const above = LAYERS.slice(i + 1);
  const patterns = above.map((other) => ({
    group: [`../${other}/*`, `**/functions/${other}/*`],
    message: `functions/${layer}/ may not import functions/${other}/ (layers: ${LAYERS.join(' < ')}; docs/architecture.md)`,
  }));
  // Nothing in functions/ imports the CLI, the CDK app, the emulator or the tests.
  patterns.push({
    group: ['../../cli/*', '../../infra/*', '../../emulator/*', '../../test/*', '../../scripts/*'],
    message: `functions/${layer}/ may not import from outside functions/ (docs/architecture.md)`,
  });
  if (layer === 'core')
    patterns.push({
      group: IMPURE,
      message: 'functions/core/ is pure: no I/O, no SDK, no logger (docs/architecture.md)',
    });
  return {
    files: [`functions/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  };
});

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'coverage',
      'cdk.out',
      '.cache',
      'reports',
      'bin',
      'scratch',
      'dist',
      'test/integ/*.snapshot',
      // integ-runner's output while it runs (check runs it beside lint)
      'test/integ/cdk-integ.out.*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      'no-restricted-syntax': [
        'error',
        {
          // esbuild cannot drop unused parts of the `z` object: every zod locale (258 KB) lands in each bundle.
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message:
            "import * as z from 'zod' (a named z import keeps all of zod's locales in the Lambda bundles)",
        },
      ],
    },
  },
  ...layerRules,
  // The CDK app reads the configuration schema and metric names, nothing that runs in the functions.
  {
    files: ['infra/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../functions/*', '!../functions/core', '../functions/*/*', '!../functions/core/*'],
              message: 'infra/ may import functions/core/ only (docs/architecture.md)',
            },
          ],
        },
      ],
    },
  },
  // The emulator's Lambda container runs under plain node.
  {
    files: ['emulator/**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
);
