import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The layers (docs/architecture.md): lib ← api ← allocator, operator. Another package is imported by
// its package.json "imports" name (#lib, #api, ...), never by a relative path into its folder, so that
// these rules can see every edge.
const byName = {
  group: ['**/lib/src/**', '**/api/src/**', '**/allocator/src/**', '**/operator/src/**'],
  message:
    'Import another package by its name (#lib, #api, #allocator/..., #operator/...), see package.json "imports".',
};
const notAbove = (layer, ...names) => ({
  regex: `^#(${names.join('|')})(/|$)`,
  message: `${layer} may not import ${names.map((name) => `#${name}`).join(', ')}: see the layer map in docs/architecture.md.`,
});
const pureCore = [
  {
    group: ['@kubernetes/client-node', '@nats-io/*', 'fastify', 'pino', 'prom-client'],
    message: 'Pure core: pass I/O in from the edge.',
  },
  {
    group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https'],
    message: 'Pure core: pass I/O in from the edge.',
  },
];
const restrict = (...patterns) => ({
  'no-restricted-imports': ['error', { patterns: [byName, ...patterns] }],
});

const lib = notAbove('lib', 'api', 'allocator', 'operator');
const api = notAbove('api', 'allocator', 'operator');
const allocator = notAbove('allocator', 'operator');
const operator = notAbove('operator', 'allocator');
const notController =
  'The webhook does not import the controller: share through #api (docs/architecture.md).';
const webhook = [
  { group: ['../controller', '../controller/*'], message: notController },
  { regex: '^#operator/controller(/|$)', message: notController },
];
const pureExceptions = ['api/src/cli/**', '**/*.test.ts'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'api/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-throw-literal': 'error',
    },
  },
  { files: ['**/*.ts'], rules: restrict() },
  { files: ['lib/**/*.ts'], rules: restrict(lib) },
  { files: ['api/**/*.ts'], rules: restrict(api) },
  { files: ['allocator/**/*.ts'], rules: restrict(allocator) },
  { files: ['operator/**/*.ts'], rules: restrict(operator) },
  { files: ['api/src/**/*.ts'], ignores: pureExceptions, rules: restrict(api, ...pureCore) },
  { files: ['operator/src/webhook/**/*.ts'], rules: restrict(operator, ...webhook) },
  {
    files: ['operator/src/render/**/*.ts', 'operator/src/controller/conditions.ts'],
    ignores: pureExceptions,
    rules: restrict(operator, ...pureCore),
  },
  // A later no-restricted-imports replaces an earlier one for the same file: keep the webhook's rule.
  {
    files: ['operator/src/webhook/review.ts'],
    ignores: pureExceptions,
    rules: restrict(operator, ...webhook, ...pureCore),
  },
  {
    files: ['allocator/src/domain/**/*.ts'],
    ignores: pureExceptions,
    rules: restrict(allocator, ...pureCore, {
      group: ['../*'],
      message: 'domain/ is the pure core: it imports only itself, #api and #lib.',
    }),
  },
);
