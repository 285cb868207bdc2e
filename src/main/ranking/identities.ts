import { generatedIndividuals } from '../catalog/decisions.ts';
import type { IndividualRef } from '../../shared/api.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { ChangeCause, DecisionInForceRow, Effect } from '../catalog/store/decisions.ts';
import type { ModelRecord } from '../catalog/store/embeddings.ts';
import { logit, type CalibrationWeights } from './calibration.ts';
import type { Answer, HumanEvidence } from './evidence.ts';
import { ReviewerAccuracies } from './reviewer-accuracy.ts';
import { componentAround, components, resolveComponent, type Cut, type GroupStats, type ResolveModel, type ResolvedCluster } from './resolve.ts';
import { rankFunction, type TieOrder } from './tie-order.ts';

/**
 * The identity service: keeps the catalog's assignment of annotations to individuals equal to what the
 * evidence supports best (ranking/resolve.ts), writing every change of it to the log as the effect of the
 * decision that caused it. Reviewers' answers weigh as their accuracy says (reviewer-accuracy.ts).
 */

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

/**
 * The model is never surer than this (log-odds, about 99.3 %): a calibration fitted on a few answers, or a
 * generic one, can say 10⁻⁵ for a pair a person recognises at once; two answers always outweigh it.
 */
export const MODEL_CONFIDENCE_LIMIT = 5;

/** Rounds of deriving again and estimating again before the estimates are left as they are. */
const ESTIMATE_ROUNDS = 4;

/** Cut lists kept (a catalog of 100,000 annotations has about 20,000 individuals). */
const CUT_CACHE_LIMIT = 50_000;

/** Person-given individuals, looked up per annotation as a component is walked (a catalog may have 100,000). */
class SeedLookup {
  private readonly byAnnotation = new Map<number, number | null>();
  private readonly byIndividual = new Map<number, readonly number[]>();
  constructor(private readonly store: CatalogStore) {}
  of(id: number): number | null {
    let seed = this.byAnnotation.get(id);
    if (seed === undefined) {
      seed = this.store.annotations.givenIndividualOf(id);
      this.byAnnotation.set(id, seed);
    }
    return seed;
  }
  members(individual: number): readonly number[] {
    let members = this.byIndividual.get(individual);
    if (!members) {
      members = this.store.annotations.givenTo(individual);
      this.byIndividual.set(individual, members);
      for (const id of members) this.byAnnotation.set(id, individual);
    }
    return members;
  }
}

export class Identities {
  /** Weakest cuts of multi-seed clusters, by the cluster's sorted member list, with what they were computed from. */
  private readonly cutCache = new Map<string, Cut[]>();
  /** The pair each weak cut is asked through, by the same key (dropped with the cuts; kept by confirmations.ts). */
  readonly pairCache = new Map<string, { a: number; b: number; similarity: number; repeated: boolean } | null>();

  readonly accuracies: ReviewerAccuracies;

  /** How the evidence's ties are broken (tie-order.ts); by local ids unless a team's order is set. */
  tieOrder: () => TieOrder | null = () => null;

  constructor(
    private readonly store: CatalogStore,
    private readonly modelEvidence: (fresh: boolean) => ModelEvidence | null,
  ) {
    this.accuracies = new ReviewerAccuracies(store);
  }

  /** The decisions in force as weighted answers. */
  answers(): Answer[] {
    return this.accuracies.answers();
  }

  evidence(): HumanEvidence {
    return this.accuracies.evidence();
  }

  /** A person sets (or, with null, clears) a reviewer's accuracy; the assignment is derived again. */
  setAccuracy(reviewer: string | null, accuracy: number | null): Resolution {
    this.accuracies.set(reviewer, accuracy);
    const who = reviewer ?? 'no reviewer named';
    return this.resolveAll({ kind: 'accuracy', decisionId: null, detail: accuracy === null ? `${who}: estimated from the answers` : `${who}: set to ${accuracy}` });
  }

  /**
   * After the log changed around some annotations (a decision, an undo, a name given): re-derives their
   * components, then the reviewers' estimates; where an estimate moved, everything is derived again with
   * it (every answer of that reviewer weighs differently now).
   */
  afterChange(annotationIds: readonly number[], cause: ChangeCause, fresh = false): Resolution {
    const local = this.resolveAround(annotationIds, cause, fresh);
    if (!this.accuracies.refresh()) return local;
    const all = this.resolveAll({ kind: 'accuracy', decisionId: cause.decisionId, detail: 'reviewers’ accuracies estimated again' }, false);
    return { changed: local.changed + all.changed, clusters: local.clusters };
  }

  /** Re-derives the components around these annotations. */
  resolveAround(annotationIds: readonly number[], cause: ChangeCause, fresh = false): Resolution {
    const evidence = this.evidence();
    const seeds = new SeedLookup(this.store);
    const seedOf = (id: number) => seeds.of(id);
    // The annotations' current individuals too: an answer taken back may leave them apart.
    const facts = this.store.annotations.facts([...annotationIds]);
    const start = new Set<number>(annotationIds);
    for (const id of annotationIds) {
      const individual = facts.get(id)?.individualId ?? null;
      if (individual === null) continue;
      for (const member of this.store.annotations.byIndividual(individual)) start.add(member.id);
    }
    // Annotations marked deleted keep their answers on record but belong to no one any more.
    const walked = componentAround(start, seedOf, (seed) => seeds.members(seed), evidence);
    const live = this.store.annotations.facts(walked);
    const regions = components(walked.filter((id) => live.has(id)), seedOf, evidence);
    return this.write(regions, evidence, seedOf, cause, fresh, rankFunction(this.tieOrder(), walked));
  }

  /**
   * Re-derives every annotation's individual from the whole log (after a sync, a changed accuracy), and
   * the reviewers' estimates with it until they hold still (they depend on the assignment they weigh).
   * With `fromPrior`, the estimates start from the prior, not from the last ones, so that the result is a
   * function of the log alone: what two catalogs with the same log agree on (a sync, a lead's setting).
   * After a decision they go on from where they were, so that an undo gives back what was before it.
   */
  resolveAll(cause: ChangeCause, fromPrior = true): Resolution {
    if (fromPrior) this.accuracies.reset();
    const given = this.store.annotations.givenIndividuals();
    const seedOf = (id: number) => given.get(id) ?? null;
    // Only annotations that some evidence or name touches, or that belong to an individual now, can
    // change; the rest (most of a large catalog early on) stay alone.
    const ids: number[] = [];
    // The log does not change while it is derived: read the answers in force once.
    const rows = this.store.decisions.inForce();
    const evidenceNow = this.accuracies.evidence(rows);
    for (const [id, fact] of this.store.annotations.allFacts())
      if (fact.individualId !== null || given.has(id) || evidenceNow.partners.has(id)) ids.push(id);
    const rankOf = rankFunction(this.tieOrder(), ids);
    let changed = 0;
    for (let round = 0; ; round++) {
      const evidence = round === 0 ? evidenceNow : this.accuracies.evidence(rows);
      const resolution = this.write(components(ids, seedOf, evidence), evidence, seedOf, cause, true, rankOf);
      changed += resolution.changed;
      if (round >= ESTIMATE_ROUNDS || !this.accuracies.refresh(rows)) return { changed, clusters: resolution.clusters };
    }
  }

  /**
   * The model's side of the resolver: cosine similarities of stored vectors and the calibrated log-odds
   * (`fresh`: fitted now from the log, as a derivation of the whole catalog needs to agree with another
   * catalog's; else as last fitted, one decision behind at most).
   */
  modelView(fresh = false): ResolveModel {
    const evidence = this.modelEvidence(fresh);
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
  private write(
    regions: number[][],
    evidence: HumanEvidence,
    seedOf: (id: number) => number | null,
    cause: ChangeCause,
    fresh: boolean,
    rankOf?: (annotation: number) => number,
  ): Resolution {
    const model = this.modelView(fresh);
    const clusters: ResolvedCluster[] = [];
    for (const region of regions) {
      if (region.length === 1) {
        clusters.push({ members: region, seeds: seedOf(region[0]) === null ? [] : [seedOf(region[0])!], cuts: [] });
        continue;
      }
      clusters.push(...resolveComponent({ members: region, seedOf, evidence, model, rankOf }));
    }
    if (this.cutCache.size > CUT_CACHE_LIMIT) this.cutCache.clear();
    for (const cluster of clusters) {
      const key = cluster.members.join(',');
      this.cutCache.set(key, cluster.cuts);
      this.pairCache.delete(key);
    }
    const assignment = this.name(clusters, seedOf);
    const effects: Effect[] = [];
    const facts = this.store.annotations.facts(clusters.flatMap((cluster) => cluster.members));
    for (const [id, individual] of assignment) {
      const before = facts.get(id)?.individualId ?? null;
      if (before === individual) continue;
      this.store.annotations.setIndividual(id, individual);
      effects.push({ annotationId: id, individualBefore: before, individualAfter: individual });
    }
    if (effects.length > 0) this.store.decisions.recordChanges(effects, cause);
    return { changed: effects.length, clusters };
  }

  /**
   * The individual each cluster is: a person-given one where it has one (where answers joined several,
   * the name the newest merge decision kept); else the individual most of its members are in now, then one
   * they were in before (so an undo gives back the same names), then a new generated one. An annotation
   * alone keeps only a name a person gave or chose; otherwise it belongs to no individual.
   */
  private name(clusters: readonly ResolvedCluster[], seedOf: (id: number) => number | null): Map<number, number | null> {
    const assignment = new Map<number, number | null>();
    const region = new Set(clusters.flatMap((cluster) => cluster.members));
    const facts = this.store.annotations.facts([...region]);
    const namedCache = new Map<number, boolean>();
    const named = { has: (id: number) => namedCache.get(id) ?? namedCache.set(id, this.store.individuals.isNamed(id)).get(id)! };
    const taken = new Set<number>();
    for (const cluster of clusters) for (const seed of cluster.seeds) taken.add(seed);
    let generator: (() => IndividualRef) | null = null;
    const createIndividual = () => (generator ??= generatedIndividuals(this.store))();
    const usedOutside = (individual: number): boolean =>
      this.store.annotations.byIndividual(individual).some((annotation) => !region.has(annotation.id));

    // Person-given first: their names are fixed.
    const rest: ResolvedCluster[] = [];
    for (const cluster of clusters) {
      if (cluster.seeds.length === 0) {
        rest.push(cluster);
        continue;
      }
      const individual = cluster.seeds.length === 1 ? cluster.seeds[0] : this.mergedName(cluster, seedOf);
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
        choice ??= createIndividual().id;
      }
      if (choice !== null) taken.add(choice);
      for (const id of cluster.members) assignment.set(id, choice);
    }
    return assignment;
  }

  /** Where answers joined several person-given individuals: the name the newest merge decision among them kept. */
  private mergedName(cluster: ResolvedCluster, seedOf: (id: number) => number | null): number {
    const members = new Set(cluster.members);
    const given = new Map(cluster.members.map((id) => [id, seedOf(id)] as const).filter((entry): entry is [number, number] => entry[1] !== null));
    const seeds = new Set(cluster.seeds);
    const rows = this.store.decisions.inForce().filter((row) => row.merge !== null && members.has(row.a) && members.has(row.b));
    const order = this.tieOrder();
    const tie = order === null ? (x: DecisionInForceRow, y: DecisionInForceRow) => y.id - x.id : (x: DecisionInForceRow, y: DecisionInForceRow) => (order.decisionKey(x) < order.decisionKey(y) ? 1 : -1);
    rows.sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : tie(x, y)));
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
    // Equal sizes: the first individual made here, or, where the order is shared, the first name.
    const nameOf = (individual: number) => this.store.individuals.byId(individual)?.name ?? '';
    const tieSeed = order === null ? (x: number, y: number) => x - y : (x: number, y: number) => (nameOf(x) < nameOf(y) ? -1 : nameOf(x) > nameOf(y) ? 1 : x - y);
    return [...sizes.entries()].sort((x, y) => y[1] - x[1] || tieSeed(x[0], y[0]))[0][0];
  }

  /** The cuts last computed for a cluster (its members' ids, sorted and joined by commas), if any. */
  cachedCuts(key: string): Cut[] | undefined {
    return this.cutCache.get(key);
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
    const rankOf = rankFunction(this.tieOrder(), members);
    const [cluster] = resolveComponent({ members, seedOf, evidence, model: context?.model ?? this.modelView(), threshold: -Infinity, rankOf });
    const cuts = cluster && cluster.members.length === members.length ? cluster.cuts : [];
    this.cutCache.set(key, cuts);
    return cuts;
  }

}
