import { CONSERVATION_BOUNDS, type ConservationPayload, type PassConservation } from '../../shared/conservation.ts';

/**
 * The conservation guard (src/shared/conservation.ts): how much relevance each pass of an explanation
 * conserves, measured on the arrays the passes produced.
 */
export type Conservation = ConservationPayload;
export type { PassConservation };

/** Σ and Σ|·| of a range, in double precision. */
function sums(values: ArrayLike<number>, from: number, to: number): { total: number; magnitude: number } {
  let total = 0;
  let magnitude = 0;
  for (let i = from; i < to; i++) {
    total += values[i];
    magnitude += Math.abs(values[i]);
  }
  return { total, magnitude };
}

/**
 * One pass's conservation: items `k` of the seed (`seedSize` values each) and of the relevance it
 * produced (`relevanceSize` each).
 */
export function passConservation(
  seed: ArrayLike<number>,
  relevance: ArrayLike<number>,
  k = 0,
  seedSize = seed.length,
  relevanceSize = relevance.length,
): PassConservation {
  const put = sums(seed, k * seedSize, (k + 1) * seedSize);
  const out = sums(relevance, k * relevanceSize, (k + 1) * relevanceSize);
  if (!Number.isFinite(out.total) || !Number.isFinite(out.magnitude)) return { seed: put.total, relevance: null, error: null };
  // A seed of nothing (a position whose activations are all zero) conserves when nothing comes out.
  const error = put.magnitude > 0 ? Math.abs(out.total - put.total) / put.magnitude : out.magnitude > 0 ? null : 0;
  return { seed: put.total, relevance: out.total, error };
}

/** The worst error of a set of passes (null: one of them produced non-finite values). */
function worstOf(passes: PassConservation[]): number | null {
  let worst = 0;
  for (const pass of passes) {
    if (pass.error === null) return null;
    worst = Math.max(worst, pass.error);
  }
  return worst;
}

export function summarise(layer: [PassConservation, PassConservation], pixels: [PassConservation[], PassConservation[]]): Conservation {
  const bounds = { ...CONSERVATION_BOUNDS };
  const worstLayer = worstOf(layer);
  const worstPixels = worstOf([...pixels[0], ...pixels[1]]);
  const layerBroken = worstLayer === null || worstLayer > bounds.layer;
  const pixelsBroken = worstPixels === null || worstPixels > bounds.pixels;
  const larger = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.max(a, b));
  const worst = layerBroken && pixelsBroken ? larger(worstLayer, worstPixels) : layerBroken ? worstLayer : pixelsBroken ? worstPixels : larger(worstLayer, worstPixels);
  return { layer, pixels, worstLayer, worstPixels, worst, bounds, faithful: !layerBroken && !pixelsBroken };
}
