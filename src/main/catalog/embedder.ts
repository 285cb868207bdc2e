/**
 * What the catalog needs from a re-ID model: one vector per annotation. The onnxruntime-backed
 * implementation lives with the models (src/main/models/model-embedder.ts); tests use a small fake.
 */
export interface EmbedItem {
  /** Absolute path of the photo. */
  path: string;
  /** Box in pixels of the upright photo, rotated by theta (radians) about its centre; absent for the whole photo. */
  crop?: { x: number; y: number; w: number; h: number; theta?: number };
}

export interface Embedder {
  /** Stable identity of the model, e.g. card name + model file sha256: vectors are stored under it. */
  modelId: string;
  dim: number;
  /** One vector of length `dim` per item, in order. Rejects when any item cannot be embedded. */
  embed(items: EmbedItem[]): Promise<Float32Array[]>;
}

export interface EmbedderRequest {
  model?: string;
  provider?: string;
}

export type EmbedderFactory = (request: EmbedderRequest) => Promise<Embedder>;
