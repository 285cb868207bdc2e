import { describe, expect, it } from 'vitest';
import { Answered, Knowledge, type AnnotationFacts, type DecisionInForce } from '../../src/main/ranking/knowledge.ts';

/** Annotations 1–6 on photos of their own; `individuals` assigns some of them. */
function facts(individuals: Record<number, number> = {}): AnnotationFacts[] {
  return [1, 2, 3, 4, 5, 6].map((id) => ({
    id,
    imageId: id,
    side: 'left',
    individualId: individuals[id] ?? null,
  }));
}

const W = Math.log(19);

describe('the knowledge of who is who', () => {
  it('"different" between members of two individuals is evidence against the two, not a wall', () => {
    // I = {1, 2}, J = {3, 4}; 5 and 6 alone.
    const known = new Knowledge(
      facts({ 1: 10, 2: 10, 3: 20, 4: 20 }),
      [{ a: 2, b: 3, verdict: 'different' }],
      new Set(),
    );
    // The answer weighs against every pair of the two individuals, which stay askable through other photos;
    // the pair itself is held back while the answer is among the newest.
    expect(known.humanBetween(10, 20)).toBeCloseTo(-W, 9);
    for (const [a, b] of [
      [1, 3],
      [1, 4],
      [2, 4],
    ])
      expect(known.askable(a, b)).toBe(true);
    expect(known.askable(2, 3)).toBe(false);
    const later = new Knowledge(facts({ 1: 10, 2: 10, 3: 20, 4: 20 }), [{ a: 2, b: 3, verdict: 'different' }], new Set(), false, 0);
    expect(later.askable(2, 3)).toBe(true);
    expect(known.answeredPair(2, 3)).toBe(Answered.Decided);
    expect(known.answeredPair(1, 4)).toBe(Answered.None);
    expect(known.humanBetween(10, -5)).toBe(0);
    expect(known.askable(1, 2)).toBe(false); // already one individual
    expect(known.individuals).toBe(4);
  });

  it('answers add up between the individuals their photos are in now, each with its reviewer\'s weight', () => {
    const decisions: DecisionInForce[] = [
      { a: 1, b: 3, verdict: 'different', weight: 2 },
      { a: 1, b: 5, verdict: 'same', weight: 3 },
    ];
    // 3 and 5 merged into individual 30: the two answers between 1 and it net out to +1.
    const merged = new Knowledge(facts({ 3: 30, 5: 30 }), decisions, new Set());
    expect(merged.humanBetween(-1, 30)).toBeCloseTo(1, 9);
    // Apart again, each weighs on its own pair of clusters.
    const apart = new Knowledge(facts(), decisions, new Set());
    expect(apart.humanBetween(-1, -3)).toBeCloseTo(-2, 9);
    expect(apart.humanBetween(-1, -5)).toBeCloseTo(3, 9);
    // Without a weight, an answer weighs as one of a reviewer right 95 % of the time.
    expect(new Knowledge(facts(), [{ a: 1, b: 3, verdict: 'same' }], new Set()).humanBetween(-1, -3)).toBeCloseTo(W, 9);
  });

  it('two person-given names are two animals unless duplicate names are looked for', () => {
    const named = new Set([10, 20]);
    const known = new Knowledge(facts({ 1: 10, 2: 20, 3: 30 }), [], named);
    expect(known.askable(1, 2)).toBe(false);
    expect(known.askable(1, 3)).toBe(true); // 30 is a review-made individual (generated name)
    expect(known.askable(1, 4)).toBe(true);
    expect(new Knowledge(facts({ 1: 10, 2: 20 }), [], named, true).askable(1, 2)).toBe(true);
    // A rename makes 30 named: then it is a catalogued animal like the others.
    expect(new Knowledge(facts({ 1: 10, 3: 30 }), [], new Set([10, 30])).askable(1, 3)).toBe(false);
  });

  it('"unsure" leaves out that pair only and weighs nothing; other pairs of the same two individuals may be asked', () => {
    const known = new Knowledge(facts({ 1: 10, 2: 10 }), [{ a: 1, b: 3, verdict: 'unsure' }], new Set());
    expect(known.askable(1, 3)).toBe(false);
    expect(known.askable(2, 3)).toBe(true);
    expect(known.humanBetween(10, -3)).toBe(0);
    expect(known.answeredPair(1, 3)).toBe(Answered.UnsureOnly);
    // A later "same" or "different" on the pair makes it a decided pair again.
    const later = new Knowledge(facts(), [{ a: 1, b: 3, verdict: 'unsure' }, { a: 1, b: 3, verdict: 'same' }], new Set());
    expect(later.answeredPair(1, 3)).toBe(Answered.Decided);
  });

  it('a "different" inside one individual does not split it here: the resolver weighs it', () => {
    const known = new Knowledge(facts({ 1: 10, 2: 10 }), [{ a: 1, b: 2, verdict: 'different' }], new Set());
    expect(known.clusterOf(1)).toBe(known.clusterOf(2));
    expect(known.sizeOf(10)).toBe(2);
    expect(known.askable(1, 3)).toBe(true);
  });
});
