import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { RENDERER_CSP_META } from './src/shared/csp.ts';

/**
 * The renderer's build, shared by electron-vite (electron.vite.config.ts) and the browser mode
 * (`npm run serve` builds it into out/renderer when missing: `vite build -c vite.renderer.config.ts`).
 */
export const rendererRoot = fileURLToPath(new URL('./src/renderer', import.meta.url));
export const rendererOutDir = fileURLToPath(new URL('./out/renderer', import.meta.url));

/**
 * The built page carries the Content-Security-Policy as a <meta> (Electron loads it without HTTP
 * headers). Only in builds: the dev server's hot reload needs an inline script the policy forbids.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'pairx:csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: RENDERER_CSP_META },
        injectTo: 'head-prepend',
      },
    ],
  };
}

export const rendererPlugins = (): Plugin[] => [...react(), contentSecurityPolicyMeta()];

export default defineConfig({
  root: rendererRoot,
  base: './',
  plugins: rendererPlugins(),
  build: {
    outDir: rendererOutDir,
    emptyOutDir: true,
    target: 'chrome120',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
  },
});
