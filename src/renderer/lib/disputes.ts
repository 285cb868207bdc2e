import type { Dispute } from '../../shared/api.ts';
import type { KeyPress } from './keyboard.ts';
import { pairKey } from './queue.ts';

/**
 * The Disputes view's logic, pure: the pairs a lead may settle (each once, in the disputes' order, with the
 * first dispute it belongs to), and what a key means there.
 */
export interface DisputedPair {
  a: number;
  b: number;
  /** Index of the first dispute that names this pair. */
  dispute: number;
}

export function disputedPairs(disputes: readonly Dispute[]): DisputedPair[] {
  const seen = new Set<string>();
  const out: DisputedPair[] = [];
  disputes.forEach((dispute, index) => {
    for (const pair of dispute.pairs) {
      const key = pairKey(pair);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ a: pair.a, b: pair.b, dispute: index });
    }
  });
  return out;
}

/** The first pair of the dispute `delta` disputes away from the selected pair's (that has pairs). */
export function jumpDispute(pairs: readonly DisputedPair[], index: number, delta: number): number {
  if (pairs.length === 0) return 0;
  const current = pairs[Math.min(index, pairs.length - 1)].dispute;
  const firsts = pairs.map((pair, i) => ({ dispute: pair.dispute, i })).filter((entry, i) => i === 0 || pairs[i - 1].dispute !== entry.dispute);
  const at = firsts.findIndex((entry) => entry.dispute === current);
  return firsts[Math.min(firsts.length - 1, Math.max(0, at + delta))].i;
}

export type DisputesAction =
  | { type: 'pair'; delta: number }
  | { type: 'dispute'; delta: number }
  | { type: 'open' }
  | { type: 'settle'; verdict: 'same' | 'different' }
  | { type: 'reload' };

export function disputesKey(press: KeyPress): DisputesAction | null {
  if (press.editable || press.ctrlKey || press.metaKey || press.altKey) return null;
  switch (press.key) {
    case 'ArrowDown':
    case 'j':
    case 'J':
      return { type: 'dispute', delta: 1 };
    case 'ArrowUp':
    case 'k':
    case 'K':
      return { type: 'dispute', delta: -1 };
    case 'ArrowRight':
      return { type: 'pair', delta: 1 };
    case 'ArrowLeft':
      return { type: 'pair', delta: -1 };
    case 'Enter':
    case 'p':
    case 'P':
      return { type: 'open' };
    case 's':
    case 'S':
      return { type: 'settle', verdict: 'same' };
    case 'd':
    case 'D':
      return { type: 'settle', verdict: 'different' };
    case 'r':
    case 'R':
      return { type: 'reload' };
    default:
      return null;
  }
}

/** "12:03" today, "3 Dec 12:03" before: when an answer was given. */
export function answerTime(iso: string, now = new Date()): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  const clock = time.toTimeString().slice(0, 5);
  return time.toDateString() === now.toDateString() ? clock : `${time.getDate()} ${time.toLocaleString('en', { month: 'short' })} ${clock}`;
}
