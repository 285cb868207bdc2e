import { z } from 'zod';

/**
 * The team log's events, as the team store holds them and as a catalog keeps a copy of them
 * (team_events.event, JSON). Annotations are named by key (keys.ts), decisions by the uid they got where
 * they were made, never by a catalog's own ids.
 */
const uid = z.uuid();
const common = {
  uid,
  /** The catalog where it was made (its settings' team catalog id). */
  catalog: uid,
  reviewer: z.string().nullable(),
  /** When it was made, by the clock of the machine that made it (ISO-8601). */
  createdAt: z.string(),
};

export const Features = z.object({
  /** The model's identity (ModelRecord.identity) the features were computed with. */
  model: z.string(),
  similarity: z.number(),
  plausibility: z.number().nullable(),
  sizeA: z.number().int(),
  sizeB: z.number().int(),
});
export type Features = z.infer<typeof Features>;

export const DecisionEvent = z.object({
  kind: z.literal('decision'),
  ...common,
  verdict: z.enum(['same', 'different', 'unsure', 'undo']),
  merge: z.enum(['keep-a', 'keep-b']).nullable(),
  note: z.string().nullable(),
  a: z.string(),
  b: z.string(),
  /** The photos' file names where it was made (for a catalog that does not have them). */
  fileA: z.string().nullable(),
  fileB: z.string().nullable(),
  /** For an undo entry: the uid of the decision it takes back. */
  undoes: uid.nullable(),
  /** The uid of the first decision of the batch it was committed with ("none of these", a split): undone together. */
  batch: uid.nullable(),
  features: Features.nullable(),
});
export type DecisionEvent = z.infer<typeof DecisionEvent>;

/**
 * A person named an individual: the one that holds most of `members` (annotation keys, the first listed
 * deciding between equals) in each catalog, after who is who is derived there.
 */
export const RenameEvent = z.object({
  kind: z.literal('rename'),
  ...common,
  members: z.array(z.string()).min(1),
  oldName: z.string(),
  name: z.string().min(1),
});
export type RenameEvent = z.infer<typeof RenameEvent>;

/** A person's file (an import) gave this annotation this name. */
export const NameEvent = z.object({
  kind: z.literal('name'),
  ...common,
  annotation: z.string(),
  name: z.string().min(1),
});
export type NameEvent = z.infer<typeof NameEvent>;

/**
 * A person set how much a reviewer's answers weigh (Settings → Reviewers, `pairx catalog reviewers --set`):
 * part of what every catalog derives who is who from, so it travels; the newest the store received counts.
 */
export const AccuracyEvent = z.object({
  kind: z.literal('accuracy'),
  ...common,
  /** The reviewer whose answers it weighs (null: decisions recorded without a name). */
  subject: z.string().nullable(),
  /** null: estimated from the answers again. */
  accuracy: z.number().min(0).max(1).nullable(),
});
export type AccuracyEvent = z.infer<typeof AccuracyEvent>;

export const TeamEvent = z.discriminatedUnion('kind', [DecisionEvent, RenameEvent, NameEvent, AccuracyEvent]);
export type TeamEvent = z.infer<typeof TeamEvent>;

/** An event with its place in the store's receipt order. */
export interface ReceivedEvent {
  seq: number;
  event: TeamEvent;
}

/** A photo and an annotation as the store keeps them (content hash and box; no path, no pixels). */
export interface PhotoRow {
  sha256: string;
  width: number;
  height: number;
  fileName: string;
}
export interface AnnotationRow {
  key: string;
  sha256: string;
  box: { x: number; y: number; w: number; h: number } | null;
  theta: number;
  side: string | null;
}
