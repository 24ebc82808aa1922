// Lint: typescript-eslint recommended everywhere, and workflow code kept deterministic
// (DESIGN.md rule 1): no Node built-ins, no heavy or side-effecting modules, and only
// type imports from activities.
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const workflowRestrictions = {
  paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins; do this in an activity.' })),
  patterns: [
    { group: ['node:*'], message: 'Workflow code must be deterministic: no Node built-ins.' },
    { group: ['sharp', 'fluent-ffmpeg', '@aws-sdk/*', '@tensorflow/*', '@techstark/*', 'dotenv', 'commander', 'undici'], message: 'Heavy or side-effecting modules belong in activities (src/activities -> src/lib).' },
    { group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@temporalio/testing'], message: 'Workflows may only use @temporalio/workflow and @temporalio/common.' },
    { group: ['**/activities', '**/activities/*', '**/config', '**/lib/storage/*', '**/lib/http/fetch-*', '**/lib/image/*', '**/lib/hash/perceptual-hash', '**/lib/camera/capture-step', '**/lib/camera/manifest', '**/lib/camera/fetch-camera-catalog'], allowTypeImports: true, message: 'Only type imports of activity-side code are allowed in workflows.' },
  ],
};

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'coverage/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // fluent-ffmpeg is archived upstream: keep it behind src/lib/video so it can be replaced.
    files: ['src/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/lib/video/**', 'src/workflows/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'fluent-ffmpeg', message: 'Use src/lib/video instead of fluent-ffmpeg directly.' }] }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', workflowRestrictions],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }, { name: 'setInterval', message: 'Use sleep() in a loop.' }, { name: 'process', message: 'No process access in workflows.' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use uuid4() or pass randomness from an activity.' }],
    },
  },
);
