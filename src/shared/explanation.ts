import { z } from 'zod';
import { ConservationPayload } from './conservation.ts';

/**
 * An explanation as it crosses process boundaries (IPC, HTTP): plain JSON. Heat maps are small and
 * travel as numbers; pixel maps are quantised to 8 bits per map (scaled by that map's maximum) and
 * base64-encoded, which keeps a 10-match explanation at a 224-pixel input under 1 MB.
 */
export const ExplainSettings = z.object({
  layer: z.string().optional(),
  kLines: z.number().int().min(0).max(200).default(20),
  kColors: z.number().int().min(0).max(50).default(10),
});
export type ExplainSettings = z.infer<typeof ExplainSettings>;

const countLimits = (field: z.ZodDefault<z.ZodNumber>) => ({
  min: field.unwrap().minValue ?? 0,
  max: field.unwrap().maxValue ?? Number.MAX_SAFE_INTEGER,
  default: field.def.defaultValue as number,
});

/** The settings' limits and defaults as the schema above states them, for forms and command options. */
export const EXPLAIN_LIMITS = {
  kLines: countLimits(ExplainSettings.shape.kLines),
  kColors: countLimits(ExplainSettings.shape.kColors),
} as const;

export const MatchPayload = z.object({
  coord0: z.tuple([z.number(), z.number()]),
  coord1: z.tuple([z.number(), z.number()]),
  point0: z.tuple([z.number(), z.number()]),
  point1: z.tuple([z.number(), z.number()]),
  distance: z.number(),
  relevance: z.number(),
});
export type MatchPayload = z.infer<typeof MatchPayload>;

export const PlausibilityPayload = z.object({
  inlierRatio: z.number(),
  medianError: z.number(),
  matchesUsed: z.number(),
});

/** Steps 1–5: what the pair view draws first. */
export const PairMatchesPayload = z.object({
  a: z.number().int(),
  b: z.number().int(),
  model: z.string(),
  similarity: z.number(),
  layer: z.object({ key: z.string(), tensor: z.string(), channels: z.number(), height: z.number(), width: z.number() }),
  input: z.object({ width: z.number(), height: z.number() }),
  provider: z.string(),
  /** |Σ_c R| per image, row-major [h,w]. */
  relevanceMaps: z.tuple([z.array(z.number()), z.array(z.number())]),
  matches: z.array(MatchPayload),
  kLines: z.number().int(),
  plausibility: PlausibilityPayload.nullable(),
  /** The conservation guard so far: the relevance pass to the layer (pixel maps come with `pairs.pixels`). */
  conservation: ConservationPayload,
  timings: z.record(z.string(), z.number()),
});
export type PairMatchesPayload = z.infer<typeof PairMatchesPayload>;

/** Step 6: pixel relevance of the top kColors matches, per image [kColors,H,W] as 8-bit base64. */
export const PairPixelsPayload = z.object({
  a: z.number().int(),
  b: z.number().int(),
  kColors: z.number().int(),
  width: z.number().int(),
  height: z.number().int(),
  maps: z.tuple([z.string(), z.string()]),
  /** The maximum of each map before quantisation, per image. */
  maxima: z.tuple([z.array(z.number()), z.array(z.number())]),
  warnings: z.array(z.string()),
  /** The conservation guard over every pass, the pixel maps' included. */
  conservation: ConservationPayload,
  pixelMs: z.number(),
});
export type PairPixelsPayload = z.infer<typeof PairPixelsPayload>;
