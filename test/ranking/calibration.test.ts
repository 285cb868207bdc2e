import { describe, expect, it } from 'vitest';
import {
  fitCalibration,
  GENERIC_PRIOR,
  logit,
  probability,
  type CalibrationWeights,
  type Sample,
} from '../../src/main/ranking/calibration.ts';
import { seededRandom } from '../fixtures/synthetic-catalog.ts';

const TRUE: CalibrationWeights = {
  intercept: -9,
  similarity: 10,
  plausibility: 3,
  plausibilityMissing: 0.5,
  logSizes: -0.4,
};

/** Samples drawn from a known logistic model, over the feature ranges a queue sees. */
function draw(count: number, seed = 1): Sample[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const features = {
      similarity: 0.4 + 0.6 * random(),
      plausibility: random() < 0.5 ? random() : null,
      sizeA: 1 + Math.floor(random() * 6),
      sizeB: 1 + Math.floor(random() * 6),
    };
    return { ...features, same: random() < probability(TRUE, features) };
  });
}

describe('the calibration', () => {
  it('is the prior when the catalog has no decisions yet', () => {
    expect(fitCalibration([], GENERIC_PRIOR)).toEqual(
      Object.fromEntries(Object.entries(GENERIC_PRIOR).map(([k, v]) => [k, expect.closeTo(v, 9)])),
    );
  });

  it('recovers the weights of a logistic model from enough answers', () => {
    const fitted = fitCalibration(draw(20000), GENERIC_PRIOR, 1);
    expect(fitted.similarity).toBeCloseTo(TRUE.similarity, 0);
    expect(fitted.intercept).toBeCloseTo(TRUE.intercept, 0);
    expect(Math.abs(fitted.plausibility - TRUE.plausibility)).toBeLessThan(0.6);
    expect(Math.abs(fitted.logSizes - TRUE.logSizes)).toBeLessThan(0.15);
  });

  it('moves from the prior towards the answers as they accumulate', () => {
    const few = fitCalibration(draw(30), GENERIC_PRIOR);
    const many = fitCalibration(draw(3000), GENERIC_PRIOR);
    const error = (w: CalibrationWeights) =>
      Math.abs(w.similarity - TRUE.similarity) + Math.abs(w.intercept - TRUE.intercept);
    expect(error(many)).toBeLessThan(error(few));
    expect(error(many)).toBeLessThan(error(GENERIC_PRIOR));
  });

  it('gives a higher probability to a more similar pair, and a lower one to larger individuals at equal similarity', () => {
    const base = { plausibility: null, sizeA: 1, sizeB: 1 };
    expect(probability(TRUE, { ...base, similarity: 0.95 })).toBeGreaterThan(
      probability(TRUE, { ...base, similarity: 0.8 }),
    );
    expect(probability(TRUE, { ...base, similarity: 0.9, sizeA: 5, sizeB: 4 })).toBeLessThan(
      probability(TRUE, { ...base, similarity: 0.9 }),
    );
    expect(logit(TRUE, { ...base, similarity: 0.9 })).toBeCloseTo(-9 + 9 + 0.5, 9);
  });
});
