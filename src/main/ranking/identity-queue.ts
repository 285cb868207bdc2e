import type { NeighbourEdges } from '../catalog/store/neighbours.ts';
import { probability, type CalibrationWeights } from './calibration.ts';
import { Knowledge, pairNumber, type AnnotationFacts } from './knowledge.ts';

export interface QueueFilters {
  /** Only pair annotations of the same side, where both sides are known. */
  sameSide: boolean;
  /** Leave out two annotations of one photo. */
  excludeSameImage: boolean;
  /** Only questions about this annotation's individual (one photo against its candidates). */
  focus?: number;
  /** Entries wanted in order (the rest are counted and summed, not sorted); all when absent. */
  limit?: number;
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
  /** The most probable questions first (all of them, or the first `limit`). */
  entries: QueueEntry[];
  /** Questions in the whole queue: pairs of individuals the graph links that could still be one. */
  open: number;
  /** The sum of all their probabilities. */
  expectedMatches: number;
}

/**
 * The review queue over individuals: for every two individuals that the neighbour graph links and that
 * are not known to differ, the member pair that best supports "same" (the highest pair score among the
 * askable edges between them), ordered by the probability that the two are one animal. One pass over
 * the edges with typed arrays and numeric keys (no strings or objects per edge), so that a catalog of
 * 10,000 annotations (about 135,000 edges) is ordered again in a few tens of milliseconds.
 */
export function buildIdentityQueue(
  facts: ReadonlyMap<number, AnnotationFacts>,
  knowledge: Knowledge,
  edges: NeighbourEdges,
  plausibility: ReadonlyMap<number, number>,
  weights: CalibrationWeights,
  filters: QueueFilters,
  scratch: QueueScratch = new QueueScratch(),
): IdentityQueue {
  const size = knowledge.denseByAnnotation.length;
  const { imageOf, sideOf, bestEdge, bestScore, table: slotOf } = scratch.reserve(size, edges.a.length);
  const sides = new Map<string, number>();
  for (const fact of facts.values()) {
    imageOf[fact.id] = fact.imageId;
    if (fact.side !== null) {
      if (!sides.has(fact.side)) sides.set(fact.side, sides.size);
      sideOf[fact.id] = sides.get(fact.side)!;
    }
  }
  const dense = knowledge.denseByAnnotation;
  const focus = filters.focus === undefined ? -1 : knowledge.dense(filters.focus);
  const decided = knowledge.decided;
  const checkDecided = decided.size > 0;
  const { hasDecision } = knowledge;
  const checkPlausibility = plausibility.size > 0;
  const { similarity: ws, plausibility: wp, plausibilityMissing: wm, intercept, logSizes } = weights;

  let slots = 0;
  for (let edge = 0; edge < edges.a.length; edge++) {
    const a = edges.a[edge];
    const b = edges.b[edge];
    if (a >= size || b >= size) continue;
    const da = dense[a];
    const db = dense[b];
    if (da < 0 || db < 0 || da === db) continue;
    if (focus >= 0 && da !== focus && db !== focus) continue;
    if (filters.excludeSameImage && imageOf[a] === imageOf[b]) continue;
    // Flank patterns of the two sides differ; an unknown side may be either.
    if (filters.sameSide && sideOf[a] >= 0 && sideOf[b] >= 0 && sideOf[a] !== sideOf[b]) continue;
    if (knowledge.denseDifferent(da, db)) continue;
    if (checkDecided && hasDecision[a] === 1 && hasDecision[b] === 1 && decided.has(pairNumber(a, b))) continue;
    const plausible = checkPlausibility ? plausibility.get(pairNumber(a, b)) : undefined;
    // The pair's own part of the logit: intercept and sizes are the same for every pair of two clusters.
    const score = ws * edges.similarity[edge] + (plausible === undefined ? wm : wp * plausible);
    const slot = da < db ? slotOf.slot(da, db, slots) : slotOf.slot(db, da, slots);
    if (slot === slots) {
      bestEdge[slots] = edge;
      bestScore[slots] = score;
      slots++;
    } else if (score > bestScore[slot]) {
      bestEdge[slot] = edge;
      bestScore[slot] = score;
    }
  }

  const entryOf = (slot: number): QueueEntry => {
    const edge = bestEdge[slot];
    const a = edges.a[edge];
    const b = edges.b[edge];
    const da = dense[a];
    const db = dense[b];
    const similarity = edges.similarity[edge];
    const plausible = plausibility.get(pairNumber(a, b)) ?? null;
    const sizeA = knowledge.sizes[da];
    const sizeB = knowledge.sizes[db];
    return {
      a,
      b,
      similarity,
      plausibility: plausible,
      probability: probability(weights, { similarity, plausibility: plausible, sizeA, sizeB }),
      clusterA: knowledge.clusterIds[da],
      clusterB: knowledge.clusterIds[db],
      sizeA,
      sizeB,
    };
  };

  // Probabilities of every question (for the order and the expected matches), from the best pair's score.
  const probabilities = new Float64Array(slots);
  let expectedMatches = 0;
  for (let slot = 0; slot < slots; slot++) {
    const edge = bestEdge[slot];
    const sizes = knowledge.sizes[dense[edges.a[edge]]] * knowledge.sizes[dense[edges.b[edge]]];
    const z = intercept + bestScore[slot] + logSizes * Math.log(sizes);
    probabilities[slot] = 1 / (1 + Math.exp(-z));
    expectedMatches += probabilities[slot];
  }
  const before = (x: number, y: number) =>
    probabilities[y] - probabilities[x] ||
    edges.similarity[bestEdge[y]] - edges.similarity[bestEdge[x]] ||
    edges.a[bestEdge[x]] - edges.a[bestEdge[y]] ||
    edges.b[bestEdge[x]] - edges.b[bestEdge[y]];
  const order = topSlots(slots, filters.limit ?? slots, before);
  return { entries: order.map(entryOf), open: slots, expectedMatches };
}

/** The first `count` of `0…n−1` in the order `before`, without sorting all n when count is small. */
function topSlots(n: number, count: number, before: (x: number, y: number) => number): number[] {
  if (count >= n / 4)
    return Array.from({ length: n }, (_, i) => i)
      .sort(before)
      .slice(0, count);
  // A bounded heap whose root is the worst of the best so far.
  const heap: number[] = [];
  const worse = (x: number, y: number) => before(x, y) > 0;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && worse(heap[l], heap[top])) top = l;
      if (r < heap.length && worse(heap[r], heap[top])) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  };
  for (let slot = 0; slot < n; slot++) {
    if (heap.length < count) {
      heap.push(slot);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i], heap[parent])) break;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (count > 0 && before(slot, heap[0]) < 0) {
      heap[0] = slot;
      down(0);
    }
  }
  return heap.sort(before);
}

/**
 * The pass's working arrays, kept between calls by the review queue: at 100,000 annotations they are
 * about 80 MB, and allocating them on every decision made the garbage collector the slowest step.
 */
export class QueueScratch {
  imageOf = new Int32Array(0);
  sideOf = new Int32Array(0);
  bestEdge = new Int32Array(0);
  bestScore = new Float64Array(0);
  table = new PairTable(0);

  reserve(annotations: number, edges: number): QueueScratch {
    if (this.imageOf.length < annotations) {
      this.imageOf = new Int32Array(annotations);
      this.sideOf = new Int32Array(annotations);
    }
    this.sideOf.fill(-1, 0, annotations);
    if (this.bestEdge.length < Math.max(1, edges)) {
      this.bestEdge = new Int32Array(Math.max(1, edges));
      this.bestScore = new Float64Array(Math.max(1, edges));
    }
    if (!this.table.fits(edges)) this.table = new PairTable(edges);
    else this.table.clear();
    return this;
  }
}

/**
 * Pairs of small integers → slot numbers, by open addressing in typed arrays: the queue looks up one
 * pair of clusters per edge, and a Map of numbers costs several times more at a million edges.
 */
class PairTable {
  private readonly first: Int32Array;
  private readonly second: Int32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(pairs: number) {
    let capacity = 16;
    while (capacity < 2 * pairs) capacity *= 2;
    this.mask = capacity - 1;
    this.first = new Int32Array(capacity).fill(-1);
    this.second = new Int32Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  fits(pairs: number): boolean {
    return this.first.length >= 2 * pairs && this.first.length <= 8 * Math.max(16, pairs);
  }

  clear(): void {
    this.first.fill(-1);
  }

  /** The slot of (x, y); when the pair is new it gets `fresh`, which the caller then fills. */
  slot(x: number, y: number, fresh: number): number {
    let at = (Math.imul(x, 0x9e3779b1) ^ Math.imul(y, 0x85ebca77)) & this.mask;
    for (;;) {
      if (this.first[at] === -1) {
        this.first[at] = x;
        this.second[at] = y;
        this.slots[at] = fresh;
        return fresh;
      }
      if (this.first[at] === x && this.second[at] === y) return this.slots[at];
      at = (at + 1) & this.mask;
    }
  }
}
