import { describe, expect, it } from 'vitest';
import { Knowledge, type AnnotationFacts, type DecisionInForce } from '../../src/main/ranking/knowledge.ts';

/** Annotations 1–6 on photos of their own; `individuals` assigns some of them. */
function facts(individuals: Record<number, number> = {}): AnnotationFacts[] {
  return [1, 2, 3, 4, 5, 6].map((id) => ({
    id,
    imageId: id,
    side: 'left',
    individualId: individuals[id] ?? null,
  }));
}

describe('the knowledge of who is who', () => {
  it('"different" between members of two individuals rules out every other pair of the two', () => {
    // I = {1, 2}, J = {3, 4}; 5 and 6 alone.
    const known = new Knowledge(
      facts({ 1: 10, 2: 10, 3: 20, 4: 20 }),
      [{ a: 2, b: 3, verdict: 'different' }],
      new Set(),
    );
    for (const [a, b] of [
      [1, 3],
      [1, 4],
      [2, 4],
      [2, 3],
    ])
      expect(known.askable(a, b)).toBe(false);
    expect(known.askable(1, 5)).toBe(true);
    expect(known.askable(3, 5)).toBe(true);
    expect(known.askable(1, 2)).toBe(false); // already one individual
    expect(known.individuals).toBe(4);
  });

  it('a merge carries what was known to the merged individual, and an undo takes it back', () => {
    const decisions: DecisionInForce[] = [{ a: 1, b: 3, verdict: 'different' }];
    // 3 is later merged with 5 into individual 30: 1 is known to differ from 5 too.
    const merged = new Knowledge(
      facts({ 3: 30, 5: 30 }),
      [...decisions, { a: 3, b: 5, verdict: 'same' }],
      new Set(),
    );
    expect(merged.askable(1, 5)).toBe(false);
    expect(merged.askable(2, 5)).toBe(true);
    // The "different" undone (no longer in force): 1 and 5 may be asked again.
    const undone = new Knowledge(facts({ 3: 30, 5: 30 }), [{ a: 3, b: 5, verdict: 'same' }], new Set());
    expect(undone.askable(1, 5)).toBe(true);
    // The merge undone: 5 is alone again and nothing ties it to 1.
    const unmerged = new Knowledge(facts(), decisions, new Set());
    expect(unmerged.askable(1, 5)).toBe(true);
    expect(unmerged.askable(1, 3)).toBe(false);
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

  it('"unsure" leaves out that pair only; other pairs of the same two individuals may be asked', () => {
    const known = new Knowledge(facts({ 1: 10, 2: 10 }), [{ a: 1, b: 3, verdict: 'unsure' }], new Set());
    expect(known.askable(1, 3)).toBe(false);
    expect(known.askable(2, 3)).toBe(true);
    expect(known.knownDifferent(10, -3)).toBe(false);
  });

  it('a "different" inside what a merge later joined does not split it', () => {
    const known = new Knowledge(facts({ 1: 10, 2: 10 }), [{ a: 1, b: 2, verdict: 'different' }], new Set());
    expect(known.clusterOf(1)).toBe(known.clusterOf(2));
    expect(known.sizeOf(10)).toBe(2);
    expect(known.askable(1, 3)).toBe(true);
  });
});
