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

const pairKey = (a: number, b: number): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * What the catalog knows about who is who, derived from its current state and its decisions in force,
 * so that an undo, a merge or a rename changes it with nothing else to update:
 * - every annotation belongs to one individual: the individual it is assigned to, or itself alone;
 * - two individuals are known to differ when a "different" decision in force joins a member of each
 *   (a merge carries it to the merged individual; an undo takes it back), or when both have names a
 *   person gave (one name is one animal) unless duplicate names are being looked for;
 * - a pair of annotations with any decision in force ("unsure" too) is not asked again.
 */
export class Knowledge {
  /** Cluster per annotation: its individual id, or minus its own id when it has none. */
  private readonly clusterByAnnotation = new Map<number, number>();
  private readonly sizes = new Map<number, number>();
  private readonly different = new Set<string>();
  private readonly decided = new Set<string>();

  constructor(
    annotations: readonly AnnotationFacts[],
    decisions: readonly DecisionInForce[],
    private readonly named: ReadonlySet<number>,
    private readonly duplicateNames = false,
  ) {
    for (const annotation of annotations) {
      const cluster = annotation.individualId ?? -annotation.id;
      this.clusterByAnnotation.set(annotation.id, cluster);
      this.sizes.set(cluster, (this.sizes.get(cluster) ?? 0) + 1);
    }
    for (const decision of decisions) {
      this.decided.add(pairKey(decision.a, decision.b));
      if (decision.verdict !== 'different') continue;
      const ca = this.clusterByAnnotation.get(decision.a);
      const cb = this.clusterByAnnotation.get(decision.b);
      // A "different" inside one individual contradicts a later merge; the merge stands.
      if (ca !== undefined && cb !== undefined && ca !== cb) this.different.add(pairKey(ca, cb));
    }
  }

  clusterOf(annotationId: number): number | undefined {
    return this.clusterByAnnotation.get(annotationId);
  }

  sizeOf(cluster: number): number {
    return this.sizes.get(cluster) ?? 0;
  }

  /** Individuals so far: each named or review-made individual, and each annotation on its own. */
  get individuals(): number {
    return this.sizes.size;
  }

  /** The individual id of a cluster, or null for an annotation on its own. */
  static individualOf(cluster: number): number | null {
    return cluster > 0 ? cluster : null;
  }

  knownDifferent(clusterA: number, clusterB: number): boolean {
    if (clusterA === clusterB) return false;
    if (
      !this.duplicateNames &&
      clusterA > 0 &&
      clusterB > 0 &&
      this.named.has(clusterA) &&
      this.named.has(clusterB)
    )
      return true;
    return this.different.has(pairKey(clusterA, clusterB));
  }

  /** Whether the queue may still ask about these two annotations. */
  askable(a: number, b: number): boolean {
    const ca = this.clusterByAnnotation.get(a);
    const cb = this.clusterByAnnotation.get(b);
    if (ca === undefined || cb === undefined || ca === cb) return false;
    return !this.decided.has(pairKey(a, b)) && !this.knownDifferent(ca, cb);
  }
}
