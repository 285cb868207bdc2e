import { describe, expect, it } from 'vitest';
import type { CandidatePair } from '../../src/shared/api.ts';
import {
  cleanKeyDown,
  cleanKeyUp,
  CLEAN_OFF,
  HOLD_MS,
  isEditableTarget,
  mergeKey,
  pairViewKey,
  queueKey,
} from '../../src/renderer/lib/keyboard.ts';
import {
  clampIndex,
  moveIndex,
  nextOpen,
  pairKey,
  recentCatalogs,
  rememberCatalog,
  restorePosition,
  savePosition,
  type PairStatus,
} from '../../src/renderer/lib/queue.ts';
import { gridLayout, scrollToRow } from '../../src/renderer/lib/windowing.ts';

const alone = { probability: 0.5, individualA: null, individualB: null, sizeA: 1, sizeB: 1 };
const queue: CandidatePair[] = [
  { a: 1, b: 2, similarity: 0.9, plausibility: null, ...alone },
  { a: 3, b: 1, similarity: 0.8, plausibility: 0.5, ...alone },
  { a: 4, b: 5, similarity: 0.7, plausibility: null, ...alone },
  { a: 2, b: 6, similarity: 0.6, plausibility: null, ...alone },
];

class MemoryStorage {
  private readonly values = new Map<string, string>();
  getItem = (key: string) => this.values.get(key) ?? null;
  setItem = (key: string, value: string) => void this.values.set(key, value);
  removeItem = (key: string) => void this.values.delete(key);
}

describe('queue navigation', () => {
  it('keys a pair the same way in either order', () => {
    expect(pairKey({ a: 3, b: 1 })).toBe(pairKey({ a: 1, b: 3 }));
  });

  it('moves within bounds', () => {
    expect(moveIndex(0, -1, 4)).toBe(0);
    expect(moveIndex(2, 5, 4)).toBe(3);
    expect(moveIndex(1, 1, 4)).toBe(2);
    expect(clampIndex(7, 0)).toBe(0);
  });

  it('goes on to the next open pair after a decision, wrapping to earlier ones', () => {
    const statuses = new Map<string, PairStatus>([
      [pairKey(queue[1]), 'same'],
      [pairKey(queue[2]), 'skipped'],
    ]);
    expect(nextOpen(queue, statuses, 0)).toBe(3);
    statuses.set(pairKey(queue[3]), 'different');
    expect(nextOpen(queue, statuses, 3)).toBe(0);
    statuses.set(pairKey(queue[0]), 'unsure');
    expect(nextOpen(queue, statuses, 0)).toBeNull();
  });

  it('restores the position by pair, so a shorter queue after a restart resumes at the same pair', () => {
    const storage = new MemoryStorage();
    savePosition(storage, '/cat', queue, 2);
    expect(restorePosition(storage, '/cat', queue)).toBe(2);
    // Decided pairs leave the queue: the pair is found where it now is.
    expect(restorePosition(storage, '/cat', queue.slice(1))).toBe(1);
    // The pair itself is gone: the saved index, clamped.
    expect(restorePosition(storage, '/cat', [queue[0], queue[1]])).toBe(1);
    // Other catalogs and damaged values start at the top.
    expect(restorePosition(storage, '/other', queue)).toBe(0);
    storage.setItem('pairx.queue-position:/cat', '{not json');
    expect(restorePosition(storage, '/cat', queue)).toBe(0);
  });

  it('remembers recent catalogs, newest first, without duplicates', () => {
    const storage = new MemoryStorage();
    rememberCatalog(storage, '/a');
    rememberCatalog(storage, '/b');
    expect(rememberCatalog(storage, '/a')).toEqual(['/a', '/b']);
    expect(recentCatalogs(storage)).toEqual(['/a', '/b']);
  });
});

describe('keyboard', () => {
  it('navigates the queue with arrows and J/K, opens with Enter', () => {
    expect(queueKey({ key: 'ArrowDown' })).toEqual({ type: 'move', delta: 1 });
    expect(queueKey({ key: 'j' })).toEqual({ type: 'move', delta: 1 });
    expect(queueKey({ key: 'K' })).toEqual({ type: 'move', delta: -1 });
    expect(queueKey({ key: 'Enter' })).toEqual({ type: 'open' });
    expect(queueKey({ key: 'z', ctrlKey: true })).toEqual({ type: 'undo' });
    expect(queueKey({ key: 'j', editable: true })).toBeNull();
  });

  it('decides with S, D, U, skips with N, undoes with Ctrl+Z or Cmd+Z', () => {
    expect(pairViewKey({ key: 's' })).toEqual({ type: 'decide', verdict: 'same' });
    expect(pairViewKey({ key: 'D' })).toEqual({ type: 'decide', verdict: 'different' });
    expect(pairViewKey({ key: 'u' })).toEqual({ type: 'decide', verdict: 'unsure' });
    expect(pairViewKey({ key: 'n' })).toEqual({ type: 'skip' });
    expect(pairViewKey({ key: 'z', ctrlKey: true })).toEqual({ type: 'undo' });
    expect(pairViewKey({ key: 'z', metaKey: true })).toEqual({ type: 'undo' });
    expect(pairViewKey({ key: 's', ctrlKey: true })).toBeNull(); // Ctrl+S is not "same"
  });

  it('ignores keys typed into the note, except Escape', () => {
    expect(pairViewKey({ key: 's', editable: true })).toBeNull();
    expect(pairViewKey({ key: 'z', ctrlKey: true, editable: true })).toBeNull();
    expect(pairViewKey({ key: 'Escape', editable: true })).toEqual({ type: 'escape' });
  });

  it('does not decide again on a held-down key', () => {
    expect(pairViewKey({ key: 's', repeat: true })).toBeNull();
    expect(pairViewKey({ key: 'ArrowRight', repeat: true })).toEqual({ type: 'pair', delta: 1 });
  });

  it('asks the merge dialog with A/B or 1/2, Escape cancels', () => {
    expect(mergeKey({ key: 'a' })).toEqual({ type: 'keep', choice: 'keep-a' });
    expect(mergeKey({ key: '2' })).toEqual({ type: 'keep', choice: 'keep-b' });
    expect(mergeKey({ key: 'Escape' })).toEqual({ type: 'cancel' });
    expect(mergeKey({ key: 's' })).toBeNull();
  });

  it('H toggles the clean photos on a tap and shows them only while held on a long press', () => {
    let state = cleanKeyDown(CLEAN_OFF, 1000);
    expect(state.clean).toBe(true);
    state = cleanKeyUp(state, 1000 + 80); // a tap: stays clean
    expect(state.clean).toBe(true);
    state = cleanKeyDown(state, 3000); // tap again: back to the overlays
    expect(state.clean).toBe(false);
    state = cleanKeyUp(state, 3050);
    expect(state.clean).toBe(false);
    state = cleanKeyDown(state, 5000); // hold
    expect(state.clean).toBe(true);
    state = cleanKeyUp(state, 5000 + HOLD_MS + 1);
    expect(state.clean).toBe(false);
  });

  it('knows text fields from buttons', () => {
    expect(isEditableTarget({ tagName: 'INPUT', type: 'text' } as unknown as EventTarget)).toBe(true);
    expect(isEditableTarget({ tagName: 'INPUT', type: 'checkbox' } as unknown as EventTarget)).toBe(false);
    expect(isEditableTarget({ tagName: 'BUTTON' } as unknown as EventTarget)).toBe(false);
    expect(isEditableTarget(null)).toBe(false);
  });
});

describe('grid windowing', () => {
  it('renders the rows in view plus overscan', () => {
    const layout = gridLayout({
      count: 1000,
      width: 530,
      height: 400,
      scrollTop: 1900,
      cellWidth: 100,
      cellHeight: 90,
      gap: 10,
      overscan: 1,
    });
    expect(layout.columns).toBe(4);
    expect(layout.rowHeight).toBe(100);
    expect(layout.rows).toBe(250);
    expect(layout.first).toBe(18 * 4);
    expect(layout.end).toBe(24 * 4);
    expect(layout.totalHeight).toBe(250 * 100 - 10);
  });

  it('handles an empty or narrow grid', () => {
    expect(
      gridLayout({ count: 0, width: 50, height: 100, scrollTop: 0, cellWidth: 100, cellHeight: 10, gap: 0 }),
    ).toMatchObject({ columns: 1, first: 0, end: 0 });
  });

  it('scrolls a row into view only when needed', () => {
    expect(scrollToRow(5, 100, 0, 300)).toBe(300);
    expect(scrollToRow(1, 100, 0, 300)).toBe(0);
    expect(scrollToRow(0, 100, 250, 300)).toBe(0);
  });
});
