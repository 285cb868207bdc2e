import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { HumanEvidence } from './evidence.ts';
import type { Identities } from './identities.ts';
import type { Confirmation } from './identity-queue.ts';
import { Answered, pairNumber, type AnnotationFacts, type Knowledge } from './knowledge.ts';
import type { Cut, ResolveModel } from './resolve.ts';

/** Posterior log-odds below which a join is asked about again (about 99.6 %: two answers beyond the model's doubt). */
export const CONFIRM_THRESHOLD = 5.5;

/**
 * Questions that confirm joins: an individual whose photos answers joined is held together by the
 * evidence across its cuts; where the weakest is doubtful, the queue asks about it, through the pair that
 * confirms most at once.
 */
export class Confirmations {
  constructor(
    private readonly store: CatalogStore,
    private readonly identities: Identities,
  ) {}

  /**
   * The joins the evidence holds weakly, one question each: for every individual whose weakest cut has
   * posterior log-odds below CONFIRM_THRESHOLD, the pair across that cut that confirms most at once —
   * one nobody compared yet, crossing the most weak cuts (an answer closing a cycle confirms a chain),
   * then the most similar — else a second look at an answered one.
   */
  list(facts: ReadonlyMap<number, AnnotationFacts>, knowledge: Knowledge, filters: { sameSide: boolean; excludeSameImage: boolean }): Confirmation[] {
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
      let cuts = this.identities.cachedCuts(key);
      if (!cuts) {
        context ??= { evidence: this.identities.evidence(), given: this.store.annotations.givenIndividuals(), model: this.identities.modelView() };
        cuts = this.identities.cutsOf(members, context);
      }
      context ??= { evidence: this.identities.evidence(), given: this.store.annotations.givenIndividuals(), model: this.identities.modelView() };
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
    const cached = this.identities.pairCache.get(key);
    if (
      cached !== undefined &&
      cached !== null &&
      knowledge.answeredPair(cached.a, cached.b) === (cached.repeated ? Answered.Decided : Answered.None) &&
      !knowledge.recent.has(pairNumber(cached.a, cached.b))
    )
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
        // Answered a moment ago: not shown again through the same photos yet.
        if (state === Answered.Decided && knowledge.recent.has(pairNumber(x, y))) continue;
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
    this.identities.pairCache.set(key, pair);
    return pair;
  }
}
