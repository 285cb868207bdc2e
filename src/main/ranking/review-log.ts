import type { DecideResult, Decision, IndividualRef, MergeChoice, UndoResult, Verdict } from '../../shared/api.ts';
import { decide as appendDecision, undo as appendUndo } from '../catalog/decisions.ts';
import { CatalogError, NotFoundError } from '../catalog/errors.ts';
import { resolveModel } from '../catalog/models.ts';
import type { CatalogStore } from '../catalog/store/catalog-store.ts';
import type { Identities } from './identities.ts';
import type { ReviewQueue } from './review-queue.ts';

export interface DecideOptions {
  note?: string;
  reviewer?: string;
  confirmMerge?: MergeChoice;
  /** The first decision of the batch this one belongs to. */
  batch?: number | null;
}

/**
 * Recording answers: each is appended to the log with what the queue knew of the pair (its calibration
 * sample), and who is who is derived again around it, in one transaction, so that a decision and its
 * consequences are committed together or not at all.
 */
export class ReviewLog {
  constructor(
    private readonly store: CatalogStore,
    private readonly queue: ReviewQueue,
    private readonly identities: Identities,
  ) {}

  decide(a: number, b: number, verdict: Verdict, options: DecideOptions = {}): DecideResult {
    return this.store.transaction(() => {
      const features = this.freshFeatures(a, b);
      const result = appendDecision(this.store, { a, b, verdict, ...options, accuracies: this.identities.accuracies.snapshot() });
      if (!('decision' in result)) return result;
      if (features) this.store.decisions.recordFeatures(result.decision.id, features);
      this.identities.afterChange([a, b], { kind: 'decision', decisionId: result.decision.id });
      const [first, second] = [this.store.annotations.byId(a)!, this.store.annotations.byId(b)!];
      const together = first.individualId !== null && first.individualId === second.individualId;
      const individual: IndividualRef | null = together ? (this.store.individuals.byId(first.individualId!) ?? null) : null;
      let warning = result.warning;
      if (verdict === 'same' && !together)
        warning ??= 'recorded, but not joined yet: the other evidence (other answers, or the model finding these two unlike) outweighs one answer; the queue will ask again';
      if (verdict === 'different' && together && warning === undefined)
        warning = `recorded, but both stay in "${individual?.name}": other answers outweigh this one; the queue will ask again`;
      return warning === undefined ? { decision: result.decision, individual } : { decision: result.decision, individual, warning };
    });
  }

  /** Several "different" decisions committed together as one batch (undone together). */
  differentFromEach(pairs: readonly { a: number; b: number }[], options: { note?: string; reviewer?: string }): Decision[] {
    return this.store.transaction(() => {
      let batch: number | null = null;
      const decisions: Decision[] = [];
      for (const pair of pairs) {
        const result = this.decide(pair.a, pair.b, 'different', { ...options, batch });
        if (!('decision' in result)) throw new CatalogError(`annotations ${pair.a} and ${pair.b}: no decision recorded`);
        batch ??= result.decision.id;
        decisions.push(result.decision);
      }
      return decisions;
    });
  }

  /**
   * Splits a photo off its individual: a "different" between it and each other member, in one batch. One
   * click weighs as much as the answers it stands for, since the reviewer looked at the photo against the
   * whole individual.
   */
  split(annotationId: number, options: { note?: string; reviewer?: string }): Decision[] {
    const annotation = this.store.annotations.byId(annotationId);
    if (!annotation) throw new NotFoundError(`there is no annotation ${annotationId}`);
    if (annotation.individualId === null) throw new CatalogError(`annotation ${annotationId} belongs to no individual; there is nothing to split it from`);
    if (annotation.givenIndividualId !== null && annotation.givenIndividualId === annotation.individualId)
      throw new CatalogError(`annotation ${annotationId} was named by a person (an import); change the name in the source file and import it again`);
    const others = this.store.annotations.byIndividual(annotation.individualId).filter((member) => member.id !== annotationId);
    return this.differentFromEach(
      others.map((member) => ({ a: annotationId, b: member.id })),
      options,
    );
  }

  undo(reviewer?: string): UndoResult {
    return this.store.transaction(() => {
      const { entries, undone } = appendUndo(this.store, reviewer);
      const touched = [...new Set(undone.flatMap((decision) => [decision.a, decision.b]))];
      // Every answer weighs as it did before the batch, and the model as fitted to the log without it:
      // the individuals come back as they were.
      const oldest = undone.reduce((x, y) => (y.id < x.id ? y : x));
      const before = this.store.decisions.accuraciesBefore(oldest.id);
      if (before !== null) this.identities.accuracies.restore(before);
      this.identities.afterChange(touched, { kind: 'undo', decisionId: entries[entries.length - 1].id }, true);
      const newest = undone.reduce((x, y) => (y.id > x.id ? y : x));
      const entry = entries[undone.indexOf(newest)];
      return {
        entry: this.store.decisions.byId(entry.id)!,
        undone: this.store.decisions.byId(newest.id)!,
        batch: undone.map((decision) => this.store.decisions.byId(decision.id)!),
      };
    });
  }

  /**
   * What the queue knew of a pair when it is asked for the first time (no answer yet between the two
   * individuals): the calibration's sample. Answers to questions asked again (confirmations, rechecks)
   * are not samples of how often the model's first guesses are right.
   */
  private freshFeatures(a: number, b: number) {
    let model;
    try {
      model = resolveModel(this.store);
    } catch {
      return null; // nothing embedded yet: no features to learn from
    }
    const ia = this.store.annotations.byId(a)?.individualId ?? null;
    const ib = this.store.annotations.byId(b)?.individualId ?? null;
    if (ia !== null && ia === ib) return null;
    const members = (id: number, individual: number | null) =>
      individual === null ? [id] : this.store.annotations.byIndividual(individual).map((annotation) => annotation.id);
    const sideA = new Set(members(a, ia));
    const sideB = members(b, ib);
    const evidence = this.identities.evidence();
    for (const x of sideA) for (const y of evidence.partners.get(x) ?? []) if (sideB.includes(y)) return null;
    const features = this.queue.features(model, a, b);
    return features && { modelId: model.id, ...features };
  }
}
