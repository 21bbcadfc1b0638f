import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'coverage', 'cdk.out', '.cache', 'reports', 'bin', 'scratch'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // The emulator's Lambda container runs under plain node.
  { files: ['emulator/**/*.mjs'], languageOptions: { globals: { process: 'readonly', URL: 'readonly' } } },
);
