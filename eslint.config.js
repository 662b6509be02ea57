import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'testbed/dist/', 'node_modules/', '.cache/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The platform-free core runs in Node tests and in every extension context: no chrome.* there.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'chrome', message: 'src/ is platform-free: pass what you need in.' }],
    },
  },
);
