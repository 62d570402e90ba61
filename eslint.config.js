// ESLint flat config (`npm run lint:eslint`).
//
// TypeScript: typescript-eslint's strict type-checked set, with the type information from
// tsconfig.json through the project service. It is tuned so that what remains finds bugs
// (floating and misused promises, awaits of non-promises, `any` leaking out of raw SQL,
// conditions that are always true, unused code, non-exhaustive switches, deprecated APIs);
// the rules turned off below are stylistic or fight an idiom this code base uses on purpose,
// each with the reason on its line. Formatting belongs to Prettier (eslint-config-prettier last).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import solid from 'eslint-plugin-solid/configs/typescript';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', '.data/', 'test/artifacts/']),

  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Kept, made explicit: the bug finders this config exists for.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-condition': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // `_name` marks a parameter or binding kept on purpose (callback signatures, destructuring to omit).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Numbers and booleans print fine in messages and SQL-free strings; objects and nullish still flagged.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],

      // Off: with noUncheckedIndexedAccess, `rows[0]!` after a query that returns one row is the idiom (300+ hits).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off: stylistic; `onClick={() => setOpen(false)}` and `() => void promise` arrow shorthands are fine.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Off: MikroORM migrations and interface implementations are async by contract without awaiting;
      // a forgotten await is caught by no-floating-promises instead.
      '@typescript-eslint/require-await': 'off',
      // Off: empty functions here are deliberate no-op callbacks (listeners, default handlers).
      '@typescript-eslint/no-empty-function': 'off',
      // Off: the text, email and template rules match control characters on purpose, to reject or strip them.
      'no-control-regex': 'off',
    },
  },

  {
    // Tests read JSON from HTTP responses, raw rows and event payloads and assert on them with
    // expect(); typing every probe would add casts without finding bugs. The promise and
    // unused-code rules stay on (a floating promise in a test is a test that cannot fail).
    files: ['test/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
    },
  },

  // SolidJS: reactivity mistakes (destructured props, reads outside tracked scopes), JSX rules.
  { files: ['client/**/*.tsx'], ...solid },

  {
    // Plain JavaScript config files: not in tsconfig.json, so no type information.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },

  // Last: turns off every rule that would disagree with Prettier's formatting.
  prettier,
);
