import type { CatalogEvaluation } from '../shared/api.ts';
import type { CatalogStore } from './catalog/store/catalog-store.ts';
import type { ModelRecord } from './catalog/store/embeddings.ts';
import { seenInTraining } from './models/card-estimate.ts';
import type { ModelRegistry } from './models/model-registry.ts';
import { reidMetrics } from './pairx/evaluation.ts';

/**
 * rank-1 and mAP of a model's stored vectors over the catalog's named annotations, each a query
 * against the others of its side or viewpoint (pairx/evaluation.ts, as `pairx evaluate` measures photo
 * folders), with how many of the individuals the model's card says it was trained on.
 */
export async function evaluateCatalog(store: CatalogStore, model: ModelRecord, models: ModelRegistry): Promise<CatalogEvaluation> {
  const labelled = store.embeddings.labelled(model);
  const items = labelled.flatMap(({ name, side, vector }) => (vector ? [{ name, side, embedding: vector }] : []));
  const metrics = reidMetrics(items);
  const names = new Set(items.map((item) => item.name));
  return {
    model: model.identity,
    rank1: metrics.rank1,
    mAP: metrics.mAP,
    queries: metrics.queries,
    skipped: metrics.skipped,
    annotations: items.length,
    individuals: names.size,
    notEmbedded: labelled.length - items.length,
    individualsSeenInTraining: await trainedOn(models, model.identity, names),
  };
}

/** How many of these individuals a known model's card says it was trained on; null where none says. */
async function trainedOn(models: ModelRegistry, identity: string, names: Set<string>): Promise<number | null> {
  for (const path of models.paths()) {
    try {
      const loaded = await models.load(path);
      if (loaded.id === identity) return seenInTraining(loaded.card, names);
    } catch {
      // a model that does not load here says nothing about this one
    }
  }
  return null;
}
