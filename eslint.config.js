// ESLint flat config: typescript-eslint's recommended rules over src, tests, emulators, scripts and bench.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly'
      }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      // Matching control characters is how we reject them in paths and inputs.
      'no-control-regex': 'off',
      'no-console': 'off'
    }
  },
  {
    // Tests and stand-ins poke at untyped JSON; so do the readers of the event payload.
    files: ['__tests__/**', '__fixtures__/**', 'emulators/**', 'bench/**', 'scripts/**', 'src/main.ts', 'src/changes/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  }
)
