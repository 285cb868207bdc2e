import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The main side's directions (docs/ARCHITECTURE.md): each folder lists the folders it must not import.
 * The algorithm knows no store, the store computes no explanation, the runtime adapter knows no
 * algorithm, and only src/main/onnx/session.ts imports onnxruntime itself.
 */
const FRONTS = ['host', 'server', 'cli'];
const MAIN_DIRECTIONS = {
  onnx: ['relevance', 'pairx', 'models', 'catalog', 'ranking', 'render', 'jobs', 'imaging', ...FRONTS],
  relevance: ['pairx', 'models', 'catalog', 'ranking', 'render', 'jobs', 'imaging', ...FRONTS],
  imaging: ['onnx', 'relevance', 'pairx', 'models', 'catalog', 'ranking', 'render', 'jobs', ...FRONTS],
  jobs: ['onnx', 'relevance', 'pairx', 'models', 'catalog', 'ranking', 'render', 'imaging', ...FRONTS],
  models: ['relevance', 'pairx', 'ranking', 'render', 'jobs', ...FRONTS],
  pairx: ['catalog', 'ranking', 'jobs', ...FRONTS],
  render: ['onnx', 'relevance', 'models', 'catalog', 'ranking', 'jobs', ...FRONTS],
  catalog: ['onnx', 'relevance', 'pairx', 'models', 'ranking', 'render', 'formats', ...FRONTS],
  // The field's formats read files into the catalog's annotation rows and write packages from the store.
  formats: ['onnx', 'relevance', 'pairx', 'models', 'ranking', 'render', 'imaging', ...FRONTS],
  ranking: ['relevance', 'pairx', 'models', 'render', 'jobs', ...FRONTS],
};
/** The fronts reach the engine and the store through the service (workbench.ts) only. */
const ENGINE_AND_STORE = ['catalog', 'onnx', 'relevance', 'pairx', 'models', 'ranking', 'render', 'imaging', 'jobs', 'formats'];
const FRONT_DIRECTIONS = {
  host: ENGINE_AND_STORE,
  server: ENGINE_AND_STORE,
  // The engine's own commands (explain, layers, embed, evaluate: image files, no catalog) go through
  // src/main/engine.ts; models/ and pairx/ only for cards, layer lists and metrics.
  cli: ['catalog', 'onnx', 'relevance', 'imaging', 'render', 'ranking', 'jobs', 'host', 'server', 'formats'],
};
const RUNTIME = { name: 'onnxruntime-node', message: 'only src/main/onnx/session.ts talks to onnxruntime' };
const frontDirections = Object.entries(FRONT_DIRECTIONS).map(([folder, forbidden]) => ({
  files: [`src/main/${folder}/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: [RUNTIME],
        patterns: forbidden.map((name) => ({
          // `pairx evaluate --calibrate` fits a model's review-queue prior: the one model-side piece of ranking.
          group: folder === 'cli' && name === 'ranking' ? ['**/ranking/**', '!**/ranking/calibration.ts'] : [`**/${name}/**`],
          message: `src/main/${folder} is a front: it reaches src/main/${name} through the Workbench service`,
        })),
      },
    ],
  },
}));
const mainDirections = Object.entries(MAIN_DIRECTIONS).map(([folder, forbidden]) => ({
  files: [`src/main/${folder}/**`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: folder === 'onnx' ? [] : [RUNTIME],
        patterns: [
          ...forbidden.map((name) => ({
            group: [`**/${name}/**`],
            message: `src/main/${folder} may not import from src/main/${name}`,
          })),
          { group: ['**/workbench.ts', '**/api-handlers.ts'], message: 'only the fronts call the service' },
          // render/ reads the explanation as plain data, never the algorithm that makes it.
          ...(folder === 'render'
            ? [{ group: ['**/pairx/*', '!**/pairx/explanation.ts'], message: 'render/ reads pairx/explanation.ts only' }]
            : []),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'scratch/**', 'test-artifacts/**', 'resources/**', 'tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': 'error',
    },
  },
  ...mainDirections,
  ...frontDirections,
  {
    files: ['src/main/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [RUNTIME] }] },
  },
  {
    // The folder says the runtime: the renderer and the shared contract never reach into the main process.
    files: ['src/renderer/**', 'src/preload/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/main/**', '../main/*'] }] },
  },
  {
    files: ['src/shared/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/main/**', '**/renderer/**', '**/preload/**', 'node:*'] }] },
  },
);
