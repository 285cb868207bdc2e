import { createGeneratedIndividual } from '../catalog/decisions.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { DecisionInForceRow, Effect } from '../catalog/store/decisions.ts';
import type { ModelRecord } from '../catalog/store/embeddings.ts';
import { logit, type CalibrationWeights } from './calibration.ts';
import { ACCURACY_RANGE, DEFAULT_ACCURACY, HumanEvidence, answerWeight, type Answer } from './evidence.ts';
import type { Confirmation } from './identity-queue.ts';
import { Answered, type AnnotationFacts, type Knowledge } from './knowledge.ts';
import { componentAround, components, resolveComponent, type Cut, type GroupStats, type ResolveModel, type ResolvedCluster } from './resolve.ts';

/**
 * The identity service: keeps the catalog's assignment of annotations to individuals equal to what the
 * evidence supports best (ranking/resolve.ts), writing every change of it to the log as the effect of the
 * decision that caused it. Reviewers' answers weigh as much as their accuracy says: the accuracy a person
 * set for a reviewer, else one estimated from how often the reviewer's answers agree with what the
 * evidence as a whole decided (a Beta prior of ESTIMATE_PRIOR_ANSWERS answers at DEFAULT_ACCURACY, so that
 * a few answers move it little).
 */

/** Where a person's setting of a reviewer's accuracy is kept ('' for decisions without a reviewer). */
export const reviewerAccuracyKey = (reviewer: string | null): string => `reviewerAccuracy:${reviewer ?? ''}`;
/** The accuracies the stored assignment was derived with. */
const ACCURACIES_IN_USE = 'evidenceAccuracies';
const ESTIMATE_PRIOR_ANSWERS = 50;
/** Estimates are kept in steps of this size, so that the assignment is derived again only when one moves. */
const ESTIMATE_STEP = 0.005;
const ESTIMATE_RANGE = { min: 0.7, max: 0.995 } as const;

export interface ReviewerAccuracy {
  reviewer: string | null;
  /** "same" and "different" answers in force. */
  answers: number;
  /** Of those, answers the evidence as a whole now contradicts. */
  overturned: number;
  /** The estimate from those counts. */
  estimate: number;
  /** The accuracy a person set, if any. */
  set: number | null;
  /** What the evidence model uses: the set accuracy, else the estimate. */
  inUse: number;
}

/** The model's side of the evidence: the active model's vectors and the calibration fitted for it. */
export interface ModelEvidence {
  model: ModelRecord;
  weights: CalibrationWeights;
}

export interface Resolution {
  /** Annotations whose individual changed. */
  changed: number;
  /** The clusters of the re-derived region. */
  clusters: ResolvedCluster[];
}

/** Posterior log-odds below which a join is asked about again (about 99.6 %: two answers beyond the model's doubt). */
export const CONFIRM_THRESHOLD = 5.5;

/**
 * The model is never surer than this (log-odds, about 99.3 %): a calibration fitted on a few answers, or a
 * generic one, can say 10⁻⁵ for a pair a person recognises at once; two answers always outweigh it.
 */
export const MODEL_CONFIDENCE_LIMIT = 5;

/** Cut lists kept (a catalog of 100,000 annotations has about 20,000 individuals). */
const CUT_CACHE_LIMIT = 50_000;

const quantise = (accuracy: number): number => Math.round(accuracy / ESTIMATE_STEP) * ESTIMATE_STEP;

export class Identities {
  /** Weakest cuts of multi-seed clusters, by the cluster's sorted member list, with what they were computed from. */
  private readonly cutCache = new Map<string, Cut[]>();
  /** The pair each weak cut is asked through, by the same key (dropped with the cuts). */
  private readonly pairCache = new Map<string, { a: number; b: number; similarity: number; repeated: boolean } | null>();

  constructor(
    private readonly store: CatalogStore,
    private readonly modelEvidence: () => ModelEvidence | null,
  ) {}

  /** The accuracies the assignment was derived with (defaults where none is stored yet). */
  private accuraciesInUse(): Record<string, number> {
    return this.store.settings.get<Record<string, number>>(ACCURACIES_IN_USE) ?? {};
  }

  /** The accuracy a reviewer's answers weigh with now. */
  accuracy(reviewer: string | null): number {
    return this.accuracyOf(reviewer, this.accuraciesInUse());
  }

  /** A short key of every accuracy in use, for caches of what depends on them. */
  accuracyKey(): string {
    return JSON.stringify(this.accuraciesInUse());
  }

  private accuracyOf(reviewer: string | null, inUse: Record<string, number>): number {
    const set = this.store.settings.get<number>(reviewerAccuracyKey(reviewer));
    if (typeof set === 'number') return set;
    return inUse[reviewer ?? ''] ?? DEFAULT_ACCURACY;
  }

  /** The decisions in force as weighted answers. */
  answers(rows: readonly DecisionInForceRow[] = this.store.decisions.inForce(), inUse = this.accuraciesInUse()): Answer[] {
    const weights = new Map<string, number>();
    return rows.map((row) => {
      const key = row.reviewer ?? '';
      let weight = weights.get(key);
      if (weight === undefined) {
        weight = answerWeight(this.accuracyOf(row.reviewer, inUse));
        weights.set(key, weight);
      }
      return { decisionId: row.id, a: row.a, b: row.b, verdict: row.verdict, reviewer: row.reviewer, weight };
    });
  }

  evidence(): HumanEvidence {
    return new HumanEvidence(this.answers());
  }

  /** Each reviewer's answers, how many the evidence overturns, and the accuracy in use. */
  reviewers(): ReviewerAccuracy[] {
    const facts = this.store.annotations.allFacts();
    const inUse = this.accuraciesInUse();
    const counts = new Map<string, { reviewer: string | null; answers: number; overturned: number }>();
    for (const row of this.store.decisions.inForce()) {
      if (row.verdict === 'unsure') continue;
      const key = row.reviewer ?? '';
      const entry = counts.get(key) ?? { reviewer: row.reviewer, answers: 0, overturned: 0 };
      const ia = facts.get(row.a)?.individualId ?? null;
      const ib = facts.get(row.b)?.individualId ?? null;
      const together = ia !== null && ia === ib;
      entry.answers++;
      if ((row.verdict === 'same') !== together) entry.overturned++;
      counts.set(key, entry);
    }
    for (const key of Object.keys(inUse)) if (!counts.has(key)) counts.set(key, { reviewer: key === '' ? null : key, answers: 0, overturned: 0 });
    return [...counts.values()]
      .map((entry) => {
        const estimate = quantise(
          Math.min(
            ESTIMATE_RANGE.max,
            Math.max(
              ESTIMATE_RANGE.min,
              (entry.answers - entry.overturned + ESTIMATE_PRIOR_ANSWERS * DEFAULT_ACCURACY) / (entry.answers + ESTIMATE_PRIOR_ANSWERS),
            ),
          ),
        );
        const set = this.store.settings.get<number>(reviewerAccuracyKey(entry.reviewer));
        return { ...entry, estimate, set: typeof set === 'number' ? set : null, inUse: typeof set === 'number' ? set : estimate };
      })
      .sort((x, y) => (x.reviewer ?? '').localeCompare(y.reviewer ?? ''));
  }

  /** A person sets (or, with null, clears) a reviewer's accuracy; the assignment is derived again. */
  setAccuracy(reviewer: string | null, accuracy: number | null, cause: number | null): Resolution {
    if (accuracy !== null && !(accuracy >= ACCURACY_RANGE.min && accuracy <= ACCURACY_RANGE.max))
      throw new RangeError(`an accuracy must be between ${ACCURACY_RANGE.min} and ${ACCURACY_RANGE.max}`);
    this.store.settings.set(reviewerAccuracyKey(reviewer), accuracy);
    return this.resolveAll(cause);
  }

  /**
   * After the log changed around some annotations (a decision, an undo, a name given): re-derives their
   * components, then the reviewers' estimates; where an estimate moved, everything is derived again with
   * it (every answer of that reviewer weighs differently now).
   */
  afterChange(annotationIds: readonly number[], cause: number | null): Resolution {
    const local = this.resolveAround(annotationIds, cause);
    if (!this.refreshEstimates()) return local;
    const all = this.resolveAll(cause);
    return { changed: local.changed + all.changed, clusters: local.clusters };
  }

  /** Stores the reviewers' current estimates as the ones in use; answers whether any moved. */
  private refreshEstimates(): boolean {
    const inUse = this.accuraciesInUse();
    const next: Record<string, number> = {};
    let moved = false;
    for (const reviewer of this.reviewers()) {
      const key = reviewer.reviewer ?? '';
      next[key] = reviewer.estimate;
      if (Math.abs((inUse[key] ?? DEFAULT_ACCURACY) - reviewer.estimate) > 1e-9) moved = true;
    }
    if (moved || Object.keys(next).length !== Object.keys(inUse).length) this.store.settings.set(ACCURACIES_IN_USE, next);
    return moved;
  }

  /** Re-derives the components around these annotations. */
  resolveAround(annotationIds: readonly number[], cause: number | null): Resolution {
    const evidence = this.evidence();
    const given = this.store.annotations.givenIndividuals();
    const seedOf = (id: number) => given.get(id) ?? null;
    const members = new Set<number>();
    // The annotations' current individuals too: an answer taken back may leave them apart.
    const facts = this.store.annotations.allFacts();
    const start = new Set<number>(annotationIds);
    for (const id of annotationIds) {
      const individual = facts.get(id)?.individualId ?? null;
      if (individual === null) continue;
      for (const member of this.store.annotations.byIndividual(individual)) start.add(member.id);
    }
    const byGiven = new Map<number, number[]>();
    for (const [id, seed] of given) byGiven.set(seed, [...(byGiven.get(seed) ?? []), id]);
    for (const id of componentAround(start, seedOf, (seed) => byGiven.get(seed) ?? [], evidence)) members.add(id);
    const regions = components(members, seedOf, evidence);
    return this.write(regions, evidence, seedOf, cause);
  }

  /** Re-derives every annotation's individual from the whole log (after a sync, a changed accuracy). */
  resolveAll(cause: number | null): Resolution {
    const evidence = this.evidence();
    const given = this.store.annotations.givenIndividuals();
    const seedOf = (id: number) => given.get(id) ?? null;
    const regions = components(this.store.annotations.allFacts().keys(), seedOf, evidence);
    return this.write(regions, evidence, seedOf, cause ?? this.store.decisions.newestId() ?? null);
  }

  /** The model's side of the resolver: cosine similarities of stored vectors and the calibrated log-odds. */
  private resolveModel(): ResolveModel {
    const evidence = this.modelEvidence();
    if (!evidence) return { similarity: () => undefined, logOdds: () => 0 };
    const vectors = new Map<number, Float32Array | null>();
    const vectorOf = (id: number) => {
      if (!vectors.has(id)) vectors.set(id, this.store.embeddings.vector(evidence.model, id) ?? null);
      return vectors.get(id)!;
    };
    return {
      similarity(a, b) {
        const x = vectorOf(a);
        const y = vectorOf(b);
        if (!x || !y) return undefined;
        let dot = 0;
        let nx = 0;
        let ny = 0;
        for (let i = 0; i < x.length; i++) {
          dot += x[i] * y[i];
          nx += x[i] * x[i];
          ny += y[i] * y[i];
        }
        return dot / Math.sqrt(nx * ny || 1);
      },
      logOdds: (stats: GroupStats) =>
        Math.max(
          -MODEL_CONFIDENCE_LIMIT,
          Math.min(MODEL_CONFIDENCE_LIMIT, logit(evidence.weights, { similarity: stats.maxSimilarity, plausibility: null, sizeA: stats.sizeA, sizeB: stats.sizeB })),
        ),
    };
  }

  /** Resolves the regions and writes the assignment they give, with the effects, against `cause`. */
  private write(regions: number[][], evidence: HumanEvidence, seedOf: (id: number) => number | null, cause: number | null): Resolution {
    const model = this.resolveModel();
    const clusters: ResolvedCluster[] = [];
    for (const region of regions) {
      if (region.length === 1) {
        clusters.push({ members: region, seeds: seedOf(region[0]) === null ? [] : [seedOf(region[0])!], cuts: [] });
        continue;
      }
      clusters.push(...resolveComponent({ members: region, seedOf, evidence, model }));
    }
    if (this.cutCache.size > CUT_CACHE_LIMIT) this.cutCache.clear();
    for (const cluster of clusters) {
      const key = cluster.members.join(',');
      this.cutCache.set(key, cluster.cuts);
      this.pairCache.delete(key);
    }
    const assignment = this.name(clusters);
    const effects: Effect[] = [];
    const facts = this.store.annotations.facts(clusters.flatMap((cluster) => cluster.members));
    for (const [id, individual] of assignment) {
      const before = facts.get(id)?.individualId ?? null;
      if (before === individual) continue;
      this.store.annotations.setIndividual(id, individual);
      effects.push({ annotationId: id, individualBefore: before, individualAfter: individual });
    }
    if (effects.length > 0 && cause !== null) this.store.decisions.appendEffects(cause, effects);
    return { changed: effects.length, clusters };
  }

  /**
   * The individual each cluster is: a person-given one where it has one (where answers joined several,
   * the name the newest merge decision kept); else the individual most of its members are in now, then one
   * they were in before (so an undo gives back the same names), then a new generated one. An annotation
   * alone keeps only a name a person gave or chose; otherwise it belongs to no individual.
   */
  private name(clusters: readonly ResolvedCluster[]): Map<number, number | null> {
    const assignment = new Map<number, number | null>();
    const region = new Set(clusters.flatMap((cluster) => cluster.members));
    const facts = this.store.annotations.facts([...region]);
    const named = this.store.individuals.namedIds();
    const taken = new Set<number>();
    for (const cluster of clusters) for (const seed of cluster.seeds) taken.add(seed);
    const usedOutside = (individual: number): boolean =>
      this.store.annotations.byIndividual(individual).some((annotation) => !region.has(annotation.id));

    // Person-given first: their names are fixed.
    const rest: ResolvedCluster[] = [];
    for (const cluster of clusters) {
      if (cluster.seeds.length === 0) {
        rest.push(cluster);
        continue;
      }
      const individual = cluster.seeds.length === 1 ? cluster.seeds[0] : this.mergedName(cluster);
      for (const id of cluster.members) assignment.set(id, individual);
    }
    // The others, largest first, each taking the individual most of its members are in now.
    rest.sort((x, y) => y.members.length - x.members.length || x.members[0] - y.members[0]);
    const historyOf = (members: readonly number[]) => this.store.decisions.effectsOf(members);
    for (const cluster of rest) {
      const counts = new Map<number, number>();
      for (const id of cluster.members) {
        const current = facts.get(id)?.individualId ?? null;
        if (current !== null) counts.set(current, (counts.get(current) ?? 0) + 1);
      }
      const alone = cluster.members.length === 1;
      const usable = (individual: number) => !taken.has(individual) && (!alone || named.has(individual));
      let choice: number | null =
        [...counts.entries()]
          .filter(([individual]) => usable(individual))
          .sort((x, y) => y[1] - x[1] || x[0] - y[0])[0]?.[0] ?? null;
      if (choice === null && !alone) {
        // One its members were in before, no longer used by anyone.
        for (const effect of historyOf(cluster.members)) {
          for (const individual of [effect.individualBefore, effect.individualAfter]) {
            if (individual !== null && choice === null && usable(individual) && !usedOutside(individual)) choice = individual;
          }
          if (choice !== null) break;
        }
        choice ??= createGeneratedIndividual(this.store).id;
      }
      if (choice !== null) taken.add(choice);
      for (const id of cluster.members) assignment.set(id, choice);
    }
    return assignment;
  }

  /** Where answers joined several person-given individuals: the name the newest merge decision among them kept. */
  private mergedName(cluster: ResolvedCluster): number {
    const members = new Set(cluster.members);
    const given = this.store.annotations.givenIndividuals();
    const seeds = new Set(cluster.seeds);
    const rows = this.store.decisions.inForce().filter((row) => row.merge !== null && members.has(row.a) && members.has(row.b));
    rows.sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : y.id - x.id));
    for (const row of rows) {
      const kept = given.get(row.merge === 'keep-a' ? row.a : row.b);
      if (kept !== undefined && seeds.has(kept)) return kept;
    }
    // No choice on record (an import named photos that answers had joined): the seed with the most photos.
    const sizes = new Map<number, number>();
    for (const id of cluster.members) {
      const seed = given.get(id);
      if (seed !== undefined) sizes.set(seed, (sizes.get(seed) ?? 0) + 1);
    }
    return [...sizes.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0][0];
  }

  /** The cuts of a cluster of annotations, weakest first (computed once per membership and evidence, and kept). */
  cutsOf(members: readonly number[], context?: { evidence: HumanEvidence; given: Map<number, number>; model: ResolveModel }): Cut[] {
    const key = [...members].sort((x, y) => x - y).join(',');
    const cached = this.cutCache.get(key);
    if (cached) return cached;
    const evidence = context?.evidence ?? this.evidence();
    const given = context?.given ?? this.store.annotations.givenIndividuals();
    const seedOf = (id: number) => given.get(id) ?? null;
    // Resolving the members alone with no threshold keeps them together and measures their cuts.
    const [cluster] = resolveComponent({ members, seedOf, evidence, model: context?.model ?? this.resolveModel(), threshold: -Infinity });
    const cuts = cluster && cluster.members.length === members.length ? cluster.cuts : [];
    this.cutCache.set(key, cuts);
    return cuts;
  }

  /**
   * The joins the evidence holds weakly, one question each: for every individual whose weakest cut has
   * posterior log-odds below CONFIRM_THRESHOLD, the pair across that cut that confirms most at once —
   * one nobody compared yet, crossing the most weak cuts (an answer closing a cycle confirms a chain),
   * then the most similar — else a second look at an answered one.
   */
  confirmations(facts: ReadonlyMap<number, AnnotationFacts>, knowledge: Knowledge, filters: { sameSide: boolean; excludeSameImage: boolean }): Confirmation[] {
    const byIndividual = new Map<number, number[]>();
    for (const fact of facts.values()) {
      if (fact.individualId === null) continue;
      const list = byIndividual.get(fact.individualId);
      if (list) list.push(fact.id);
      else byIndividual.set(fact.individualId, [fact.id]);
    }
    let context: { evidence: HumanEvidence; given: Map<number, number>; model: ResolveModel } | null = null;
    const confirmations: Confirmation[] = [];
    for (const [individual, members] of byIndividual) {
      if (members.length < 2) continue;
      const key = members.join(',');
      let cuts = this.cutCache.get(key);
      if (!cuts) {
        context ??= { evidence: this.evidence(), given: this.store.annotations.givenIndividuals(), model: this.resolveModel() };
        cuts = this.cutsOf(members, context);
      }
      context ??= { evidence: this.evidence(), given: this.store.annotations.givenIndividuals(), model: this.resolveModel() };
      // Weighed with the calibration of now: the model's log-odds are computed again from each cut's statistics.
      const model = context.model;
      const weak = cuts
        .map((cut) => {
          const modelLogOdds = cut.stats === null ? 0 : model.logOdds(cut.stats);
          return { ...cut, model: modelLogOdds, logOdds: cut.human + modelLogOdds };
        })
        .filter((cut) => cut.logOdds < CONFIRM_THRESHOLD)
        .sort((x, y) => x.logOdds - y.logOdds || x.side[0] - y.side[0]);
      if (weak.length === 0) continue;
      const pair = this.confirmingPair(key, weak, facts, knowledge, filters, context.model);
      if (!pair) continue;
      const cut = weak[0];
      confirmations.push({ cluster: individual, side: cut.side, rest: cut.rest, logOdds: cut.logOdds, human: cut.human, ...pair });
    }
    return confirmations;
  }

  private confirmingPair(
    key: string,
    weak: readonly Cut[],
    facts: ReadonlyMap<number, AnnotationFacts>,
    knowledge: Knowledge,
    filters: { sameSide: boolean; excludeSameImage: boolean },
    model: ResolveModel,
  ): { a: number; b: number; similarity: number; repeated: boolean } | null {
    const cached = this.pairCache.get(key);
    if (cached !== undefined && (cached === null || knowledge.answeredPair(cached.a, cached.b) === (cached.repeated ? Answered.Decided : Answered.None)))
      return cached;
    const sides = weak.map((cut) => new Set(cut.side));
    let best: { a: number; b: number; similarity: number; repeated: boolean; crossed: number } | null = null;
    for (const x of weak[0].side) {
      for (const y of weak[0].rest) {
        const fx = facts.get(x);
        const fy = facts.get(y);
        if (!fx || !fy) continue;
        if (filters.excludeSameImage && fx.imageId === fy.imageId) continue;
        if (filters.sameSide && fx.side !== null && fy.side !== null && fx.side !== fy.side) continue;
        const state = knowledge.answeredPair(x, y);
        if (state === Answered.UnsureOnly) continue;
        const repeated = state === Answered.Decided;
        const similarity = model.similarity(x, y) ?? 0;
        const crossed = sides.filter((side) => side.has(x) !== side.has(y)).length;
        const better =
          !best ||
          (best.repeated && !repeated) ||
          (best.repeated === repeated && (crossed > best.crossed || (crossed === best.crossed && similarity > best.similarity)));
        if (better) best = { a: Math.min(x, y), b: Math.max(x, y), similarity, repeated, crossed };
      }
    }
    const pair = best && { a: best.a, b: best.b, similarity: best.similarity, repeated: best.repeated };
    this.pairCache.set(key, pair);
    return pair;
  }
}
