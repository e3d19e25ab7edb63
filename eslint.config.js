// Lint rules that catch what the compiler does not: forgotten promises, and Node built-ins in workflow code.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'generated/', 'data/', 'web/.next/', '**/*.js', '**/*.mjs', 'web/next-env.d.ts'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflows are deterministic: no Node built-ins (use activities).' },
            { group: ['**/lib/*', '**/generated/*', '@prisma/*', 'pg', 'nodemailer'], message: 'Workflows must not do I/O; call an activity.' },
          ],
        },
      ],
    },
  },
);
