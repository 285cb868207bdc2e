import { describe, expect, it } from 'vitest';
import type { Dispute } from '../../src/shared/api.ts';
import { answerTime, disputedPairs, disputesKey, jumpDispute } from '../../src/renderer/lib/disputes.ts';

const dispute = (id: string, pairs: [number, number][]): Dispute => ({
  id,
  kind: 'pair',
  summary: id,
  pairs: pairs.map(([a, b]) => ({ a, b })),
  answers: [],
  names: [],
});

describe('the Disputes view’s logic', () => {
  const disputes = [dispute('x', [[1, 3]]), dispute('y', [[3, 1], [2, 3], [1, 2]]), dispute('z', []), dispute('w', [[5, 6]])];

  it('lists each disputed pair once, with the first dispute that names it', () => {
    expect(disputedPairs(disputes)).toEqual([
      { a: 1, b: 3, dispute: 0 },
      { a: 2, b: 3, dispute: 1 },
      { a: 1, b: 2, dispute: 1 },
      { a: 5, b: 6, dispute: 3 },
    ]);
  });

  it('moves dispute by dispute (skipping those without pairs) and pair by pair', () => {
    const pairs = disputedPairs(disputes);
    expect(jumpDispute(pairs, 0, 1)).toBe(1);
    expect(jumpDispute(pairs, 2, 1)).toBe(3);
    expect(jumpDispute(pairs, 3, 1)).toBe(3);
    expect(jumpDispute(pairs, 2, -1)).toBe(0);
    expect(jumpDispute([], 0, 1)).toBe(0);
  });

  it('maps keys: S and D answer, Enter or P opens the pair, arrows move, nothing while typing', () => {
    expect(disputesKey({ key: 's' })).toEqual({ type: 'settle', verdict: 'same' });
    expect(disputesKey({ key: 'D' })).toEqual({ type: 'settle', verdict: 'different' });
    expect(disputesKey({ key: 'Enter' })).toEqual({ type: 'open' });
    expect(disputesKey({ key: 'ArrowDown' })).toEqual({ type: 'dispute', delta: 1 });
    expect(disputesKey({ key: 'ArrowLeft' })).toEqual({ type: 'pair', delta: -1 });
    expect(disputesKey({ key: 's', editable: true })).toBeNull();
    expect(disputesKey({ key: 'd', ctrlKey: true })).toBeNull();
  });

  it('says when an answer was given: the time today, the day before', () => {
    const now = new Date(2026, 11, 6, 15, 0);
    expect(answerTime(new Date(2026, 11, 6, 9, 5).toISOString(), now)).toBe('09:05');
    expect(answerTime(new Date(2026, 11, 3, 9, 5).toISOString(), now)).toBe('3 Dec 09:05');
  });
});
