import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CatalogError } from './errors.ts';
import type { Embedder, EmbedderFactory, EmbedderRequest } from './embedder.ts';

/** The engine module ships with the PAIR-X engine; a build without it can still do everything else. */
const ENGINE_MODULE = new URL('../pairx/embedder.ts', import.meta.url);

function isFactoryModule(value: unknown): value is { createEmbedder: EmbedderFactory } {
  return typeof (value as { createEmbedder?: unknown } | null)?.createEmbedder === 'function';
}

/**
 * Creates the embedder of the installed engine. The module is imported on demand (by URL, so that
 * type checking and the catalog do not depend on it) and only when embedding is asked for.
 */
export async function createEngineEmbedder(request: EmbedderRequest): Promise<Embedder> {
  let engine: unknown;
  try {
    engine = await import(ENGINE_MODULE.href);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    // Only the engine module itself being absent means "not installed"; a module it imports that is
    // missing is a broken build and keeps its own error.
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && !existsSync(fileURLToPath(ENGINE_MODULE))) {
      throw new CatalogError('the embedding engine is not installed in this build');
    }
    throw error;
  }
  if (!isFactoryModule(engine)) throw new CatalogError('the embedding engine does not export createEmbedder()');
  return engine.createEmbedder(request);
}
