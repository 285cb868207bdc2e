import { z } from 'zod';

/**
 * The conservation guard of an explanation (docs/ARCHITECTURE.md, "Conservation guard"). LRP hands
 * relevance down from a seed without creating any: the relevance a pass produces sums to about what
 * its seed put in (less what biases absorb). Every explanation measures that for each of its passes —
 * the relevance at the layer against the cosine seed, each pixel map against its position seed — and
 * an explanation whose worst pass is off by more than the bound is not faithful to the model: its maps
 * are numbers the rules could not produce, and it must not be shown as if it were fine.
 */

/** One relevance pass: the sum of its seed, the sum of what came out, and the gap relative to the seed's size. */
export const PassConservation = z.object({
  /** Σ of the seed. */
  seed: z.number(),
  /** Σ of the relevance the pass produced (every channel and position, prefix tokens included); null: non-finite. */
  relevance: z.number().nullable(),
  /** |relevance − seed| / Σ|seed|; Infinity (null in JSON) where the pass produced non-finite values. */
  error: z.number().nullable(),
});
export type PassConservation = z.infer<typeof PassConservation>;

const Bounds = z.object({ layer: z.number(), pixels: z.number() });

export const ConservationPayload = z.object({
  /** Relevance at the layer against the cosine seed, per image. */
  layer: z.tuple([PassConservation, PassConservation]),
  /** Each pixel map against its position seed, per image, in match order (empty before step 6). */
  pixels: z.tuple([z.array(PassConservation), z.array(PassConservation)]),
  /** The largest error of the passes to the layer, and of the pixel maps (null: non-finite; 0 before step 6). */
  worstLayer: z.number().nullable(),
  worstPixels: z.number().nullable(),
  /** What to report: the worst error of the kind that broke its bound, else the larger of the two. */
  worst: z.number().nullable(),
  bounds: Bounds,
  faithful: z.boolean(),
  /** Where the explanation is not faithful: a layer worth trying instead. */
  suggestedLayer: z.string().optional(),
});
export type ConservationPayload = z.infer<typeof ConservationPayload>;

/**
 * The largest relative conservation errors a faithful explanation shows, per kind of pass. Measured
 * (README, "Conservation guard"): correct rules with biases stay within 0.5 on every pixel map of the
 * golden cases and the test zoo, while the failures this guard exists for put 1e2 to 1e14 times a
 * seed's relevance into a pixel map. The pass to the layer starts from the cosine seed, which the
 * embedding's ε rule divides by pre-activations near zero where the head has a bias: there correct
 * explanations reach 18 (golden vit-tiny-224, the reference's own numbers), so its bound is looser.
 */
export const CONSERVATION_BOUNDS = { layer: 100, pixels: 10 } as const;

/** How far off a pass or explanation is, for people: "×3e9", "×12", "×2.5", "40 %". */
export function describeError(error: number | null): string {
  if (error === null || !Number.isFinite(error)) return '×∞ (non-finite values)';
  if (error >= 1000) return `×${error.toExponential(0).replace('e+', 'e')}`;
  if (error >= 10) return `×${Math.round(error)}`;
  if (error >= 1) return `×${error.toFixed(1)}`;
  return `${Math.round(error * 100)} %`;
}

/** The one-line verdict on an unfaithful explanation, as the CLI, the picture and the pair view say it. */
export function unfaithfulMessage(layer: string, worst: number | null, suggestion?: string): string {
  const hint = suggestion ? `; try layer ${suggestion}` : '; try another layer';
  return `explanation not faithful at layer ${layer}: relevance ${describeError(worst)} off${hint}`;
}
