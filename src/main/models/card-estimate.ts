import { z } from 'zod';
import { ModelCardError, type ModelCard } from './model-card.ts';

const Spread = z.object({ mean: z.number(), sd: z.number(), folds: z.array(z.number()).optional() });

/**
 * `metrics.kfold` of a model card: the training recipe's rank-1 and mAP on individuals it never saw,
 * mean and sample standard deviation over folds of individuals (tools/kfold_default_model.py). A model
 * trained on every individual has no held-out set of its own, so this is its only honest figure.
 */
export const KfoldEstimateSchema = z.object({
  rank1: Spread,
  mAP: Spread,
  folds: z.number().int().positive(),
  queries: z.number().int().nonnegative().optional(),
  protocol: z.string().optional(),
});
export type KfoldEstimate = z.infer<typeof KfoldEstimateSchema>;

export function kfoldEstimate(card: ModelCard): KfoldEstimate | undefined {
  const raw = card.metrics?.kfold;
  if (raw === undefined) return undefined;
  const parsed = KfoldEstimateSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelCardError(`model card ${card.name}: invalid metrics.kfold at '${issue.path.join('.')}': ${issue.message}`);
  }
  return parsed.data;
}

const percent = (v: number) => (100 * v).toFixed(1);

export function describeKfold(estimate: KfoldEstimate): string {
  const queries = estimate.queries === undefined ? '' : `, ${estimate.queries} queries`;
  return (
    `rank-1 ${percent(estimate.rank1.mean)} ± ${percent(estimate.rank1.sd)}%, mAP ${percent(estimate.mAP.mean)} ± ` +
    `${percent(estimate.mAP.sd)}% (${estimate.folds}-fold over individuals${queries})`
  );
}

/** The individuals the model was trained on, where the card lists them. */
export function trainingIndividuals(card: ModelCard): Set<string> | undefined {
  const names = (card.training as { trainingIndividuals?: unknown } | undefined)?.trainingIndividuals;
  return Array.isArray(names) ? new Set(names.filter((n): n is string => typeof n === 'string')) : undefined;
}

/** How many of these individuals the model was trained on; null where the card does not say. */
export function seenInTraining(card: ModelCard, names: Iterable<string>): number | null {
  const trained = trainingIndividuals(card);
  return trained ? [...new Set(names)].filter((n) => trained.has(n)).length : null;
}
