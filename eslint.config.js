// Lint: no floating promises, type-only imports, no import cycles, one door for subprocesses
// (runner/exec.ts; git goes through it from runner/git.ts), and @kubernetes/client-node's values
// only through runner/environments/kube-api.ts (what the bundle holds of it; types anywhere).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const onlyThroughWrappers = {
  paths: [
    { name: 'execa', message: 'Run subprocesses through runner/exec.ts.' },
    { name: 'child_process', message: 'Run subprocesses through runner/exec.ts.' },
    { name: 'node:child_process', message: 'Run subprocesses through runner/exec.ts.' },
  ],
};

const clientNode = {
  name: '@kubernetes/client-node',
  allowTypeImports: true,
  message: "Import @kubernetes/client-node's values from runner/environments/kube-api.ts (the bundle holds only what it names).",
};
const noClientNodeImportExpression = {
  selector: "ImportExpression[source.value='@kubernetes/client-node']",
  message: "Import @kubernetes/client-node's values from runner/environments/kube-api.ts (a dynamic import of the package bundles all 17 MB of it).",
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
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [...onlyThroughWrappers.paths, clientNode] }],
      'no-restricted-syntax': ['error', noClientNodeImportExpression],
    },
  },
  {
    // not bundled: tests, benchmarks and scripts may use the package directly
    files: ['runner/environments/kube-api.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', onlyThroughWrappers], 'no-restricted-syntax': 'off' },
  },
  {
    files: ['runner/exec.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
