// Lint rules: typescript-eslint's strictTypeChecked set less a documented few, plus the house rules.
// Import boundaries and circles are checked by dependency-cruiser (.dependency-cruiser.cjs), also in `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Numbers, booleans and null/undefined read fine in messages; objects and unknowns must be converted on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // The subset left out of strictTypeChecked, and why:
      // - `() => void f()`-style arrows and `return cb()` in void callbacks are idiomatic here.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // - interface implementations (memory twins of Redis classes) are `async` without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      // - with noUncheckedIndexedAccess and decoder boundaries it reports defensive checks of wire input; to revisit.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // - `!` after a length or presence check the compiler cannot follow (noUncheckedIndexedAccess).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // - the JSON decoder deletes keys of the parsed object it owns.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // - ws `readyState` is compared with its numeric constants.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // - a handler may return a value or nothing (`Promise<string | void>` is the public worker API).
      '@typescript-eslint/no-invalid-void-type': 'off',
      // - a rejection passes on whatever was caught.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Reported, not failed: moving off a deprecated API is its own change.
      '@typescript-eslint/no-deprecated': 'warn',
      'no-console': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests build hostile or partial input on purpose.
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/client/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Config is read only in src/config (loadConfig).' },
      ],
    },
  },
);
