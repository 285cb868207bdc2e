import type { ApiParsedArgs, Candidate } from '../../shared/api.ts';
import { CatalogError } from '../catalog/errors.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import { MAX_KNN, type ModelRecord } from '../catalog/store/embeddings.ts';
import { allNearest, normaliseRows } from './all-nearest.ts';

export type CandidateOptions = ApiParsedArgs<'pairs.candidates'>;

/** A pair of the plain pair queue, before the review queue adds what it knows of the two individuals. */
export interface PlainPair {
  a: number;
  b: number;
  similarity: number;
  plausibility: number | null;
}

export interface PlainQueue {
  queue: PlainPair[];
  perAnnotation: { annotationId: number; candidates: Candidate[] }[];
}

interface Facts {
  imageId: number;
  side: string | null;
  individualId: number | null;
}

/**
 * Decides which neighbours may be proposed to a query annotation. Facts are read once per annotation
 * and kept, since the same annotations come back as neighbours of many queries.
 */
class CandidateFilter {
  private readonly facts = new Map<number, Facts>();
  /** Decided pairs as "min:max" keys; for a single query only its own (cheaper than the whole log). */
  private readonly decided: Set<string> | null;

  constructor(
    private readonly store: CatalogStore,
    private readonly options: CandidateOptions,
  ) {
    if (!options.excludeDecided) this.decided = null;
    else if (options.annotationId === undefined) this.decided = store.decisions.decidedPairKeys();
    else {
      const query = options.annotationId;
      this.decided = new Set(
        [...store.decisions.decidedPartners(query)].map(
          (other) => `${Math.min(query, other)}:${Math.max(query, other)}`,
        ),
      );
    }
  }

  load(ids: number[]): void {
    const missing = ids.filter((id) => !this.facts.has(id));
    if (missing.length > 0)
      for (const [id, facts] of this.store.annotations.facts(missing)) this.facts.set(id, facts);
  }

  allows(query: number, other: number): boolean {
    if (query === other) return false;
    const a = this.facts.get(query)!;
    const b = this.facts.get(other)!;
    const { options } = this;
    if (options.excludeSameImage && a.imageId === b.imageId) return false;
    // Flank patterns of the two sides differ; an unknown side may be either.
    if (options.sameSide && a.side !== null && b.side !== null && a.side !== b.side) return false;
    if (options.excludeSameName && a.individualId !== null && a.individualId === b.individualId) return false;
    if (this.decided?.has(`${Math.min(query, other)}:${Math.max(query, other)}`)) return false;
    return true;
  }
}

/**
 * The k most similar allowed annotations to one annotation, by cosine similarity through a sqlite-vec
 * KNN query. Filters run after the query, so it fetches more than k and fetches again, wider, when the
 * filters left fewer than k.
 */
function candidatesOf(
  store: CatalogStore,
  model: ModelRecord,
  annotationId: number,
  filter: CandidateFilter,
  k: number,
): Candidate[] {
  const vector = store.embeddings.vector(model, annotationId);
  if (!vector)
    throw new CatalogError(
      `annotation ${annotationId} has no vector from ${model.identity} (run \`pairx catalog embed\`)`,
    );
  // Twice k covers the usual filters (the same photo, the other side); the loop widens when it does not.
  let fetch = Math.min(MAX_KNN, 2 * k + 8);
  for (;;) {
    const neighbours = store.embeddings.nearest(model, vector, fetch);
    filter.load([annotationId, ...neighbours.map((neighbour) => neighbour.annotationId)]);
    const allowed = neighbours
      .filter((neighbour) => filter.allows(annotationId, neighbour.annotationId))
      .slice(0, k);
    const exhausted = neighbours.length < fetch || fetch >= MAX_KNN;
    if (allowed.length >= k || exhausted)
      return allowed.map((neighbour) => ({
        annotationId: neighbour.annotationId,
        similarity: 1 - neighbour.distance,
      }));
    fetch = Math.min(MAX_KNN, fetch * 4);
  }
}

/**
 * Every embedded annotation's candidates, from exact searches of all against all (all-nearest.ts).
 * Filters run after the search, as in candidatesOf; the annotations whose neighbours the filters mostly
 * removed (many photos of one individual, already named) are searched again, wider, together.
 */
async function candidatesOfAll(store: CatalogStore, model: ModelRecord, filter: CandidateFilter, k: number) {
  const { annotationIds, vectors } = store.embeddings.allVectors(model);
  filter.load(annotationIds);
  const unit = normaliseRows(vectors, model.dim);
  const found = new Map<number, Candidate[]>();
  let pending = annotationIds.map((_, row) => row);
  // Its own vector comes back among them, hence one more than candidatesOf fetches.
  let fetch = 2 * k + 9;
  while (pending.length > 0) {
    const nearest = await allNearest(unit, model.dim, fetch, pending);
    const wider: number[] = [];
    pending.forEach((row, r) => {
      const query = annotationIds[row];
      const candidates: Candidate[] = [];
      for (let j = 0; j < nearest.fetch && candidates.length < k; j++) {
        const other = annotationIds[nearest.indices[r * nearest.fetch + j]];
        if (filter.allows(query, other))
          candidates.push({ annotationId: other, similarity: nearest.similarities[r * nearest.fetch + j] });
      }
      if (candidates.length >= k || nearest.fetch >= annotationIds.length) found.set(row, candidates);
      else wider.push(row);
    });
    pending = wider;
    fetch *= 4;
  }
  return annotationIds.map((annotationId, row) => ({ annotationId, candidates: found.get(row)! }));
}

/**
 * Candidates per annotation (one, or every annotation with a vector from the model) and the review
 * queue: each unordered pair once, by similarity or by stored plausibility (pairs without one after,
 * by similarity). The queue's similarities are stored so the plausibility pass knows which pairs to score.
 */
export async function findCandidates(
  store: CatalogStore,
  model: ModelRecord,
  options: CandidateOptions,
): Promise<PlainQueue> {
  const filter = new CandidateFilter(store, options);
  const perAnnotation =
    options.annotationId !== undefined
      ? [
          {
            annotationId: options.annotationId,
            candidates: candidatesOf(store, model, options.annotationId, filter, options.k),
          },
        ]
      : await candidatesOfAll(store, model, filter, options.k);

  const pairs = new Map<string, PlainPair>();
  for (const { annotationId, candidates } of perAnnotation) {
    for (const candidate of candidates) {
      const a = Math.min(annotationId, candidate.annotationId);
      const b = Math.max(annotationId, candidate.annotationId);
      if (!pairs.has(`${a}:${b}`))
        pairs.set(`${a}:${b}`, { a, b, similarity: candidate.similarity, plausibility: null });
    }
  }
  const queue = [...pairs.values()];
  // A read-only connection (a second window) still gets its queue; the writer stores it.
  if (!store.db.readonly) store.pairs.upsertSimilarities(model.id, queue);
  for (const pair of queue)
    pair.plausibility = store.pairs.get(model.id, pair.a, pair.b)?.plausibility ?? null;

  const bySimilarity = (x: PlainPair, y: PlainPair) => y.similarity - x.similarity || x.a - y.a || x.b - y.b;
  const byPlausibility = (x: PlainPair, y: PlainPair) => {
    if (x.plausibility !== null && y.plausibility !== null)
      return y.plausibility - x.plausibility || bySimilarity(x, y);
    if (x.plausibility !== null) return -1;
    if (y.plausibility !== null) return 1;
    return bySimilarity(x, y);
  };
  queue.sort(options.rerank === 'plausibility' ? byPlausibility : bySimilarity);
  return { queue: options.limit ? queue.slice(0, options.limit) : queue, perAnnotation };
}
