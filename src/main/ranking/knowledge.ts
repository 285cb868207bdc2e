import type { Verdict } from '../../shared/api.ts';

/** An annotation as the queue sees it. */
export interface AnnotationFacts {
  id: number;
  imageId: number;
  side: string | null;
  individualId: number | null;
}

/** A decision in force (not undone), by annotation pair. */
export interface DecisionInForce {
  a: number;
  b: number;
  verdict: Verdict;
}

/** Pairs of ids as one exact number (ids stay below 2^26): the queue's hot loop makes no strings. */
export const PAIR_BASE = 2 ** 26;
export const pairNumber = (a: number, b: number): number => (a < b ? a * PAIR_BASE + b : b * PAIR_BASE + a);

/**
 * What the catalog knows about who is who, derived from its current state and its decisions in force,
 * so that an undo, a merge or a rename changes it with nothing else to update:
 * - every annotation belongs to one individual: the individual it is assigned to, or itself alone
 *   (a cluster: the individual's id, or minus the annotation's id);
 * - two individuals are known to differ when a "different" decision in force joins a member of each
 *   (a merge carries it to the merged individual; an undo takes it back), or when both have names a
 *   person gave (one name is one animal) unless duplicate names are being looked for;
 * - a pair of annotations with any decision in force ("unsure" too) is not asked again.
 * Clusters are numbered densely (0, 1, …) for the queue's loop over the graph's edges.
 */
export class Knowledge {
  /** Dense cluster number per annotation id (-1: not in the catalog). */
  readonly denseByAnnotation: Int32Array;
  /** Per dense cluster: its cluster id, its size, and whether a person named it. */
  readonly clusterIds: number[] = [];
  readonly sizes: number[] = [];
  readonly named: Uint8Array;
  /** Known-different pairs of dense clusters, and decided annotation pairs, as pair numbers. */
  private readonly different = new Set<number>();
  readonly decided = new Set<number>();
  /**
   * Marks that let the queue's loop skip the sets (whose keys are doubles, boxed on every lookup) for
   * the many edges that touch no decision: clusters with a "different" on record, annotations with a
   * decision in force.
   */
  readonly hasDifferent: Uint8Array;
  readonly hasDecision: Uint8Array;
  private readonly denseByCluster = new Map<number, number>();

  constructor(
    annotations: readonly AnnotationFacts[],
    decisions: readonly DecisionInForce[],
    namedIndividuals: ReadonlySet<number>,
    readonly duplicateNames = false,
  ) {
    let maxId = 0;
    for (const annotation of annotations) maxId = Math.max(maxId, annotation.id);
    if (maxId >= PAIR_BASE)
      throw new Error(`annotation ids above ${PAIR_BASE} are not supported by the review queue`);
    this.denseByAnnotation = new Int32Array(maxId + 1).fill(-1);
    for (const annotation of annotations) {
      const cluster = annotation.individualId ?? -annotation.id;
      let dense = this.denseByCluster.get(cluster);
      if (dense === undefined) {
        dense = this.clusterIds.length;
        this.denseByCluster.set(cluster, dense);
        this.clusterIds.push(cluster);
        this.sizes.push(0);
      }
      this.sizes[dense]++;
      this.denseByAnnotation[annotation.id] = dense;
    }
    this.named = new Uint8Array(this.clusterIds.length);
    this.clusterIds.forEach((cluster, dense) => {
      if (cluster > 0 && namedIndividuals.has(cluster)) this.named[dense] = 1;
    });
    this.hasDifferent = new Uint8Array(this.clusterIds.length);
    this.hasDecision = new Uint8Array(maxId + 1);
    for (const decision of decisions) {
      this.decided.add(pairNumber(decision.a, decision.b));
      if (decision.a <= maxId) this.hasDecision[decision.a] = 1;
      if (decision.b <= maxId) this.hasDecision[decision.b] = 1;
      if (decision.verdict !== 'different') continue;
      const da = this.dense(decision.a);
      const db = this.dense(decision.b);
      // A "different" inside one individual contradicts a later merge; the merge stands.
      if (da >= 0 && db >= 0 && da !== db) {
        this.different.add(pairNumber(da, db));
        this.hasDifferent[da] = this.hasDifferent[db] = 1;
      }
    }
  }

  /** Dense cluster number of an annotation, or -1. */
  dense(annotationId: number): number {
    return annotationId < this.denseByAnnotation.length ? this.denseByAnnotation[annotationId] : -1;
  }

  clusterOf(annotationId: number): number | undefined {
    const dense = this.dense(annotationId);
    return dense < 0 ? undefined : this.clusterIds[dense];
  }

  sizeOf(cluster: number): number {
    const dense = this.denseByCluster.get(cluster);
    return dense === undefined ? 0 : this.sizes[dense];
  }

  /** Individuals so far: each named or review-made individual, and each annotation on its own. */
  get individuals(): number {
    return this.clusterIds.length;
  }

  /** The individual id of a cluster, or null for an annotation on its own. */
  static individualOf(cluster: number): number | null {
    return cluster > 0 ? cluster : null;
  }

  /** Whether two different dense clusters are known to be two animals. */
  denseDifferent(da: number, db: number): boolean {
    if (!this.duplicateNames && this.named[da] && this.named[db]) return true;
    return this.hasDifferent[da] === 1 && this.hasDifferent[db] === 1 && this.different.has(pairNumber(da, db));
  }

  knownDifferent(clusterA: number, clusterB: number): boolean {
    const da = this.denseByCluster.get(clusterA);
    const db = this.denseByCluster.get(clusterB);
    if (da === undefined || db === undefined || da === db) return false;
    return this.denseDifferent(da, db);
  }

  /** Whether the queue may still ask about these two annotations. */
  askable(a: number, b: number): boolean {
    const da = this.dense(a);
    const db = this.dense(b);
    if (da < 0 || db < 0 || da === db) return false;
    return !this.decided.has(pairNumber(a, b)) && !this.denseDifferent(da, db);
  }
}
