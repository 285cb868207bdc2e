import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererOutDir, rendererPlugins, rendererRoot } from './vite.renderer.config.ts';

/**
 * electron-vite: the main process (src/main/index.ts plus the workbench worker thread), the sandboxed
 * preload, and the React renderer (the same build the browser mode serves, vite.renderer.config.ts).
 */
const NATIVE_MODULES = ['better-sqlite3', 'onnxruntime-node', 'sharp', 'sqlite-vec'];

export default defineConfig({
  main: {
    build: {
      // Dependencies stay in node_modules (electron-builder packs them); the native ones must, they are
      // rebuilt for Electron's ABI (`npm run rebuild:electron`).
      externalizeDeps: { include: NATIVE_MODULES },
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          'workbench-worker': resolve('src/main/host/workbench-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require node_modules: zod is bundled in, and the output is CommonJS.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: rendererRoot,
    plugins: rendererPlugins(),
    build: {
      outDir: rendererOutDir,
      rollupOptions: { input: resolve(rendererRoot, 'index.html') },
    },
  },
});
