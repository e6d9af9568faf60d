import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureCoreBans = {
  patterns: [
    {
      group: ['@kubernetes/client-node', '@nats-io/*', 'fastify', 'pino', 'prom-client'],
      message: 'Pure core: pass I/O in from the edge.',
    },
    {
      group: ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https'],
      message: 'Pure core: pass I/O in from the edge.',
    },
  ],
};

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
  {
    files: [
      'api/src/**/*.ts',
      'operator/src/render/**/*.ts',
      'operator/src/controller/conditions.ts',
      'operator/src/webhook/review.ts',
      'allocator/src/domain/**/*.ts',
    ],
    ignores: ['api/src/cli.ts', 'api/src/cli/**', '**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', pureCoreBans] },
  },
);
