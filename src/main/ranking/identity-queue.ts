import type { NeighbourEdges } from '../catalog/store/neighbours.ts';
import { logit, probability, type CalibrationWeights } from './calibration.ts';
import { Knowledge, type AnnotationFacts } from './knowledge.ts';

export interface QueueFilters {
  /** Only pair annotations of the same side, where both sides are known. */
  sameSide: boolean;
  /** Leave out two annotations of one photo. */
  excludeSameImage: boolean;
  /** Only questions about this annotation's individual (one photo against its candidates). */
  focus?: number;
}

/** One question of the queue: are these two individuals one animal? Asked through their best pair. */
export interface QueueEntry {
  a: number;
  b: number;
  similarity: number;
  plausibility: number | null;
  probability: number;
  /** Clusters (Knowledge): an individual id, or minus the annotation's id for one on its own. */
  clusterA: number;
  clusterB: number;
  sizeA: number;
  sizeB: number;
}

export interface IdentityQueue {
  entries: QueueEntry[];
  /** Pairs of individuals that the graph links and that could still be one animal. */
  open: number;
}

/**
 * The review queue over individuals: for every two individuals that the neighbour graph links and that
 * are not known to differ, the member pair that best supports "same" (highest calibrated pair score
 * among the askable edges between them), ordered by the probability that the two are one animal, most
 * probable first. One pass over the edges; cluster pairs are keyed by dense cluster numbers.
 */
export function buildIdentityQueue(
  facts: ReadonlyMap<number, AnnotationFacts>,
  knowledge: Knowledge,
  edges: NeighbourEdges,
  plausibilityOf: (a: number, b: number) => number | null,
  weights: CalibrationWeights,
  filters: QueueFilters,
): IdentityQueue {
  const dense = new Map<number, number>();
  const denseOf = (cluster: number): number => {
    let index = dense.get(cluster);
    if (index === undefined) dense.set(cluster, (index = dense.size));
    return index;
  };
  const focusCluster = filters.focus === undefined ? undefined : knowledge.clusterOf(filters.focus);
  const best = new Map<number, { edge: number; score: number; plausibility: number | null }>();
  // Cluster numbers stay below 2^26, so lo·2^26 + hi is an exact double.
  const SPAN = 2 ** 26;
  for (let edge = 0; edge < edges.a.length; edge++) {
    const a = edges.a[edge];
    const b = edges.b[edge];
    const fa = facts.get(a);
    const fb = facts.get(b);
    if (!fa || !fb) continue;
    if (filters.excludeSameImage && fa.imageId === fb.imageId) continue;
    // Flank patterns of the two sides differ; an unknown side may be either.
    if (filters.sameSide && fa.side !== null && fb.side !== null && fa.side !== fb.side) continue;
    if (!knowledge.askable(a, b)) continue;
    const ca = knowledge.clusterOf(a)!;
    const cb = knowledge.clusterOf(b)!;
    if (focusCluster !== undefined && ca !== focusCluster && cb !== focusCluster) continue;
    const plausibility = plausibilityOf(a, b);
    const score = logit(weights, { similarity: edges.similarity[edge], plausibility, sizeA: 1, sizeB: 1 });
    const da = denseOf(ca);
    const db = denseOf(cb);
    const key = da < db ? da * SPAN + db : db * SPAN + da;
    const current = best.get(key);
    if (!current || score > current.score) best.set(key, { edge, score, plausibility });
  }

  const entries: QueueEntry[] = [];
  for (const { edge, plausibility } of best.values()) {
    const a = edges.a[edge];
    const b = edges.b[edge];
    const clusterA = knowledge.clusterOf(a)!;
    const clusterB = knowledge.clusterOf(b)!;
    const sizeA = knowledge.sizeOf(clusterA);
    const sizeB = knowledge.sizeOf(clusterB);
    const similarity = edges.similarity[edge];
    entries.push({
      a,
      b,
      similarity,
      plausibility,
      probability: probability(weights, { similarity, plausibility, sizeA, sizeB }),
      clusterA,
      clusterB,
      sizeA,
      sizeB,
    });
  }
  entries.sort(
    (x, y) => y.probability - x.probability || y.similarity - x.similarity || x.a - y.a || x.b - y.b,
  );
  return { entries, open: entries.length };
}
