import type { NeighbourEdges } from '../catalog/store/neighbours.ts';
import type { CalibrationWeights } from './calibration.ts';
import { Answered, Knowledge, pairNumber, type AnnotationFacts } from './knowledge.ts';

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

/** Why a question is asked: a first look, a pair of individuals asked again, or a join being confirmed. */
export type QuestionKind = 'new' | 'again' | 'confirm';

/** One question of the queue: are these two individuals (or the two sides of one) one animal? Asked through one pair. */
export interface QueueEntry {
  a: number;
  b: number;
  similarity: number;
  plausibility: number | null;
  /** The posterior probability that the two are one animal (model and answers together). */
  probability: number;
  /**
   * The order of the queue: a first question's probability; for a question asked again, the expected
   * number of photo links it changes (probability × the links at stake), so that a doubtful join of large
   * individuals comes before a doubtful join of single photos.
   */
  priority: number;
  kind: QuestionKind;
  /** Net answers (log-odds) between the two sides. */
  human: number;
  /** Clusters (Knowledge): an individual id, or minus the annotation's id for one on its own. */
  clusterA: number;
  clusterB: number;
  sizeA: number;
  sizeB: number;
  /** A confirmation: the two sides of the individual (annotation ids) the question is about. */
  sides?: { side: number[]; rest: number[] };
  /** The pair has been answered before: this is a second look at the same photos. */
  repeated: boolean;
}

/** A join of one individual that the evidence holds weakly, with the pair that asks about it. */
export interface Confirmation {
  cluster: number;
  side: number[];
  rest: number[];
  /** Posterior log-odds that the two sides are one animal. */
  logOdds: number;
  human: number;
  a: number;
  b: number;
  similarity: number;
  repeated: boolean;
}

export interface IdentityQueue {
  /** The questions first to ask (all of them, or the first `limit`). */
  entries: QueueEntry[];
  /** Questions in the whole queue: pairs of individuals the graph links that could still be one, and joins to confirm. */
  open: number;
  /** The sum of the probabilities of the pairs of individuals that could still be one. */
  expectedMatches: number;
  /** Pairs of individuals no answer joins yet (first questions): when none is left, the graph is searched wider. */
  fresh: number;
}

/** A question asked again through the same photos counts for less than one through photos nobody compared yet. */
const REPEAT_FACTOR = 0.5;

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/**
 * The review queue over individuals: for every two individuals that the neighbour graph links and that no
 * person's names keep apart, the member pair that best supports "same" (the highest pair score among the
 * edges nobody answered yet, else among those answered "same" or "different"), with the posterior
 * probability that the two are one animal (the calibrated model plus every answer between them); and the
 * joins of individuals that the evidence holds weakly (`confirmations`). First questions are ordered by
 * probability, questions asked again by the links at stake. One pass over the edges with typed arrays and
 * numeric keys (no strings or objects per edge), so that a catalog of 10,000 annotations (about 135,000
 * edges) is ordered again in a few tens of milliseconds.
 */
export function buildIdentityQueue(
  facts: ReadonlyMap<number, AnnotationFacts>,
  knowledge: Knowledge,
  edges: NeighbourEdges,
  plausibility: ReadonlyMap<number, number>,
  weights: CalibrationWeights,
  filters: QueueFilters,
  scratch: QueueScratch = new QueueScratch(),
  confirmations: readonly Confirmation[] = [],
): IdentityQueue {
  const size = knowledge.denseByAnnotation.length;
  const { imageOf, sideOf, bestEdge, bestScore, bestRepeated, table: slotOf } = scratch.reserve(size, edges.a.length + confirmations.length);
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
  const { hasDecision, answered } = knowledge;
  const checkAnswered = answered.size > 0;
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
    if (knowledge.denseWalled(da, db)) continue;
    let repeated = 0;
    if (checkAnswered && hasDecision[a] === 1 && hasDecision[b] === 1) {
      const state = answered.get(pairNumber(a, b));
      if (state === Answered.UnsureOnly) continue;
      if (state === Answered.Decided) {
        if (knowledge.recent.has(pairNumber(a, b))) continue;
        repeated = 1;
      }
    }
    const plausible = checkPlausibility ? plausibility.get(pairNumber(a, b)) : undefined;
    // The pair's own part of the logit: intercept and sizes are the same for every pair of two clusters.
    const score = ws * edges.similarity[edge] + (plausible === undefined ? wm : wp * plausible);
    const slot = da < db ? slotOf.slot(da, db, slots) : slotOf.slot(db, da, slots);
    if (slot === slots) {
      bestEdge[slots] = edge;
      bestScore[slots] = score;
      bestRepeated[slots] = repeated;
      slots++;
    } else if (repeated < bestRepeated[slot] || (repeated === bestRepeated[slot] && score > bestScore[slot])) {
      // A pair nobody answered beats any answered one: a new look at other photos of the same two.
      bestEdge[slot] = edge;
      bestScore[slot] = score;
      bestRepeated[slot] = repeated;
    }
  }

  // Each question's posterior and priority, from the best pair's score and the answers between the two.
  const { probabilities, priorities, humans, asked } = scratch;
  let expectedMatches = 0;
  let fresh = 0;
  for (let slot = 0; slot < slots; slot++) {
    const edge = bestEdge[slot];
    const da = dense[edges.a[edge]];
    const db = dense[edges.b[edge]];
    const sizes = knowledge.sizes[da] * knowledge.sizes[db];
    const human = knowledge.denseHuman(da, db);
    humans[slot] = human ?? 0;
    asked[slot] = human === undefined ? 0 : 1;
    if (!asked[slot]) fresh++;
    const z = intercept + bestScore[slot] + logSizes * Math.log(sizes) + humans[slot];
    probabilities[slot] = sigmoid(z);
    expectedMatches += probabilities[slot];
    const priority = asked[slot] ? probabilities[slot] * sizes : probabilities[slot];
    priorities[slot] = bestRepeated[slot] ? priority * REPEAT_FACTOR : priority;
  }
  confirmations.forEach((confirmation, i) => {
    const doubt = sigmoid(-confirmation.logOdds) * confirmation.side.length * confirmation.rest.length;
    priorities[slots + i] = confirmation.repeated ? doubt * REPEAT_FACTOR : doubt;
  });

  const entryOf = (index: number): QueueEntry => {
    if (index >= slots) {
      const confirmation = confirmations[index - slots];
      const cluster = knowledge.clusterOf(confirmation.a)!;
      const denseCluster = knowledge.dense(confirmation.a);
      return {
        a: confirmation.a,
        b: confirmation.b,
        similarity: confirmation.similarity,
        plausibility: plausibility.get(pairNumber(confirmation.a, confirmation.b)) ?? null,
        probability: sigmoid(confirmation.logOdds),
        priority: priorities[index],
        kind: 'confirm',
        human: confirmation.human,
        clusterA: cluster,
        clusterB: cluster,
        sizeA: knowledge.sizes[denseCluster],
        sizeB: knowledge.sizes[denseCluster],
        sides: { side: confirmation.side, rest: confirmation.rest },
        repeated: confirmation.repeated,
      };
    }
    const edge = bestEdge[index];
    const a = edges.a[edge];
    const b = edges.b[edge];
    const da = dense[a];
    const db = dense[b];
    return {
      a,
      b,
      similarity: edges.similarity[edge],
      plausibility: plausibility.get(pairNumber(a, b)) ?? null,
      probability: probabilities[index],
      priority: priorities[index],
      kind: asked[index] ? 'again' : 'new',
      human: humans[index],
      clusterA: knowledge.clusterIds[da],
      clusterB: knowledge.clusterIds[db],
      sizeA: knowledge.sizes[da],
      sizeB: knowledge.sizes[db],
      repeated: bestRepeated[index] === 1,
    };
  };

  const total = slots + confirmations.length;
  const firstOf = (index: number) => (index < slots ? edges.a[bestEdge[index]] : confirmations[index - slots].a);
  const secondOf = (index: number) => (index < slots ? edges.b[bestEdge[index]] : confirmations[index - slots].b);
  const before = (x: number, y: number) =>
    priorities[y] - priorities[x] || firstOf(x) - firstOf(y) || secondOf(x) - secondOf(y);
  const order = topSlots(total, filters.limit ?? total, before);
  return { entries: order.map(entryOf), open: total, expectedMatches, fresh };
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
  bestRepeated = new Uint8Array(0);
  probabilities = new Float64Array(0);
  priorities = new Float64Array(0);
  humans = new Float64Array(0);
  asked = new Uint8Array(0);
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
      this.bestRepeated = new Uint8Array(Math.max(1, edges));
      this.probabilities = new Float64Array(Math.max(1, edges));
      this.priorities = new Float64Array(Math.max(1, edges));
      this.humans = new Float64Array(Math.max(1, edges));
      this.asked = new Uint8Array(Math.max(1, edges));
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
