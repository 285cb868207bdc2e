import type { Verdict } from '../../shared/api.ts';

/** An annotation as the queue sees it. */
export interface AnnotationFacts {
  id: number;
  imageId: number;
  side: string | null;
  individualId: number | null;
}

/** A decision in force, by annotation pair, with the log-odds one answer of its reviewer carries. */
export interface DecisionInForce {
  a: number;
  b: number;
  verdict: Verdict;
  /** ln(accuracy / (1 − accuracy)) of its reviewer; DEFAULT_WEIGHT where not given. */
  weight?: number;
}

/** Answers after which a pair may be shown again through the same photos. */
export const RECENT_ANSWERS = 20;

/** ln 19: one answer of a reviewer who is right 95 % of the time. */
const DEFAULT_WEIGHT = Math.log(19);

/** Whether a pair of annotations has been answered: not at all, only "unsure", or "same"/"different". */
export const Answered = { None: 0, UnsureOnly: 1, Decided: 2 } as const;
export type Answered = (typeof Answered)[keyof typeof Answered];

/** Pairs of ids as one exact number (ids stay below 2^26): the queue's hot loop makes no strings. */
export const PAIR_BASE = 2 ** 26;
export const pairNumber = (a: number, b: number): number => (a < b ? a * PAIR_BASE + b : b * PAIR_BASE + a);

/**
 * What the catalog knows about who is who, derived from its current assignment and the answers in force,
 * so that an undo, a merge or a rename changes it with nothing else to update:
 * - every annotation belongs to one individual: the individual it is assigned to, or itself alone
 *   (a cluster: the individual's id, or minus the annotation's id);
 * - between two individuals, the net log-odds of every answer between their members (evidence, not a
 *   wall: "different" makes a question less likely to be asked again, never impossible);
 * - two individuals whose names a person gave are two animals (one name is one animal) unless duplicate
 *   names are being looked for: the only wall;
 * - a pair of annotations answered only "unsure" is not asked again; one answered "same" or "different"
 *   is asked again only when no other pair between the two individuals is left to ask.
 * Clusters are numbered densely (0, 1, …) for the queue's loop over the graph's edges.
 */
export class Knowledge {
  /** Dense cluster number per annotation id (-1: not in the catalog). */
  readonly denseByAnnotation: Int32Array;
  /** Per dense cluster: its cluster id, its size, and whether a person named it. */
  readonly clusterIds: number[] = [];
  readonly sizes: number[] = [];
  readonly named: Uint8Array;
  /** Net answers between dense clusters (pair number of the dense ids); present where any answer joins them. */
  private readonly human = new Map<number, number>();
  /** Answered annotation pairs (pair numbers) and how. */
  readonly answered = new Map<number, Answered>();
  /**
   * Pairs answered among the newest RECENT_ANSWERS answers: not shown again through the same photos yet
   * (a reviewer who just answered would see the same pair come straight back, and a second look is worth
   * more once the first has faded).
   */
  readonly recent = new Set<number>();
  /**
   * Marks that let the queue's loop skip the maps (whose keys are doubles, boxed on every lookup) for the
   * many edges that touch no answer: clusters with an answer to another cluster, annotations with an answer.
   */
  readonly hasEvidence: Uint8Array;
  readonly hasDecision: Uint8Array;
  private readonly denseByCluster = new Map<number, number>();

  constructor(
    annotations: readonly AnnotationFacts[],
    decisions: readonly DecisionInForce[],
    namedIndividuals: ReadonlySet<number>,
    readonly duplicateNames = false,
    /** How many of the newest answers hold their pairs back (0: none, as for listing disputes). */
    recentAnswers = RECENT_ANSWERS,
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
    this.hasEvidence = new Uint8Array(this.clusterIds.length);
    this.hasDecision = new Uint8Array(maxId + 1);
    if (recentAnswers > 0) decisions.slice(-recentAnswers).forEach((decision) => this.recent.add(pairNumber(decision.a, decision.b)));
    for (const decision of decisions) {
      const key = pairNumber(decision.a, decision.b);
      const before = this.answered.get(key) ?? Answered.None;
      this.answered.set(key, decision.verdict === 'unsure' ? (before === Answered.Decided ? before : Answered.UnsureOnly) : Answered.Decided);
      if (decision.a <= maxId) this.hasDecision[decision.a] = 1;
      if (decision.b <= maxId) this.hasDecision[decision.b] = 1;
      const da = this.dense(decision.a);
      const db = this.dense(decision.b);
      if (da < 0 || db < 0 || da === db) continue;
      const weight = decision.weight ?? DEFAULT_WEIGHT;
      const signed = decision.verdict === 'same' ? weight : decision.verdict === 'different' ? -weight : 0;
      const pair = pairNumber(da, db);
      this.human.set(pair, (this.human.get(pair) ?? 0) + signed);
      this.hasEvidence[da] = this.hasEvidence[db] = 1;
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

  /** Whether two different dense clusters are two animals by the names a person gave them. */
  denseWalled(da: number, db: number): boolean {
    return !this.duplicateNames && this.named[da] === 1 && this.named[db] === 1;
  }

  /** Net answers between two dense clusters, or undefined where no answer joins them. */
  denseHuman(da: number, db: number): number | undefined {
    if (this.hasEvidence[da] !== 1 || this.hasEvidence[db] !== 1) return undefined;
    return this.human.get(pairNumber(da, db));
  }

  /** Net answers between two clusters (0 where none). */
  humanBetween(clusterA: number, clusterB: number): number {
    const da = this.denseByCluster.get(clusterA);
    const db = this.denseByCluster.get(clusterB);
    if (da === undefined || db === undefined || da === db) return 0;
    return this.denseHuman(da, db) ?? 0;
  }

  /** How a pair of annotations has been answered. */
  answeredPair(a: number, b: number): Answered {
    if (a >= this.hasDecision.length || b >= this.hasDecision.length) return Answered.None;
    if (this.hasDecision[a] !== 1 || this.hasDecision[b] !== 1) return Answered.None;
    return this.answered.get(pairNumber(a, b)) ?? Answered.None;
  }

  /** Whether the queue may ask about these two annotations now (as a first question or again). */
  askable(a: number, b: number): boolean {
    const da = this.dense(a);
    const db = this.dense(b);
    if (da < 0 || db < 0 || da === db) return false;
    const state = this.answeredPair(a, b);
    if (state === Answered.UnsureOnly || (state === Answered.Decided && this.recent.has(pairNumber(a, b)))) return false;
    return !this.denseWalled(da, db);
  }
}
