import { describe, expect, it } from 'vitest';
import { reidMetrics } from '../../src/main/pairx/evaluation.ts';

const item = (name: string, side: string, ...v: number[]) => ({ name, side, embedding: Float32Array.from(v) });

describe('re-ID metrics', () => {
  it('computes rank-1 and mAP per flank side, skipping queries without a positive', () => {
    const metrics = reidMetrics([
      item('a', 'left', 1, 0),
      item('a', 'left', 0.9, 0.1),
      item('b', 'left', 0.95, 0.05), // closer to a's photos than to nothing: a false top match for b? b has no positive
      item('c', 'right', 0, 1),
      item('c', 'right', 0.1, 1),
      item('d', 'right', 0.05, 1),
    ]);
    // Queries: a0 (top: b, miss; a1 at rank 2 → AP 0.5), a1 (top: b, miss → AP 0.5),
    // c0 (top d (0.05,1)? cos(c0,d)=0.9988 > cos(c0,c1)=0.995 → miss, AP 0.5), c1 (top: d 0.9996 vs c0 0.995 → miss, AP 0.5).
    expect(metrics.queries).toBe(4);
    expect(metrics.skipped).toBe(2);
    expect(metrics.rank1).toBe(0);
    expect(metrics.mAP).toBeCloseTo(0.5, 6);
  });

  it('is perfect when each photo is closest to its own individual', () => {
    const metrics = reidMetrics([item('a', 'left', 1, 0), item('a', 'left', 1, 0.1), item('b', 'left', 0, 1), item('b', 'left', 0.1, 1)]);
    expect(metrics).toEqual({ rank1: 1, mAP: 1, queries: 4, skipped: 0 });
  });
});
