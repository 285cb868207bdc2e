import type { EmbedSummary, Issue } from '../../shared/api.ts';
import { trackJob, type JobControls } from '../jobs/tracked-job.ts';
import type { EmbedItem, Embedder } from './embedder.ts';
import { absolutePath } from './layout.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { ModelRecord, PendingAnnotation } from './store/embeddings.ts';

export interface EmbedOptions extends JobControls {
  embedder: Embedder;
  batchSize?: number;
}

/** The model the catalog used last, for commands that do not name one. */
export const ACTIVE_MODEL_SETTING = 'activeModel';

const toItem = (root: string, pending: PendingAnnotation): EmbedItem => ({
  path: absolutePath(root, pending.imagePath),
  ...(pending.box ? { crop: { ...pending.box, theta: pending.theta } } : {}),
});

/** Why a vector cannot be stored, or null when it can. Cosine distance is undefined for a zero vector. */
function vectorProblem(vector: Float32Array | undefined, dim: number): string | null {
  if (!(vector instanceof Float32Array)) return 'the embedder returned no vector';
  if (vector.length !== dim) return `the embedder returned ${vector.length} values instead of ${dim}`;
  let norm = 0;
  for (const value of vector) {
    if (!Number.isFinite(value)) return 'the embedder returned a non-finite value';
    norm += value * value;
  }
  return norm > 0 ? null : 'the embedder returned a zero vector';
}

/**
 * Stores one vector per annotation for the embedder's model, in batches, each batch committed on its
 * own. Annotations that already have a vector from this model are skipped, so a run that was
 * interrupted resumes where it stopped. When a batch fails, its items are retried one by one so that
 * one unreadable photo costs only its own annotation.
 */
export async function embedAnnotations(store: CatalogStore, options: EmbedOptions): Promise<EmbedSummary> {
  const { embedder, signal } = options;
  const batchSize = Math.max(1, options.batchSize ?? 16);
  const model = store.transaction(() => {
    const registered = store.embeddings.register(embedder.modelId, embedder.dim);
    store.settings.set(ACTIVE_MODEL_SETTING, registered.identity);
    return registered;
  });

  return trackJob(store.jobs, 'embed', { model: model.identity, batchSize }, options, async (report) => {
    const summary: EmbedSummary = {
      model: model.identity,
      dim: model.dim,
      embedded: 0,
      skipped: store.embeddings.count(model.id),
      failed: 0,
      issues: [],
      cancelled: false,
    };
    const total = store.embeddings.pendingCount(model.id);
    report({ phase: 'embed', done: 0, total });
    // Walk by id so that annotations failing in this run are not fetched again and again.
    let afterId = 0;
    while (!signal?.aborted) {
      const batch = store.embeddings.pending(model.id, afterId, batchSize);
      if (batch.length === 0) break;
      afterId = batch[batch.length - 1].annotationId;
      const vectors = await embedBatch(store, model, embedder, batch, summary.issues);
      store.transaction(() => {
        batch.forEach((pending, i) => {
          const vector = vectors[i];
          if (vector === null) summary.failed++;
          else {
            store.embeddings.insert(model, pending.annotationId, vector);
            summary.embedded++;
          }
        });
      });
      report({ phase: 'embed', done: summary.embedded + summary.failed, total, item: batch[batch.length - 1].imagePath });
    }
    if (signal?.aborted) return { ...summary, cancelled: true };
    report({ phase: 'index', done: 0, total: null });
    store.embeddings.refreshSignIndex(model);
    return summary;
  });
}

/** Vectors for a batch, null where an item failed (with an issue recorded). */
async function embedBatch(store: CatalogStore, model: ModelRecord, embedder: Embedder, batch: PendingAnnotation[], issues: Issue[]): Promise<(Float32Array | null)[]> {
  const checked = (pending: PendingAnnotation, vector: Float32Array | undefined): Float32Array | null => {
    const problem = vectorProblem(vector, model.dim);
    if (problem === null) return vector!;
    issues.push({ file: pending.imagePath, message: `annotation ${pending.annotationId}: ${problem}` });
    return null;
  };
  try {
    const vectors = await embedder.embed(batch.map((pending) => toItem(store.root, pending)));
    return batch.map((pending, i) => checked(pending, vectors[i]));
  } catch (error) {
    if (batch.length === 1) {
      issues.push({ file: batch[0].imagePath, message: `annotation ${batch[0].annotationId}: ${(error as Error).message.split('\n')[0]}` });
      return [null];
    }
    const vectors: (Float32Array | null)[] = [];
    for (const pending of batch) vectors.push(...(await embedBatch(store, model, embedder, [pending], issues)));
    return vectors;
  }
}
