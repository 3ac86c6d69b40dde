// Layering is enforced here: policies/ is pure, conversations/ knows no SDK,
// and only adapters/ (and the store, for drizzle) import the outside world.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const SDKS = ['@resvg/*', 'grammy', 'grammy/*', '@slack/*', 'twilio', 'twilio/*', '@kubernetes/client-node', 'openai', 'openai/*', '@modelcontextprotocol/*'];
const STORAGE = ['better-sqlite3', 'drizzle-orm', 'drizzle-orm/*'];
const IO = ['node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:path', 'pino'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'drizzle/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['policies/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...SDKS, ...STORAGE, ...IO, '../src/*', '../conversations/*', '../adapters/*'] }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'policies/ takes time as an argument' }],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval'],
    },
  },
  {
    files: ['conversations/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...SDKS, ...STORAGE, '../adapters/*'] }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...SDKS, ...STORAGE] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
