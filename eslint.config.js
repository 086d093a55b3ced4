// Lint rules, including the import fences of ARCHITECTURE.md: what each folder may import is enforced here
// (and, for workflows, again by test/architecture/workflow-bundle.test.ts, which bundles them).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const fence = (files, patterns, paths = []) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': ['error', { paths, patterns }],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.opsflow/**', 'examples/**/node_modules/**', '**/.bundle-tmp-*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', crypto: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  fence(
    ['workflows/**/*.ts'],
    [
      { group: ['@temporalio/*', '!@temporalio/workflow'], message: 'workflows/ may only import @temporalio/workflow (sandbox).' },
      { group: ['**/db/**', '**/integrations/**', '**/config/**', '**/api/**', '**/workers/**', '**/security/**', '**/temporal/**'], message: 'workflows/ must stay deterministic: no I/O modules.' },
      { group: ['**/activities/**'], allowTypeImports: true, message: 'workflows/ may only `import type` from activities/.' },
    ],
    nodeBuiltins.map((name) => ({ name, message: 'workflows/ run in the deterministic sandbox: no Node built-ins.' })),
  ),
  fence(
    ['contracts/**/*.ts'],
    [{ group: ['**/db/**', '**/integrations/**', '**/activities/**', '**/api/**', '**/workers/**', '**/config/**', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'contracts/ is workflow-safe shared code: no I/O.' }],
    nodeBuiltins.map((name) => ({ name, message: 'contracts/ is workflow-safe: no Node built-ins.' })),
  ),
  fence(['integrations/**/*.ts'], [{ group: ['@temporalio/*', '**/db/**', '**/activities/**', '**/workflows/**', '**/api/**'], message: 'integrations/ know nothing of Temporal or the database.' }]),
  fence(['activities/**/*.ts'], [{ group: ['**/workflows/**', '**/api/**'], message: 'activities/ must not import workflows/ or api/.' }]),
  fence(['services/**/*.ts'], [
    { group: ['**/api/**', '**/activities/**', '**/workflows/**', '**/workers/**', '@temporalio/worker', '@temporalio/activity', '@temporalio/workflow'], message: 'services/ may import the Temporal client, contracts/, db/, config/, security/ and temporal/; not api/, activities/, workflows/ or workers/.' },
    { group: ['**/integrations/**/providers/**', '**/integrations/**/emulator/**', '**/integrations/**/fixture-*'], message: 'services/ may use only the public surface of integrations/.' },
  ]),
  // Nothing outside api/ builds on it: the HTTP layer only consumes services/. The two processes that serve the
  // API (`opsflow api`, `opsflow up`) are its composition roots and may build the server, nothing else of api/.
  {
    // (activities/ and services/ have fences of their own that already keep api/ out.)
    files: ['bench/**/*.ts', 'workers/**/*.ts', 'db/**/*.ts', 'cli/**/*.ts', 'security/**/*.ts', 'temporal/**/*.ts', 'config/**/*.ts'],
    ignores: ['cli/api.ts', 'cli/up.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/api/**'], message: 'Only api/ and the processes that serve it (cli/api.ts, cli/up.ts) import api/.' }] }] },
  },
  fence(['cli/api.ts', 'cli/up.ts'], [{ group: ['**/api/**', '!**/api/server.ts'], message: 'A process that serves the API builds it with api/server.ts and uses nothing else of api/.' }]),
  fence(['api/**/*.ts'], [
    { group: ['**/activities/**', '**/workers/**', '@temporalio/worker'], message: 'api/ talks to Temporal through services/ only.' },
    // Types only (the client a caller hands to services/): every Temporal call of a route goes through a service.
    { group: ['@temporalio/client'], allowTypeImports: true, message: 'api/ talks to Temporal through services/ only.' },
    // The API may read an integration's public surface (provider catalog, credential schemas, CMDB resource names),
    // never a provider's internals or an emulator.
    { group: ['**/integrations/**/providers/**', '**/integrations/**/emulator/**', '**/integrations/**/fixture-*'], message: 'api/ may use only the public surface of integrations/.' },
  ]),
);
