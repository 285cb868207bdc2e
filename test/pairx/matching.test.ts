import { describe, expect, it } from 'vitest';
import { mutualNearestNeighbours } from '../../src/main/pairx/matching.ts';
import { cosineSeeds } from '../../src/main/pairx/pair-explainer.ts';

describe('mutual nearest neighbours', () => {
  it('keeps only pairs that are each other’s nearest, sorted by relevance with ties stable', () => {
    // 1 channel, 1×3 maps: values 0, 5, 10 against 0.1, 9, 20.
    const f0 = { data: Float32Array.of(0, 5, 10), channels: 1, height: 1, width: 3 };
    const f1 = { data: Float32Array.of(0.1, 9, 20), channels: 1, height: 1, width: 3 };
    const matches = mutualNearestNeighbours(f0, f1, Float32Array.of(1, 1, 1), Float32Array.of(2, 2, 2), 30, 10);
    // 0↔0.1 mutual; 5→9 but 9→10: not mutual; 10↔9 mutual; 20→10 but 10→9.
    expect(matches.map((m) => [m.coord0[0], m.coord1[0]])).toEqual([[0, 0], [2, 1]]);
    expect(matches[0].point0).toEqual([5, 5]);
    expect(matches[1].point1).toEqual([15, 5]);
    expect(matches[0].distance).toBeCloseTo(0.1, 6);
    expect(matches.every((m) => m.relevance === 2)).toBe(true);
  });
});

describe('cosine seeds', () => {
  it('are the gradient of the cosine similarity (finite differences)', () => {
    const e0 = Float32Array.of(0.3, -1.2, 2.0, 0.5);
    const e1 = Float32Array.of(1.1, 0.4, -0.7, 0.9);
    const cos = (a: Float32Array, b: Float32Array) => {
      let d = 0, na = 0, nb = 0;
      for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] ** 2; nb += b[i] ** 2; }
      return d / Math.sqrt(na * nb);
    };
    const { similarity, seeds } = cosineSeeds(e0, e1);
    expect(similarity).toBeCloseTo(cos(e0, e1), 6);
    for (let i = 0; i < 4; i++) {
      const h = 1e-3;
      const plus = Float32Array.from(e0); plus[i] += h;
      const minus = Float32Array.from(e0); minus[i] -= h;
      expect(seeds[0][i]).toBeCloseTo((cos(plus, e1) - cos(minus, e1)) / (2 * h), 4);
    }
  });
});
