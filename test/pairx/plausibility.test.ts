import { describe, expect, it } from 'vitest';
import type { Match } from '../../src/main/pairx/explanation.ts';
import { fitHomography, measurePlausibility, project } from '../../src/main/pairx/plausibility.ts';

const match = (p0: [number, number], p1: [number, number]): Match => ({
  coord0: [0, 0], coord1: [0, 0], point0: p0, point1: p1, distance: 1, relevance: 1,
});

describe('plausibility', () => {
  it('fits an exact homography from four correspondences', () => {
    const from: [number, number][] = [[0, 0], [100, 0], [100, 100], [0, 100]];
    const to: [number, number][] = [[10, 5], [120, 0], [115, 110], [5, 95]];
    const h = fitHomography(from, to)!;
    from.forEach((p, i) => {
      const [u, v] = project(h, p);
      expect(u).toBeCloseTo(to[i][0], 6);
      expect(v).toBeCloseTo(to[i][1], 6);
    });
  });

  it('scores geometrically consistent matches high and scattered ones low', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 224;
    const consistent = Array.from({ length: 20 }, () => {
      const p: [number, number] = [random(), random()];
      return match(p, [p[0] * 0.9 + 12, p[1] * 0.9 + 8]);
    });
    const scattered = Array.from({ length: 20 }, () => match([random(), random()], [random(), random()]));
    const good = measurePlausibility(consistent, 224, 224)!;
    const bad = measurePlausibility(scattered, 224, 224)!;
    expect(good.inlierRatio).toBe(1);
    expect(good.medianError).toBeLessThan(1e-6);
    expect(bad.inlierRatio).toBeLessThan(0.5);
    expect(bad.medianError).toBeGreaterThan(0.05);
  });

  it('needs at least five matches', () => {
    expect(measurePlausibility([match([0, 0], [1, 1])], 10, 10)).toBeNull();
  });
});
