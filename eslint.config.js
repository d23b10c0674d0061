// Lint: no floating promises, type-only imports, no import cycles, and one door for subprocesses
// (runner/exec.ts; git goes through it from runner/git.ts).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const onlyThroughWrappers = {
  paths: [
    { name: 'execa', message: 'Run subprocesses through runner/exec.ts.' },
    { name: 'child_process', message: 'Run subprocesses through runner/exec.ts.' },
    { name: 'node:child_process', message: 'Run subprocesses through runner/exec.ts.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.slipway/**', 'dist/**', 'bench/results/**', 'server/ui/static/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'no-restricted-imports': ['error', onlyThroughWrappers],
    },
  },
  {
    files: ['runner/exec.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
