import { describe, expect, it } from 'vitest';
import { describeKfold, kfoldEstimate, seenInTraining, trainingIndividuals } from '../../src/main/models/card-estimate.ts';
import { ModelCardSchema } from '../../src/main/models/model-card.ts';

const card = (extra: Record<string, unknown>) =>
  ModelCardSchema.parse({ name: 'm', input: { width: 8, height: 8 }, embedding: {}, ...extra });

describe("a model card's k-fold estimate", () => {
  it('reads and describes mean ± spread over folds', () => {
    const estimate = kfoldEstimate(card({
      metrics: { kfold: { rank1: { mean: 0.1084, sd: 0.0251, folds: [0.1, 0.12] }, mAP: { mean: 0.2, sd: 0.01 }, folds: 5 } },
    }));
    expect(estimate?.folds).toBe(5);
    expect(describeKfold(estimate!)).toBe('rank-1 10.8 ± 2.5%, mAP 20.0 ± 1.0% (5-fold over individuals)');
  });

  it('is absent from a card without one, and a malformed one names the card and the field', () => {
    expect(kfoldEstimate(card({}))).toBeUndefined();
    expect(() => kfoldEstimate(card({ metrics: { kfold: { rank1: { mean: 0.1 }, mAP: { mean: 0.2, sd: 0 }, folds: 5 } } })))
      .toThrow(/model card m: invalid metrics\.kfold at 'rank1\.sd'/);
  });

  it('lists the training individuals where the card has them', () => {
    expect(trainingIndividuals(card({ training: { trainingIndividuals: ['a', 'b'] } }))).toEqual(new Set(['a', 'b']));
    expect(trainingIndividuals(card({ training: {} }))).toBeUndefined();
    expect(seenInTraining(card({ training: { trainingIndividuals: ['a', 'b'] } }), ['a', 'a', 'c'])).toBe(1);
    expect(seenInTraining(card({ training: {} }), ['a'])).toBeNull();
  });
});
