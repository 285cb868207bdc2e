import { createEmbedder } from '../pairx/embedder.ts';
import type { Embedder, EmbedderRequest } from './embedder.ts';

/** The embedder of the PAIR-X engine (onnxruntime), the default for `Workbench.embed`. */
export function createEngineEmbedder(request: EmbedderRequest): Promise<Embedder> {
  return createEmbedder(request);
}
