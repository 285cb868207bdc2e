import type { ProviderName } from '../onnx/session.ts';
import type { ConservationPayload as Conservation } from '../../shared/conservation.ts';

/**
 * A PAIR-X explanation as plain data (typed arrays and numbers), what the algorithm produces and what
 * `render/` and the fronts read; nothing here runs a model.
 */

/** A mutual-nearest-neighbour match between the two feature maps (PAIR-X steps 4–5). */
export interface Match {
  /** Feature-map coordinates (x, y) in image 0 and image 1. */
  coord0: [number, number];
  coord1: [number, number];
  /** Pixel centres in model-input pixels. */
  point0: [number, number];
  point1: [number, number];
  distance: number;
  relevance: number;
}

/**
 * A geometric plausibility signal next to the similarity score: a homography fitted with RANSAC to the
 * top matches' pixel positions. One animal seen from one flank maps consistently (high inlier ratio, low
 * error); scattered matches do not.
 */
export interface Plausibility {
  /** Share of the matches used that the best homography explains within the threshold. */
  inlierRatio: number;
  /** Median reprojection error of all matches used, as a fraction of the image diagonal. */
  medianError: number;
  matchesUsed: number;
}

export interface Explanation {
  similarity: number;
  layer: { key: string; tensor: string; channels: number; height: number; width: number };
  input: { width: number; height: number };
  provider: ProviderName;
  embeddings: [Float32Array, Float32Array];
  seeds: [Float32Array, Float32Array];
  /** [C,h,w] per image. */
  featureMaps: [Float32Array, Float32Array];
  /** M_i = |Σ_c R_i[c]|, [h,w] per image. */
  relevanceMaps: [Float32Array, Float32Array];
  /** Every mutual-nearest-neighbour match, most relevant first. */
  matches: Match[];
  kLines: number;
  /** Matches with pixel maps (the top kColors, or all when fewer). */
  kColors: number;
  /** [kColors,H,W] per image, in match order. */
  pixelMaps: [Float32Array, Float32Array];
  plausibility: Plausibility | null;
  /** The conservation guard: how much relevance each pass conserved, and whether that is faithful. */
  conservation: Conservation;
  timings: { forwardMs: number; relevanceMs: number; matchingMs: number; pixelMs: number; totalMs: number };
  warnings: string[];
}
